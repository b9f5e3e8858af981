/**
 * The claims of (service, externalId) → conversation id: invitations are idempotent on them
 * (CONTRACT.md). Claims are fields of hashes bucketed by a hash of the externalId, as the receipt
 * index does (store/receipts.ts), rather than a key each: under `hash-max-listpack-entries` (512
 * by default) a field costs about its own length (docs/performance.md, memory). Beyond
 * EXTERNAL_ID_BUCKETS × 512 claims per service buckets become real hash tables: raise Redis's
 * setting (this number is persisted in key names). Claims do not expire. A claim's value is the
 * conversation id as a conversation reference (store/conversation-ref.ts).
 */
import { GatewayError } from '../common/errors.js';
import { conversationRef, readConversationRef } from './conversation-ref.js';
import type { Keys } from './keys.js';
import { fnv1a } from './receipts.js';
import type { RedisClient } from './connection.js';

export const EXTERNAL_ID_BUCKETS = 4096;

export class ExternalIdIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Claims (service, externalId) for `id`, or returns the id that already holds it. */
  async claim(service: string, externalId: string, id: string): Promise<string> {
    const bucket = this.keys.externalIds(service, fnv1a(externalId) % EXTERNAL_ID_BUCKETS);
    if ((await this.redis.hsetnx(bucket, externalId, conversationRef(id))) === 1) return id;
    return (await this.read(bucket, externalId)) ?? id;
  }

  /** The conversation id holding (service, externalId), or null; claims nothing. */
  async find(service: string, externalId: string): Promise<string | null> {
    return this.read(this.keys.externalIds(service, fnv1a(externalId) % EXTERNAL_ID_BUCKETS), externalId);
  }

  private async read(bucket: string, externalId: string): Promise<string | null> {
    const raw = await this.redis.hgetBuffer(bucket, externalId);
    if (!raw) return null;
    const id = readConversationRef(raw);
    if (id === null)
      throw new GatewayError('GW_STORE_FORMAT', `stored externalId claim has an unknown form ${raw[0]}`);
    return id;
  }
}
