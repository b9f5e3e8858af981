// After `tsc`, copy the data files that modules read beside themselves
// (templates, service definitions, Lua scripts) into dist/, so `node dist/...`
// finds them where `tsx` finds them in the source tree.
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';

const assets = [
  'gateway/http/console',
  'templates/kk',
  'templates/ru',
  'templates/locales',
  'templates/sets',
  'templates/samples.json',
  'services',
  'store/lua',
  'calendar',
];
for (const path of assets) {
  cpSync(path, `dist/${path}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
console.log(`copied ${assets.length} asset paths into dist/`);

// The commit this build comes from, for /healthz and gateway_build_info (gateway/build-info.ts):
// GIT_COMMIT (the Docker build passes it: .git is not in the build context), else git.
function commit() {
  if (process.env.GIT_COMMIT) return process.env.GIT_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return 'unknown';
  }
}
writeFileSync('dist/build-info.json', `${JSON.stringify({ commit: commit() })}\n`);
