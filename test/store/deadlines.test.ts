import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEADLINE_BUCKETS, DeadlineIndex } from '../../store/deadlines.js';
import { createKeys, type Keys } from '../../store/keys.js';
import { fnv1a } from '../../store/receipts.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const bucketOf = (id: string) => fnv1a(id) % DEADLINE_BUCKETS;

/** `n` ids that share one bucket, and `n` more that share another: moves inside a bucket. */
function idsInTwoBuckets(n: number): string[] {
  const byBucket = new Map<number, string[]>();
  for (let i = 0; ; i++) {
    const id = `conv${i}`;
    const same = byBucket.get(bucketOf(id)) ?? [];
    byBucket.set(bucketOf(id), [...same, id]);
    const full = [...byBucket.values()].filter((ids) => ids.length >= n);
    if (full.length >= 2) return full.flatMap((ids) => ids.slice(0, n));
  }
}

/**
 * Each bucket holding deadlines is in the index, scored at or before its earliest one: no bucket
 * with a due deadline is skipped.
 */
async function expectScoresBound(keys: Keys, model: ReadonlyMap<string, number>): Promise<void> {
  for (const bucket of new Set([...model.keys()].map(bucketOf))) {
    const left = [...model].filter(([id]) => bucketOf(id) === bucket).map(([, at]) => at);
    const score = await redis.zscore(keys.deadlineBuckets(), String(bucket));
    expect(score).not.toBeNull();
    expect(Number(score)).toBeLessThanOrEqual(Math.min(...left));
  }
}

function setup() {
  const keys = createKeys(testPrefix('dl'));
  return { keys, index: new DeadlineIndex(redis, keys) };
}

