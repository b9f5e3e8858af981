/**
 * The claims of (service, externalId) → conversation id: invitations are idempotent on them
 * (CONTRACT.md). A string key per claim cost ≈ 120 bytes in Redis; claims are instead fields of
 * hashes bucketed by a hash of the externalId, as the receipt index does (store/receipts.ts):
 * under `hash-max-listpack-entries` (512 by default) a field costs about its own length.
 * EXTERNAL_ID_BUCKETS buckets per service hold ≈ 2 million claims compactly; beyond that a field
 * costs ≈ 80 bytes (raise Redis's setting, or this number for a new deployment: it is persisted).
 * Claims are kept as long as before (no expiry).
 */
import type { Keys } from './keys.js';
import { fnv1a } from './receipts.js';
import type { RedisClient } from './redis.js';

export const EXTERNAL_ID_BUCKETS = 4096;

export class ExternalIdIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Claims (service, externalId) for `id`, or returns the id that already holds it. */
  async claim(service: string, externalId: string, id: string): Promise<string> {
    const bucket = this.keys.externalIds(service, fnv1a(externalId) % EXTERNAL_ID_BUCKETS);
    if ((await this.redis.hsetnx(bucket, externalId, id)) === 1) return id;
    return (await this.redis.hget(bucket, externalId)) ?? id;
  }

  /** The conversation id holding (service, externalId), or null; claims nothing. */
  async find(service: string, externalId: string): Promise<string | null> {
    const bucket = this.keys.externalIds(service, fnv1a(externalId) % EXTERNAL_ID_BUCKETS);
    return this.redis.hget(bucket, externalId);
  }
}
