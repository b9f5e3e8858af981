import { afterAll, describe, expect, it } from 'vitest';
import { AwaitedReceipts, awaitedMember, readAwaitedMember } from '../../store/awaited-receipts.js';
import { newConversationId } from '../../store/conversation-format.js';
import { createKeys } from '../../store/keys.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe('SMS awaiting their final receipt', () => {
  it("pages over an hour's SMS by offset, an SMS listed twice once a page, and forgets the hour once swept", async () => {
    const keys = createKeys(testPrefix('aw'));
    const awaited = new AwaitedReceipts(redis, keys, 60);
    const at = Date.parse('2026-11-24T06:30:00Z');
    const hour = Math.floor(at / 3600_000);
    const sms = (n: number) => ({ conversationId: `c${n}`, smsId: '0.0' });
    await awaited.add([sms(1), sms(2), sms(3)], at);
    // A sent write retried lists its SMS again.
    await awaited.add([sms(2)], at + 1000);
    expect(await awaited.hoursBefore(at + 3600_000)).toEqual([hour]);

    const first = await awaited.page(hour, '0', 2);
    expect(first.sms).toEqual([sms(1), sms(2)]);
    const second = await awaited.page(hour, first.cursor, 2);
    expect(second.sms).toEqual([sms(3), sms(2)]);
    const last = await awaited.page(hour, second.cursor, 2);
    expect(last).toEqual({ cursor: '0', sms: [] });
    expect(await awaited.page(hour, '0', 10)).toEqual({ cursor: '0', sms: [sms(1), sms(2), sms(3)] });
    expect(await redis.ttl(keys.awaitingReceipt(hour))).toBeGreaterThan(0);

    await awaited.done(hour);
    expect(await awaited.hoursBefore(at + 3600_000)).toEqual([]);
    expect(await redis.exists(keys.awaitingReceipt(hour))).toBe(0);
  });

  it('keeps a conversation id in 12 bytes and reads every entry back as written', async () => {
    const keys = createKeys(testPrefix('aw'));
    const awaited = new AwaitedReceipts(redis, keys, 60);
    const at = Date.parse('2026-11-24T07:30:00Z');
    const hour = Math.floor(at / 3600_000);
    const sms = [
      { conversationId: newConversationId(at), smsId: '12.3r' },
      { conversationId: 'test-conversation', smsId: '0.0' },
    ];
    await awaited.add(sms, at);
    expect((await awaited.page(hour, '0')).sms).toEqual(sms);
    expect(awaitedMember(sms[0]!).length).toBe(1 + 5 + 13);
    expect(readAwaitedMember(Buffer.from('c1 0.0'))).toBeNull();
    expect(() => awaitedMember({ conversationId: 'c', smsId: 'x'.repeat(256) })).toThrow(RangeError);
  });
});