describe('the deadline index', () => {
  it('gives the due conversations earliest first, at most `limit`, and forgets a cleared one', async () => {
    const { index } = setup();
    await index.set('a', 300);
    await index.set('b', 100);
    await index.set('c', 200);
    await index.set('d', 900);
    expect(await index.due(300, 10)).toEqual(['b', 'c', 'a']);
    expect(await index.due(300, 2)).toEqual(['b', 'c']);
    await index.set('b', null);
    await index.set('c', 1000);
    expect(await index.due(300, 10)).toEqual(['a']);
    expect(await index.count()).toBe(3);
  });

  it('finds the earliest due deadlines past buckets whose earliest moved later', async () => {
    const { keys, index } = setup();
    const [x, y] = idsInTwoBuckets(1);
    await index.set(x!, 10);
    await index.set(x!, 1000);
    await index.set(y!, 50);
    // x's bucket still scores 10, before y's 50, and holds nothing due at 100.
    expect(Number(await redis.zscore(keys.deadlineBuckets(), String(bucketOf(x!))))).toBe(10);
    expect(await index.due(100, 1)).toEqual([y]);
    expect(await index.due(2000, 1)).toEqual([y]);
    expect(await index.due(2000, 5)).toEqual([y, x]);
  });

  it('agrees with a plain map of deadlines after any sequence of changes', async () => {
    const ids = idsInTwoBuckets(3);
    const change = fc.record({ id: fc.constantFrom(...ids), at: fc.option(fc.integer({ min: 0, max: 50 })) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { maxLength: 30 }),
        fc.integer({ min: 0, max: 50 }),
        async (changes, now) => {
          const { keys, index } = setup();
          const model = new Map<string, number>();
          for (const { id, at } of changes) {
            await index.set(id, at);
            if (at === null) model.delete(id);
            else model.set(id, at);
          }
          const due = await index.due(now, 100);
          const expected = [...model].filter(([, at]) => at <= now);
          expect(new Set(due)).toEqual(new Set(expected.map(([id]) => id)));
          expect(due.map((id) => model.get(id))).toEqual(expected.map(([, at]) => at).sort((a, b) => a - b));
          await expectScoresBound(keys, model);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('claiming due deadlines', () => {
  it('takes each due id once, moves it to the lease, and leaves the rest due', async () => {
    const { keys, index } = setup();
    const ids = idsInTwoBuckets(4);
    for (const [n, id] of ids.entries()) await index.set(id, 10 + n);
    await index.set('later', 500);
    const first = await index.claim(100, 5, 1000);
    expect(first).toEqual(ids.slice(0, 5));
    // Claimed: no longer due before the lease; the others still are.
    expect(new Set(await index.due(100, 100))).toEqual(new Set(ids.slice(5)));
    expect(await index.claim(100, 100, 1000)).toEqual(ids.slice(5));
    expect(await index.claim(100, 100, 1000)).toEqual([]);
    // The lease is the deadline now: not fired by then, due again.
    expect(await index.claim(999, 100, 2000)).toEqual(['later']);
    expect(new Set(await index.claim(1000, 100, 3000))).toEqual(new Set(ids));
    expect(await index.count()).toBe(ids.length + 1);
    for (const bucket of new Set(ids.map(bucketOf))) {
      expect(Number(await redis.zscore(keys.deadlineBuckets(), String(bucket)))).toBe(3000);
    }
  });

  it('sets the score of a bucket it reads to its earliest deadline, and reads one left with nothing due no more', async () => {
    const { keys, index } = setup();
    const [x, y, z] = idsInTwoBuckets(2);
    const score = async (id: string) =>
      Number(await redis.zscore(keys.deadlineBuckets(), String(bucketOf(id))));
    await index.set(x!, 10);
    await index.set(y!, 5000);
    await index.set(x!, null);
    await index.set(z!, 20);
    expect(await score(x!)).toBe(10);
    // Nothing due in x's bucket at 100: read once, scored by y's 5000, and z is still claimed.
    expect(await index.claim(100, 10, 1000)).toEqual([z]);
    expect(await score(x!)).toBe(5000);
    // z's bucket is scored by its lease now; clearing z leaves that score until a claim reads it.
    expect(await score(z!)).toBe(1000);
    await index.set(z!, null);
    expect(await index.claim(1000, 10, 2000)).toEqual([]);
    expect(await redis.zscore(keys.deadlineBuckets(), String(bucketOf(z!)))).toBeNull();
  });

  it('several claimers at once share the due ids: each is taken by exactly one', async () => {
    const { index } = setup();
    const ids = Array.from({ length: 600 }, (_, i) => `conv-${i}`);
    await Promise.all(ids.map((id, i) => index.set(id, i)));
    const claims = await Promise.all(Array.from({ length: 8 }, () => index.claim(1000, 100, 5000)));
    const taken = claims.flat();
    expect(taken).toHaveLength(ids.length);
    expect(new Set(taken)).toEqual(new Set(ids));
    for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(100);
  });

  it('agrees with a plain map of deadlines after claims mixed with changes', async () => {
    const ids = idsInTwoBuckets(3);
    const op = fc.oneof(
      fc.record({ id: fc.constantFrom(...ids), at: fc.option(fc.integer({ min: 0, max: 50 })) }),
      fc.record({ claim: fc.integer({ min: 0, max: 50 }), limit: fc.integer({ min: 1, max: 4 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const { keys, index } = setup();
        const model = new Map<string, number>();
        for (const o of ops) {
          if ('claim' in o) {
            const lease = 100 + o.claim;
            const claimed = await index.claim(o.claim, o.limit, lease);
            const due = [...model].filter(([, at]) => at <= o.claim);
            expect(claimed.length).toBe(Math.min(o.limit, due.length));
            for (const id of claimed) {
              expect(model.get(id)).toBeLessThanOrEqual(o.claim);
              model.set(id, lease);
            }
          } else if (o.at === null) {
            await index.set(o.id, null);
            model.delete(o.id);
          } else {
            await index.set(o.id, o.at);
            model.set(o.id, o.at);
          }
        }
        await expectScoresBound(keys, model);
      }),
      { numRuns: 60 },
    );
  });
});
