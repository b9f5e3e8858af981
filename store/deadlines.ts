/**
 * The deadline index (docs/decisions/0002-deadlines.md): which conversation waits until when, so
 * the sweeper (gateway/core/sweeper.ts) finds those due. Deadlines are fields of hashes bucketed
 * by a hash of the conversation id rather than members of one sorted set: under
 * `hash-max-listpack-entries` (512 by default) a field costs about its own length, a sorted set
 * member several times more (docs/performance.md, memory). A small sorted set scores each bucket
 * at or before its earliest deadline: setting a deadline lowers the score where it is earlier,
 * and a claim, which reads the bucket anyway, sets it exact (store/lua/includes/deadline.lua), so
 * setting one never reads a bucket of thousands. One entry per
 * conversation: setting a deadline overwrites it, no old timer to find. Beyond 512 deadlines a
 * bucket (DEADLINE_BUCKETS × 512 in all) is a real hash table: raise Redis's setting (this number
 * is persisted in key names).
 */
import type { Keys } from './keys.js';
import { fnv1a } from './receipts.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

export const DEADLINE_BUCKETS = 4096;

/** Deadlines one page of `DeadlineIndex.page` looks at (then ends at its bucket), and buckets read at once. */
const PAGE_ENTRIES = 20_000;
const PAGE_BATCH = 64;

/** Where a page of the deadline index starts: a bucket, and how many of its matches to skip. */
export interface DeadlinePosition {
  readonly bucket: number;
  readonly offset: number;
}

/**
 * Buckets one claim call reads at most: each is read whole, so this bounds how long one call holds
 * Redis when buckets are large (millions of open conversations put thousands in each).
 */
const CLAIM_BUCKETS = 16;

export class DeadlineIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    withScripts(redis);
  }

  /** The bucket of `id`: its number and key (store/lua/includes/deadline.lua). */
  bucketOf(id: string): { readonly bucket: number; readonly key: string } {
    const bucket = fnv1a(id) % DEADLINE_BUCKETS;
    return { bucket, key: this.keys.deadlineBucket(bucket) };
  }

  /** Sets the deadline of `id` (epoch ms), or clears it (null). */
  async set(id: string, at: number | null): Promise<void> {
    const { bucket, key } = this.bucketOf(id);
    await this.redis.gwDeadline(key, this.keys.deadlineBuckets(), id, at === null ? '' : String(at), bucket);
  }

  /** Ids whose deadline is at or before `now`, earliest first, at most `limit`. */
  async due(now: number, limit: number): Promise<string[]> {
    // Buckets in the order of their bound, a page at a time, until the next page's bound is after
    // the `limit`-th earliest due deadline found: none of its buckets holds an earlier one.
    const due: Array<[id: string, at: number]> = [];
    for (let offset = 0; ; offset += limit) {
      const page = await this.redis.zrangebyscore(
        this.keys.deadlineBuckets(),
        '-inf',
        now,
        'WITHSCORES',
        'LIMIT',
        offset,
        limit,
      );
      if (page.length === 0) break;
      due.sort((a, b) => a[1] - b[1]);
      if (due.length >= limit && due[limit - 1]![1] < Number(page[1])) break;
      const buckets = page.filter((_, i) => i % 2 === 0);
      const contents = await Promise.all(
        buckets.map((b) => this.redis.hgetall(this.keys.deadlineBucket(Number(b)))),
      );
      for (const fields of contents)
        for (const [id, at] of Object.entries(fields)) if (Number(at) <= now) due.push([id, Number(at)]);
      if (buckets.length < limit) break;
    }
    return due
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
  }

  /**
   * Claims up to `limit` due ids (deadline at or before `now`) for one sweep, earliest first: their
   * deadline in the index becomes `leaseUntil`, so another sweeping process takes others, and an id
   * this one does not fire falls due again then (store/lua/claim-due-1.lua).
   */
  async claim(now: number, limit: number, leaseUntil: number): Promise<string[]> {
    const claimed: string[] = [];
    for (;;) {
      const ids = await this.redis.gwClaimDue(
        this.keys.deadlineBuckets(),
        this.keys.deadlineBucketPrefix(),
        now,
        limit - claimed.length,
        leaseUntil,
        CLAIM_BUCKETS,
      );
      const more = ids.at(-1) === '+';
      claimed.push(...(more ? ids.slice(0, -1) : ids));
      if (!more || claimed.length >= limit) return claimed;
    }
  }

  /**
   * A page of the ids whose deadline is after `after` and at or before `upTo` (epoch ms), bucket by
   * bucket from `from` (not in time order; in a bucket by deadline, then id): the call centre's
   * deadline worklists read a day this way rather than keep a list of their own. It stops at the
   * end of the bucket where it has looked at `maxEntries` deadlines, so a page may hold fewer than
   * `limit` with a position to go on from; `next` is null once the last bucket is read. An offset
   * counts within its bucket, so a deadline set or cleared there between pages may shift a page
   * by one, as in any offset paging.
   */
  async page(
    after: number,
    upTo: number,
    from: DeadlinePosition,
    limit: number,
    maxEntries = PAGE_ENTRIES,
  ): Promise<{ ids: string[]; next: DeadlinePosition | null; examined: number }> {
    const ids: string[] = [];
    let { bucket, offset } = from;
    let examined = 0;
    while (bucket < DEADLINE_BUCKETS && ids.length < limit && examined < maxEntries) {
      const batch = Array.from(
        { length: Math.min(PAGE_BATCH, DEADLINE_BUCKETS - bucket) },
        (_, i) => bucket + i,
      );
      const contents = await Promise.all(batch.map((b) => this.redis.hgetall(this.keys.deadlineBucket(b))));
      for (const fields of contents) {
        const entries = Object.entries(fields);
        examined += entries.length;
        const matches = entries
          .map(([id, at]) => [id, Number(at)] as const)
          .filter(([, at]) => at > after && at <= upTo)
          .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
        const want = limit - ids.length;
        const rest = matches.slice(offset);
        ids.push(...rest.slice(0, want).map(([id]) => id));
        if (rest.length > want) return { ids, next: { bucket, offset: offset + want }, examined };
        bucket++;
        offset = 0;
        if (ids.length >= limit || examined >= maxEntries) break;
      }
    }
    return { ids, next: bucket < DEADLINE_BUCKETS ? { bucket, offset } : null, examined };
  }

  /** How many conversations have a deadline (benchmarks, operations). */
  async count(): Promise<number> {
    const buckets = await this.redis.zrange(this.keys.deadlineBuckets(), 0, -1);
    const sizes = await Promise.all(buckets.map((b) => this.redis.hlen(this.keys.deadlineBucket(Number(b)))));
    return sizes.reduce((a, b) => a + b, 0);
  }
}
