/**
 * MSISDN → the ids of its conversations: replies are routed by it (gateway/core/replies.ts) and
 * agents look numbers up (GET /v1/conversations?msisdn=). A number is a field of one of
 * MSISDN_BUCKETS hashes, its value the ids of its conversations separated by spaces, oldest
 * first, rather than a sorted set of its own (docs/performance.md, memory): under
 * `hash-max-listpack-entries` (512 by default) a field costs about its own length. A value must
 * stay within `hash-max-listpack-value` (64 bytes: three ids) or the
 * whole bucket becomes a real hash table: a number with more conversations moves them to a sorted
 * set of its own (keys.byMsisdn), where the next ones go too. Both are read.
 */
import DataLoader from 'dataloader';
import type { Keys } from './keys.js';
import { fnv1a } from './receipts.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

/** 16,384 buckets hold ≈ 8 million numbers compactly (512 each); persisted in key names. */
export const MSISDN_BUCKETS = 16384;
/** Redis's default `hash-max-listpack-value`: a longer value turns its bucket into a hash table. */
const MAX_VALUE_BYTES = 64;

/**
 * When conversation `id` was created: the time its id starts with (store/conversation-format.ts
 * `newConversationId`: 8 base-36 characters, then 10 random ones), else `fallback`. The score of
 * an id moved from a field to its number's sorted set, which readers cut at their limit.
 */
function createdAtOf(id: string, fallback: number): number {
  return /^[0-9a-z]{18}$/.test(id) ? parseInt(id.slice(0, 8), 36) : fallback;
}

/** One conversation's number to index. */
interface Add {
  readonly msisdn: string;
  readonly id: string;
  readonly createdAt: number;
}

export class MsisdnIndex {
  /**
   * On a single Redis, the numbers indexed in one event-loop turn (an outbox hand-over's) go in
   * one script call (store/lua/msisdn-add-many-n.lua) instead of one each.
   */
  private readonly adds: DataLoader<Add, string | null> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    withScripts(redis);
    this.adds = redis.isCluster
      ? undefined
      : new DataLoader((adds) => this.addMany(adds), { cache: false, maxBatchSize: 256 });
  }

  private bucket(msisdn: string): string {
    return this.keys.msisdnBucket(fnv1a(msisdn) % MSISDN_BUCKETS);
  }

  /**
   * Adds conversation `id` (created at `createdAt`) to its number: to the number's field while
   * it stays short, else to the number's sorted set with the ids the field held (the field is
   * removed only once they are there: a reader meanwhile finds them in one or both).
   */
  async add(msisdn: string, id: string, createdAt: number): Promise<void> {
    const set = this.keys.byMsisdn(msisdn);
    const bucket = this.bucket(msisdn);
    let overflow: string | null;
    if (this.adds) overflow = await this.adds.load({ msisdn, id, createdAt });
    else {
      // Cluster: the sorted set lies in another slot than the bucket: looked at first, on its own.
      if ((await this.redis.exists(set)) === 1) {
        await this.redis.zadd(set, createdAt, id);
        return;
      }
      overflow = await this.redis.gwMsisdnAdd(1, bucket, msisdn, id, MAX_VALUE_BYTES, createdAt);
    }
    if (overflow === null) return;
    const held = overflow.split(' ').filter((i) => i !== '' && i !== id);
    await this.redis.zadd(set, ...held.flatMap((i) => [createdAtOf(i, createdAt), i]), createdAt, id);
    await this.redis.gwMsisdnRemove(bucket, msisdn, ...held);
  }

  /** `add`'s script call for many conversations: per conversation null, or the ids its field holds. */
  private async addMany(adds: readonly Add[]): Promise<Array<string | null>> {
    const keys = adds.flatMap((a) => [this.bucket(a.msisdn), this.keys.byMsisdn(a.msisdn)]);
    const args = adds.flatMap((a) => [a.msisdn, a.id, a.createdAt]);
    const overflows = await this.redis.gwMsisdnAddMany(keys.length, ...keys, MAX_VALUE_BYTES, ...args);
    return adds.map((_, i) => overflows[i] ?? null);
  }

  /** The ids of the number's conversations, newest first as far as the index knows (at most `limit` from the set). */
  async ids(msisdn: string, limit: number): Promise<string[]> {
    // The field before the set: a move (`add`) writes the set before it clears the field, so ids
    // moving meanwhile are in one or the other. One connection keeps that order on a single
    // Redis; on Cluster the two keys are on different nodes, so the set is read once the field
    // has answered.
    const field = this.redis.hget(this.bucket(msisdn), msisdn);
    const set = (async () => {
      if (this.redis.isCluster) await field;
      return this.redis.zrevrange(this.keys.byMsisdn(msisdn), 0, limit - 1);
    })();
    const [inBucket, inSet] = await Promise.all([field, set]);
    const inField = inBucket
      ? inBucket
          .split(' ')
          .filter((i) => i !== '')
          .reverse()
      : [];
    return [...new Set([...inField, ...inSet])];
  }

  /** Forgets ids whose conversations are gone (expired after their retention). */
  async remove(msisdn: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await Promise.all([
      this.redis.gwMsisdnRemove(this.bucket(msisdn), msisdn, ...ids),
      this.redis.zrem(this.keys.byMsisdn(msisdn), ...ids),
    ]);
  }
}
