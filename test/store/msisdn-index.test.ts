/**
 * The MSISDN index (store/msisdn-index.ts): a number's conversation ids in a field of a bucket
 * hash while they fit a compact value, in a sorted set of its own beyond; both read.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newConversation } from '../../dialogue/conversation.js';
import { newConversationId } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { MSISDN_BUCKETS, MsisdnIndex } from '../../store/msisdn-index.js';
import { fnv1a } from '../../store/receipts.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { testStore } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const NUMBER = '77012345678';
const T0 = Date.UTC(2026, 10, 25);
const ids = Array.from({ length: 5 }, (_, i) => newConversationId(T0 + i * 1000));

function setup() {
  const keys = createKeys(testPrefix('msisdn'));
  const bucket = keys.msisdnBucket(fnv1a(NUMBER) % MSISDN_BUCKETS);
  return { keys, bucket, index: new MsisdnIndex(redis, keys) };
}

describe('the MSISDN index', () => {
  it('keeps a number with few conversations as one field of a bucket, no key of its own', async () => {
    const { keys, bucket, index } = setup();
    await index.add(NUMBER, ids[0]!, T0);
    await index.add(NUMBER, ids[1]!, T0 + 1000);
    await index.add(NUMBER, ids[1]!, T0 + 1000); // the outbox entry handed over twice
    expect(await redis.hget(bucket, NUMBER)).toBe(`${ids[0]} ${ids[1]}`);
    expect(await redis.exists(keys.byMsisdn(NUMBER))).toBe(0);
    expect(await redis.call('OBJECT', 'ENCODING', bucket)).toBe('listpack');
    expect(await index.ids(NUMBER, 50)).toEqual([ids[1], ids[0]]);
  });

  it('moves a number to a sorted set of its own when its ids no longer fit a compact value', async () => {
    const { keys, bucket, index } = setup();
    for (const [n, id] of ids.entries()) await index.add(NUMBER, id, T0 + n * 1000);
    // Three 18-character ids fit in 64 bytes, the fourth does not.
    expect(await redis.hget(bucket, NUMBER)).toBeNull();
    expect(await redis.zrange(keys.byMsisdn(NUMBER), 0, -1)).toEqual(ids);
    expect(await index.ids(NUMBER, 50)).toEqual([...ids].reverse());
    expect(await index.ids(NUMBER, 2)).toEqual([ids[4], ids[3]]);
  });

  it('scores moved ids by their creation time, whatever order the outbox indexed them in', async () => {
    const { keys, index } = setup();
    for (const n of [3, 0, 4, 1, 2]) await index.add(NUMBER, ids[n]!, T0 + n * 1000);
    expect(await redis.zrange(keys.byMsisdn(NUMBER), 0, -1)).toEqual(ids);
    expect(await index.ids(NUMBER, 2)).toEqual([ids[4], ids[3]]);
  });

  it('indexes the numbers of one turn together, each as it would be alone', async () => {
    const { keys, bucket, index } = setup();
    const other = '77012345679';
    // One hand-over's worth: five ids of one number (the fourth no longer fits its field) and another number's.
    await Promise.all([
      ...ids.map((id, n) => index.add(NUMBER, id, T0 + n * 1000)),
      index.add(other, ids[0]!, T0),
    ]);
    expect(await redis.hget(bucket, NUMBER)).toBeNull();
    expect(await redis.zrange(keys.byMsisdn(NUMBER), 0, -1)).toEqual(ids);
    expect(await index.ids(other, 50)).toEqual([ids[0]]);
    expect(await redis.exists(keys.byMsisdn(other))).toBe(0);
  });

  it('a number whose ids are in its sorted set gets its next ids there too', async () => {
    const { keys, bucket, index } = setup();
    await redis.zadd(keys.byMsisdn(NUMBER), T0, ids[0]!);
    await index.add(NUMBER, ids[1]!, T0 + 1000);
    expect(await redis.hget(bucket, NUMBER)).toBeNull();
    expect(await index.ids(NUMBER, 50)).toEqual([ids[1], ids[0]]);
  });

  it('lists the conversations of a number newest first and forgets those that are gone', async () => {
    const { keys, bucket } = setup();
    const store = await testStore(redis, keys);
    const conv = (id: string, createdAt: number) =>
      newConversation({
        id,
        service: 'home-schooling',
        externalId: id,
        msisdn: NUMBER,
        language: 'kk',
        params: {},
        createdAt,
        stage: 'offer-one-bank',
        version: -1,
        deadline: createdAt + 1000,
        offered: [],
      });
    for (const [n, id] of ids.slice(0, 3).entries()) {
      expect(await store.commit(-1, conv(id, T0 + n * 1000), [], [], false)).toBe(true);
      await store.indexMsisdn(conv(id, T0 + n * 1000));
    }
    await redis.del(keys.conversation(ids[1]!)); // expired after its retention
    expect((await store.listByMsisdn(NUMBER)).map((c) => c.id)).toEqual([ids[2], ids[0]]);
    expect(await redis.hget(bucket, NUMBER)).toBe(`${ids[0]} ${ids[2]}`);
  });
});
