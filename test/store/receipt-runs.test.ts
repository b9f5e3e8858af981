import { afterAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { createKeys } from '../../store/keys.js';
import type { SmsStatusEntry } from '../../store/timeline-entry.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { smsEntry, testStore } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const conv = { id: 'c1', msisdn: '77010000001', version: -1 } as unknown as Conversation;

async function setup() {
  const keys = createKeys(testPrefix('runs'));
  const store = await testStore(redis, keys);
  await store.commit(-1, conv, [smsEntry()], [], false);
  return { keys, store };
}

/** The entry a delivery receipt of one part adds (gateway/core/replies.ts). */
const receipt = (part: number, at: number, over: Partial<SmsStatusEntry> = {}): SmsStatusEntry => ({
  at,
  kind: 'sms-status',
  smsId: '0.0',
  part,
  parts: 10,
  status: 'delivered',
  stat: 'DELIVRD',
  // As carriers write it with DELIVRD (SMPP 3.4 Appendix B).
  err: '000',
  ...over,
});

describe("a conversation's delivery receipts", () => {
  it("of one SMS's parts with the same status make one timeline entry, at the latest receipt", async () => {
    const { keys, store } = await setup();
    const before = await redis.strlen(keys.conversation('c1'));
    // Out of order, one append each (one receipt job each), and a repeated receipt.
    for (const [part, at] of [
      [3, 30],
      [0, 50],
      [9, 20],
      [3, 40],
    ] as const)
      expect(await store.append('c1', receipt(part, at))).toBe(true);
    const timeline = await store.timeline('c1');
    expect(timeline).toHaveLength(2);
    const { part: _part, ...run } = receipt(0, 50);
    expect(timeline[1]).toEqual({ ...run, partList: [0, 3, 9] });
    // 2 bytes of length, then 20 bytes whatever the number of parts reported.
    expect(await redis.strlen(keys.conversation('c1'))).toBe(before + 22);
  });

  it('start a new entry on another status, err or SMS, or after an entry in between', async () => {
    const { store } = await setup();
    await store.append('c1', receipt(0, 10), receipt(1, 11));
    await store.append('c1', receipt(2, 12, { status: 'failed', stat: 'UNDELIV' }));
    await store.append('c1', receipt(3, 13));
    await store.append('c1', receipt(4, 14, { smsId: '0.1' }));
    await store.append('c1', { at: 15, kind: 'note', text: '' }, receipt(5, 16, { smsId: '0.1' }));
    await store.append('c1', receipt(6, 17, { err: '0x0b' }), receipt(7, 18), receipt(8, 19));
    const timeline = await store.timeline('c1');
    const row = (e: (typeof timeline)[number]) =>
      e.kind === 'sms-status' ? [e.at, e.smsId, e.status, e.part ?? e.partList] : [e.at, e.kind];
    expect(timeline.slice(1).map(row)).toEqual([
      [11, '0.0', 'delivered', [0, 1]],
      [12, '0.0', 'failed', 2],
      [13, '0.0', 'delivered', 3],
      [14, '0.1', 'delivered', 4],
      [15, 'note'],
      [16, '0.1', 'delivered', 5],
      [17, '0.0', 'delivered', 6],
      [19, '0.0', 'delivered', [7, 8]],
    ]);
    expect(timeline[7]).toMatchObject({ err: '0x0b' });
    expect(timeline[8]).toMatchObject({ err: '000' });
  });

  it('keep merging after a commit rewrote the conversation, and are kept by the next commit', async () => {
    const { store } = await setup();
    await store.append('c1', receipt(0, 10));
    expect(await store.commit(0, { ...conv, version: 0 }, [], [], false)).toBe(true);
    await store.append('c1', receipt(1, 11));
    expect(
      await store.commit(1, { ...conv, version: 1 }, [{ at: 12, kind: 'note', text: '' }], [], false),
    ).toBe(true);
    const timeline = await store.timeline('c1');
    expect(timeline.map((e) => (e.kind === 'sms-status' ? e.partList : e.kind))).toEqual([
      'sms',
      [0, 1],
      'note',
    ]);
  });
});
