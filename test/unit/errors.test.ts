import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, renderErrorsDoc } from '../../common/errors.js';

describe('error catalogue', () => {
  it('docs/errors.md is generated from the catalogue (run `npm run docs:errors` after changing it)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });

  it('every code is GW_-prefixed, upper case, and says what to change', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^GW_[A-Z_]+$/);
      expect(spec.fix.length).toBeGreaterThan(10);
    }
  });

  it('every code is used by the production code, so none promises an error nothing reports', () => {
    const root = new URL('../..', import.meta.url).pathname;
    // The folders of the production build (tsconfig.build.json), the catalogue itself apart.
    const folders = [
      'common',
      'gateway',
      'parsers',
      'dialogue',
      'store',
      'queues',
      'services',
      'templates',
      'sms',
    ];
    const sources = folders
      .flatMap((folder) =>
        readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }).map((f) => join(folder, f)),
      )
      .filter((file) => /\.(ts|js)$/.test(file) && file !== join('common', 'errors.ts'))
      .map((file) => readFileSync(join(root, file), 'utf8'))
      .join('\n');
    const unused = Object.keys(ERRORS).filter((code) => !new RegExp(`['"\`]${code}['"\`]`).test(sources));
    expect(unused).toEqual([]);
  });
});
