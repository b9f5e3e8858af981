/**
 * What is running: the release version (package.json, semantic versioning), the commit it was
 * built from, and the Node version. Shown by /healthz and as the `gateway_build_info` metric.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gauge, type Registry } from 'prom-client';

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
  readonly node: string;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The nearest package.json above this module (`gateway/` in the source tree, `dist/gateway/` built). */
function packageVersion(): string {
  for (let dir = HERE; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/**
 * The commit: `dist/build-info.json` written by the build (scripts/copy-assets.mjs, from
 * GIT_COMMIT or git), else GIT_COMMIT, else git itself when run from a checkout.
 */
function commit(): string {
  const written = path.join(HERE, '..', 'build-info.json');
  if (existsSync(written)) return (JSON.parse(readFileSync(written, 'utf8')) as { commit: string }).commit;
  if (process.env.GIT_COMMIT) return process.env.GIT_COMMIT;
  const git = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: HERE, encoding: 'utf8' });
  return git.status === 0 ? git.stdout.trim() : 'unknown';
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  cached ??= Object.freeze({ version: packageVersion(), commit: commit(), node: process.versions.node });
  return cached;
}

/** `gateway_build_info{version, commit, node} 1`. */
export function registerBuildInfo(registry: Registry): void {
  const info = buildInfo();
  new Gauge({
    name: 'gateway_build_info',
    help: 'The running release: version, commit and Node version (always 1)',
    labelNames: ['version', 'commit', 'node'],
    registers: [registry],
  }).set({ version: info.version, commit: info.commit, node: info.node }, 1);
}
