import { afterAll, describe, expect, it } from 'vitest';
import { newConversationId } from '../../store/conversation-format.js';
import { EXTERNAL_ID_BUCKETS, ExternalIdIndex } from '../../store/external-ids.js';
import { fnv1a } from '../../store/receipts.js';
import { createKeys } from '../../store/keys.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe('externalId claims', () => {
  it('the first claim wins, later ones get its id, other externalIds are independent', async () => {
    const keys = createKeys(testPrefix('xid'));
    const index = new ExternalIdIndex(redis, keys);
    const ids = await Promise.all(['a', 'b', 'c'].map((id) => index.claim('home-schooling', 'e-1', id)));
    expect(new Set(ids).size).toBe(1);
    expect(await index.claim('home-schooling', 'e-1', 'z')).toBe(ids[0]);
    expect(await index.claim('home-schooling', 'e-2', 'd')).toBe('d');
    expect(await index.claim('school-meals', 'e-1', 'e')).toBe('e');
  });

  it("claims made together each get their own id or the holder's, and a value of another form fails only its own", async () => {
    const keys = createKeys(testPrefix('xid'));
    const index = new ExternalIdIndex(redis, keys);
    const held = await index.claim('home-schooling', 'e-10', 'held');
    await redis.hset(keys.externalIds('home-schooling', fnv1a('e-11') % EXTERNAL_ID_BUCKETS), 'e-11', 'x');
    const [first, bad, fresh, again, other] = await Promise.allSettled([
      index.claim('home-schooling', 'e-10', 'n1'),
      index.claim('home-schooling', 'e-11', 'n2'),
      index.claim('home-schooling', 'e-12', 'n3'),
      index.claim('home-schooling', 'e-12', 'n4'),
      index.claim('school-meals', 'e-12', 'n5'),
    ]);
    expect(first).toEqual({ status: 'fulfilled', value: held });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'GW_STORE_FORMAT' } });
    expect(fresh).toEqual({ status: 'fulfilled', value: 'n3' });
    expect(again).toEqual({ status: 'fulfilled', value: 'n3' });
    expect(other).toEqual({ status: 'fulfilled', value: 'n5' });
    expect(await index.find('home-schooling', 'e-12')).toBe('n3');
  });

  it('holds a conversation id in 13 bytes, finds it again, and refuses a value of another form', async () => {
    const keys = createKeys(testPrefix('xid'));
    const index = new ExternalIdIndex(redis, keys);
    const id = newConversationId(Date.parse('2026-12-05T07:00:00Z'));
    expect(await index.claim('home-schooling', 'e-3', id)).toBe(id);
    expect(await index.find('home-schooling', 'e-3')).toBe(id);
    expect(await index.find('home-schooling', 'e-4')).toBeNull();
    const bucket = keys.externalIds('home-schooling', fnv1a('e-3') % EXTERNAL_ID_BUCKETS);
    expect((await redis.hgetBuffer(bucket, 'e-3'))?.length).toBe(13);
    await redis.hset(bucket, 'e-3', id);
    await expect(index.find('home-schooling', 'e-3')).rejects.toMatchObject({ code: 'GW_STORE_FORMAT' });
  });
});
