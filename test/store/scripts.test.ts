import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCRIPTS } from '../../store/scripts.js';

describe('the script registry', () => {
  it('loads every store/lua file by the one naming rule, <name>-<keys>.lua', () => {
    const files = readdirSync(new URL('../../store/lua/', import.meta.url)).filter((f) => f.endsWith('.lua'));
    expect(files.every((f) => /^[a-z-]+-(\d+|n)\.lua$/.test(f))).toBe(true);
    expect(SCRIPTS.size).toBe(files.length);
    expect(SCRIPTS.get('commit')).toMatchObject({ command: 'gwCommit', numberOfKeys: 2 });
    expect(SCRIPTS.get('transfer-claim')).toMatchObject({ command: 'gwTransferClaim', numberOfKeys: 1 });
    expect(SCRIPTS.get('sent')?.numberOfKeys).toBeUndefined();
  });

  it('replaces each include by its piece, once, so the conversation layout is written in one place', () => {
    for (const { lua } of SCRIPTS.values()) expect(lua).not.toMatch(/--- @include/);
    const readers = [...SCRIPTS].filter(([, s]) => s.lua.includes('local function conversationHead'));
    expect(readers.map(([name]) => name).sort()).toEqual([
      'append',
      'batch-done',
      'claim',
      'commit',
      'commit-many',
      'mark-outcome',
      'mark-outcomes',
      'sent',
    ]);
    for (const [, { lua }] of readers) expect(lua.split('local CONVERSATION_TAG').length).toBe(2);
  });
});
