/**
 * The test peers that live outside the repository or outside npm: the Perl SMSC (next to the
 * repository in ../shared, or SMSC_PL), tshark, chromium, openssl, redis-cli, promtool. Each is
 * found relative to the repository, on PATH, or through an environment variable. A test file
 * whose peer is absent is skipped with one line saying what to install; with REQUIRE_PEERS=1
 * (set by .ci/run) the file fails instead, so CI never passes on skipped tests.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

/** The repository's root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared folder next to the repository (legal acts, corpus, Perl SMSC); SHARED_DIR overrides it. */
export const SHARED = process.env.SHARED_DIR ?? path.join(REPO, '..', 'shared');

export interface Peer {
  readonly name: string;
  /** What to install or set when it is absent: one line. */
  readonly install: string;
  /** Where it was found, or undefined. */
  readonly found: string | undefined;
}

/** The first executable called `name` on PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function executable(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

const cache = new Map<string, Peer>();
function peer(name: string, install: string, find: () => string | undefined): () => Peer {
  return () => {
    let known = cache.get(name);
    if (!known) cache.set(name, (known = { name, install, found: find() }));
    return known;
  };
}

/** The independent Perl SMSC and the Net::SMPP module it runs on. */
export const perlSmsc = peer(
  'the Perl SMSC',
  'check out shared/ next to the repository (../shared/tools/smsc/smsc.pl) or set SMSC_PL; apt-get install libnet-smpp-perl',
  () => {
    const script = process.env.SMSC_PL ?? path.join(SHARED, 'tools', 'smsc', 'smsc.pl');
    if (!existsSync(script)) return undefined;
    return spawnSync('perl', ['-MNet::SMPP', '-e1'], { stdio: 'ignore' }).status === 0 ? script : undefined;
  },
);

/** The legal acts in ../shared/seeds. */
export const sharedSeeds = peer(
  'the legal acts (shared/seeds)',
  'check out shared/ next to the repository or set SHARED_DIR',
  () => {
    const dir = path.join(SHARED, 'seeds');
    return existsSync(dir) ? dir : undefined;
  },
);

export const tshark = peer('tshark', 'apt-get install tshark', () => onPath('tshark'));
export const chromium = peer('chromium', 'apt-get install chromium, or set CHROMIUM_PATH', () =>
  process.env.CHROMIUM_PATH ? executable(process.env.CHROMIUM_PATH) : onPath('chromium'),
);
export const openssl = peer('openssl', 'apt-get install openssl', () => onPath('openssl'));
export const redisCli = peer('redis-cli', 'apt-get install redis-tools', () => onPath('redis-cli'));
export const promtool = peer('promtool', 'apt-get install prometheus, or set PROMTOOL', () =>
  process.env.PROMTOOL ? executable(process.env.PROMTOOL) : onPath('promtool'),
);

/**
 * Call at the top of a test file: true when one of `peers` is absent, so the file's suites are
 * skipped (`describe.skipIf(missing(…))`). Prints one line naming what to install; with
 * REQUIRE_PEERS=1 it registers a failing test instead.
 */
export function missing(...peers: ReadonlyArray<() => Peer>): boolean {
  const absent = peers.map((p) => p()).filter((p) => p.found === undefined);
  if (absent.length === 0) return false;
  const line = `needs ${absent.map((p) => `${p.name} (${p.install})`).join(' and ')}`;
  if (process.env.REQUIRE_PEERS === '1') {
    it(`finds its peers: ${line}`, () => {
      throw new Error(`REQUIRE_PEERS=1 and this file ${line}`);
    });
  } else {
    console.warn(`skipped: ${line}`);
  }
  return true;
}
