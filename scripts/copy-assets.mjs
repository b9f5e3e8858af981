// After `tsc`, copy the data files that modules read beside themselves
// (templates, service definitions, Lua scripts) into dist/, so `node dist/...`
// finds them where `tsx` finds them in the source tree.
import { cpSync } from 'node:fs';

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
