/**
 * The claims of (service, externalId) → conversation id: invitations are idempotent on them
 * (CONTRACT.md). Claims are fields of hashes bucketed by a hash of the externalId, as the receipt
 * index does (store/receipts.ts), rather than a key each: under `hash-max-listpack-entries` (512
 * by default) a field costs about its own length (docs/performance.md, memory). Beyond
 * EXTERNAL_ID_BUCKETS × 512 claims per service buckets become real hash tables: raise Redis's
 * setting (this number is persisted in key names). Claims do not expire. A claim's value is the
 * conversation id as a conversation reference (store/conversation-ref.ts).
 */
import DataLoader from 'dataloader';
import { GatewayError } from '../common/errors.js';
import { conversationRef, readConversationRef } from './conversation-ref.js';
import type { Keys } from './keys.js';
import { fnv1a } from './receipts.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

export const EXTERNAL_ID_BUCKETS = 4096;

interface Claim {
  readonly bucket: string;
  readonly externalId: string;
  readonly id: string;
}

export class ExternalIdIndex {
  /**
   * On a single Redis, the claims of one event-loop turn (a burst of invitations) go in one script
   * call (store/lua/claim-ids-n.lua) instead of a command each (docs/performance.md).
   */
  private readonly claims: DataLoader<Claim, string> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    withScripts(redis);
    this.claims = redis.isCluster
      ? undefined
      : new DataLoader((claims) => this.claimMany(claims), { cache: false, maxBatchSize: 256 });
  }

  /** Claims (service, externalId) for `id`, or returns the id that already holds it. */
  async claim(service: string, externalId: string, id: string): Promise<string> {
    const bucket = this.keys.externalIds(service, fnv1a(externalId) % EXTERNAL_ID_BUCKETS);
    if (this.claims) return this.claims.load({ bucket, externalId, id });
    if ((await this.redis.hsetnx(bucket, externalId, conversationRef(id))) === 1) return id;
    return (await this.read(bucket, externalId)) ?? id;
  }

  /** `claim`'s script call for many: per claim its own id, or the id that holds its pair. */
  private async claimMany(claims: readonly Claim[]): Promise<Array<string | Error>> {
    const held = await this.redis.gwClaimIdsBuffer(
      claims.length,
      ...claims.map((c) => c.bucket),
      ...claims.flatMap((c) => [c.externalId, conversationRef(c.id)]),
    );
    return claims.map((c, i) => {
      const raw = held[i];
      if (raw === 1) return c.id;
      if (raw === undefined) return new Error(`no answer for the claim of ${c.externalId}`);
      try {
        return decodeClaim(raw);
      } catch (err) {
        return err as Error;
      }
    });
  }

  /** The conversation id holding (service, externalId), or null; claims nothing. */
  async find(service: string, externalId: string): Promise<string | null> {
    return this.read(this.keys.externalIds(service, fnv1a(externalId) % EXTERNAL_ID_BUCKETS), externalId);
  }

  private async read(bucket: string, externalId: string): Promise<string | null> {
    const raw = await this.redis.hgetBuffer(bucket, externalId);
    return raw ? decodeClaim(raw) : null;
  }
}

/** The conversation id a stored claim holds; GW_STORE_FORMAT for a value of another form. */
function decodeClaim(raw: Buffer): string {
  const id = readConversationRef(raw);
  if (id === null)
    throw new GatewayError('GW_STORE_FORMAT', `stored externalId claim has an unknown form ${raw[0]}`);
  return id;
}
