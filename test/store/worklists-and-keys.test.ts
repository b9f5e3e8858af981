import { afterAll, describe, expect, it } from 'vitest';
import { PersonKeyStore } from '../../store/api-keys.js';
import { createKeys } from '../../store/keys.js';
import { WorklistStore } from '../../store/worklists.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe("people's keys in Redis", () => {
  it('refuses a key beyond the store’s maximum, and makes room again when one is revoked', async () => {
    const store = new PersonKeyStore(redis, createKeys(testPrefix('pk')), 2);
    const input = { role: 'agent' as const, services: null, createdAt: 0, createdBy: 'boss' };
    const a = await store.create({ ...input, person: 'a.one' });
    expect(await store.create({ ...input, person: 'b.two' })).not.toBeNull();
    expect(await store.create({ ...input, person: 'c.three' })).toBeNull();
    await store.revoke(a?.record.id ?? '');
    expect(await store.find(a?.secret ?? '')).toBeNull();
    expect(await store.create({ ...input, person: 'c.three' })).not.toBeNull();
    expect((await store.list()).map((k) => k.person).sort()).toEqual(['b.two', 'c.three']);
  });
});

describe('worklists in Redis', () => {
  it('pages over services in order with a cursor and expires two days after its day', async () => {
    const keys = createKeys(testPrefix('wl'));
    const store = new WorklistStore(redis, keys);
    const now = Date.parse('2026-11-24T06:00:00Z');
    for (const [service, id, at] of [
      ['a', 'x1', 1],
      ['a', 'x2', 2],
      ['b', 'y1', 3],
      ['a', 'x1', 4],
    ] as const) {
      await store.add('undelivered', service, '2026-11-24', id, at, now);
    }
    const first = await store.page('undelivered', ['a', 'b'], '2026-11-24', undefined, 2);
    expect(first).toEqual({ ids: ['x2', 'x1'], next: '0.2' });
    const second = await store.page('undelivered', ['a', 'b'], '2026-11-24', first.next ?? '', 2);
    expect(second).toEqual({ ids: ['y1'], next: null });
    expect(await store.page('undelivered', ['b'], '2026-11-24', 'nonsense', 5)).toEqual({
      ids: ['y1'],
      next: null,
    });
    const ttl = await redis.ttl(keys.worklist('undelivered', 'a', '2026-11-24'));
    // 24 November 06:00 UTC → the end of 26 November (two days after the day): 66 h.
    expect(ttl).toBeGreaterThan(65 * 3600);
    expect(ttl).toBeLessThanOrEqual(66 * 3600);
  });
});
