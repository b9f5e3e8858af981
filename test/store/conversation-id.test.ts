import { describe, expect, it } from 'vitest';
import { newConversationId } from '../../store/conversations.js';

describe('conversation ids', () => {
  it('are 18 lower-case base-36 characters, sortable by time, and all differ within one millisecond', () => {
    const now = Date.UTC(2026, 11, 5, 9, 30);
    // More ids than one draw of random bytes holds, so the pool is drawn again in between.
    const ids = Array.from({ length: 2000 }, () => newConversationId(now));
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{18}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(8))).size).toBe(ids.length);
    expect(newConversationId(now + 1) > newConversationId(now)).toBe(true);
    expect(ids.every((id) => id.startsWith(now.toString(36)))).toBe(true);
  });
});
