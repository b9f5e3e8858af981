import { afterAll, describe, expect, it } from 'vitest';
import { ExternalIdIndex } from '../../store/external-ids.js';
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
});
