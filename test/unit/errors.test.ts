import { readFileSync } from 'node:fs';
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
});
