import { afterAll, describe, expect, it } from 'vitest';
import { PersonKeyStore } from '../../store/api-keys.js';
import { DeadlineIndex } from '../../store/deadlines.js';
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

describe('a day read from the deadline index', () => {
  it("pages over the buckets with a cursor, each of the day's deadlines once, none of another day", async () => {
    const index = new DeadlineIndex(redis, createKeys(testPrefix('dl')));
    const day = Date.parse('2026-11-26T19:00:00Z');
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
    for (const [i, id] of ids.entries()) await index.set(id, day + (i % 3) * 1000);
    await index.set('before', day - 86_400_000);
    await index.set('after', day + 86_400_000);
    const seen: string[] = [];
    let from: { bucket: number; offset: number } | null = { bucket: 0, offset: 0 };
    let short = 0;
    for (let pages = 0; from !== null && pages < 10_000; pages++) {
      // At most 7 ids, and each page ends at the bucket where it has looked at 5 deadlines.
      const page = await index.page(day - 3_600_000, day + 3_600_000, from, 7, 5);
      expect(page.ids.length).toBeLessThanOrEqual(7);
      if (page.next !== null && page.ids.length < 7) short++;
      seen.push(...page.ids);
      from = page.next;
    }
    expect(from).toBeNull();
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(short).toBeGreaterThan(0);
  });

  it('goes on inside a bucket from its offset when a page ends there', async () => {
    const index = new DeadlineIndex(redis, createKeys(testPrefix('dl2')));
    const ids = Array.from({ length: 40_000 }, (_, i) => `m${i}`);
    const same = ids.filter((id) => index.bucketOf(id).bucket === index.bucketOf('m0').bucket).slice(0, 3);
    for (const [i, id] of same.entries()) await index.set(id, 5000 + i);
    const { bucket } = index.bucketOf('m0');
    const first = await index.page(0, 10_000, { bucket, offset: 0 }, 2);
    expect(first).toMatchObject({ ids: same.slice(0, 2), next: { bucket, offset: 2 } });
    const second = await index.page(0, 10_000, { bucket, offset: 2 }, 2);
    expect(same).toHaveLength(3);
    expect(second.ids).toEqual(same.slice(2));
  });
});
