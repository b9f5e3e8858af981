import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REJECTION_REASONS } from '../../queues/decisions.js';

describe('rejection reason codes', () => {
  it('are each documented in docs/integration.md with their meaning', () => {
    const doc = readFileSync(new URL('../../docs/integration.md', import.meta.url), 'utf8');
    for (const [code, meaning] of Object.entries(REJECTION_REASONS)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` +\\| ${meaning.replace(/[.()]/g, '\\$&')} +\\|`));
    }
  });
});
