import { afterAll, describe, expect, it } from 'vitest';
import { newConversation } from '../../dialogue/conversation.js';
import { outboxJson, outcomeBit, type OutboxEntry } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { testStore } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const sms = (smsId: string): OutboxEntry => ({
  t: 'sms',
  smsId,
  to: '77010000001',
  text: 'Құрметті азамат! '.repeat(40),
  templateId: 't',
  asksConsent: true,
});

describe('acknowledging handed-over outbox entries', () => {
  it('removes exactly the entries named (equal ones as often as named), then leaves the recovery index', async () => {
    const keys = createKeys(testPrefix('outbox'));
    const store = await testStore(redis, keys);
    const [a, b, deadline] = [
      outboxJson(sms('0.0')),
      outboxJson(sms('0.1')),
      outboxJson({ t: 'deadline', at: 5 }),
    ];
    await redis.rpush(keys.outbox('c1'), a, b, a, deadline);
    await redis.sadd(keys.outboxIndex(), 'c1');

    await store.outboxes.ack('c1', [a, deadline]);
    expect((await store.outboxes.list('c1')).map((e) => e.raw)).toEqual([b, a]);
    expect(await store.outboxes.pending()).toContain('c1');

    await store.outboxes.ack('c1', [a, b, a]);
    expect(await store.outboxes.list('c1')).toEqual([]);
    expect(await store.outboxes.pending()).not.toContain('c1');
  });

  it("acknowledges many outboxes in one call and marks each conversation's outcomes handed over with it", async () => {
    const keys = createKeys(testPrefix('outbox-many'));
    const store = await testStore(redis, keys);
    const ids = ['c1', 'c2'];
    for (const id of ids) {
      const conv = newConversation({
        id,
        service: 'home-schooling',
        externalId: id,
        msisdn: '77010000001',
        language: 'ru',
        params: {},
        createdAt: 0,
        campaign: null,
      });
      expect(await store.commit(-1, conv, [], [sms('0.0')], false)).toBe(true);
    }
    const ref = (conversationId: string, outcome: string) => ({ conversationId, outcome });
    await store.outboxes.ackMany([
      ['c1', [outboxJson(sms('0.0'))], outcomeBit('expired')],
      ['c2', [outboxJson(sms('0.0'))], 0],
    ]);
    expect(await store.outboxes.list('c1')).toEqual([]);
    expect(await store.outboxes.list('c2')).toEqual([]);
    expect(await store.outboxes.pending()).toEqual([]);
    expect(
      await store.outcomes.marked([ref('c1', 'expired'), ref('c1', 'sent'), ref('c2', 'expired')]),
    ).toEqual([true, false, false]);
  });
});
