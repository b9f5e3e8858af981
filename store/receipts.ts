/**
 * The receipt index: SMSC message id of one part → the SMS it belongs to, so
 * a delivery receipt finds its conversation (SMPP 3.4 §5.2.23,
 * `receipted_message_id`; Appendix B for the ids in the text).
 *
 * Parts are fields of small hashes rather than a key each (a key per part would cost more than
 * the whole conversation): bucketed by a hash of the id (so Cluster spreads them and each stays
 * under `hash-max-listpack-entries`, where Redis stores a field in ≈ its own length) and by day
 * (so a whole day expires at once, with no TTL per part). A receipt looks in the last
 * `RECEIPT_DAYS` days' buckets. Value (`linkValue`, docs/storage.md): the part's conversation
 * alone. Which SMS and part it is, how many parts and whether it asks consent are in the
 * conversation's sent entry of that SMS, which holds every part's id (store/sent-records.ts
 * `sentPart`): not repeated in each part's link, which is kept 4 days. A hex or decimal id's
 * field is packed (`linkField`).
 */
import { GatewayError } from '../common/errors.js';
import { conversationRef, readConversationRef } from './conversation-ref.js';
import { packHex } from './hex-pack.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

/** Carriers retry a receipt for up to 72 h: a link is found for 3 whole days after its day. */
export const RECEIPT_DAYS = 4;
/**
 * Buckets per carrier and day. Redis keeps a hash compact up to 512 fields (its default
 * `hash-max-listpack-entries`): beyond 4,096 × 512 parts a carrier sends in a day, fields cost
 * about twice as much (docs/scaling.md: raise the Redis setting; this number is persisted in
 * key names).
 */
export const RECEIPT_BUCKETS = 4096;
const DAY_MS = 86_400_000;

/** A part found by its id: its conversation, and the id as it was stored (one of its spellings). */
export interface FoundPart {
  /** `none` for an SMS without a conversation. */
  readonly conversationId: string;
  /** The id without its carrier, as the sender stored it. */
  readonly id: string;
}

/** The parts of one sent SMS (SMSC ids scoped by carrier, sender `receiptId`) and their conversation. */
export interface SmsLinks {
  readonly ids: readonly string[];
  readonly conversationId: string;
}

/** Links to write: bucket key, field (the part's id) and value each, and the buckets' TTL (seconds). */
export interface LinkPlan {
  readonly slots: ReadonlyArray<readonly [key: string, field: Buffer | string, value: Buffer | string]>;
  readonly ttl: number;
}

/**
 * FNV-1a (32 bit): cheap, stable across processes and versions (a bucket derived from it is
 * persisted in a key name: DO NOT CHANGE).
 */
export function fnv1a(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const bucketOf = (id: string): number => fnv1a(id) % RECEIPT_BUCKETS;

/**
 * A link's stored value (`decodeLink` reads it; docs/storage.md): the part's conversation id as a
 * conversation reference (store/conversation-ref.ts), and nothing else: a value is stored for
 * every part of every SMS for 4 days.
 */
export const linkValue = conversationRef;

/**
 * A part's field in its bucket: the SMSC id (its carrier is in the key's name). Carriers' ids are
 * mostly hex or decimal (decimal digits are hex digits too): such an id of 3 to 32 digits, all
 * lower-case or all upper-case, is packed two digits to a byte after a head byte 0x80 | case
 * (0x20: upper-case) | (digits - 1). A 10-character id then takes 6 bytes instead of 10, for
 * every part kept 4 days (docs/performance.md, memory). No text field starts with such a byte
 * (0x80–0xBF never starts a UTF-8 character), so the forms cannot meet; any other id stays text.
 * DO NOT CHANGE: fields are persisted.
 */
export function linkField(id: string): Buffer | string {
  const upper = !FIELD_LOWER_HEX.test(id) && FIELD_UPPER_HEX.test(id);
  if (!upper && !FIELD_LOWER_HEX.test(id)) return id;
  return packHex(0x80 | (upper ? 0x20 : 0) | (id.length - 1), id);
}

const FIELD_LOWER_HEX = /^[0-9a-f]{3,32}$/;
const FIELD_UPPER_HEX = /^[0-9A-F]{3,32}$/;

/** The conversation id of a stored link (`linkValue`), or null when `raw` is not of its form. */
export const decodeLink = readConversationRef;

export class ReceiptIndex {
  /**
   * `clock` is wall time, not the dialogue's injectable clock: the buckets expire by Redis TTL,
   * which runs on real time (tests that move the dialogue clock days ahead still match receipts).
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly clock: () => number = Date.now,
  ) {
    withScripts(redis);
  }

  /**
   * The bucket of a carrier-scoped id and the id within it (the key names the carrier), to be
   * stored as `linkField(id)`.
   */
  private slot(scopedId: string, day: number): [key: string, id: string] {
    const colon = scopedId.indexOf(':');
    const carrier = scopedId.slice(0, colon);
    return [this.keys.receiptBucket(carrier, bucketOf(scopedId), day), scopedId.slice(colon + 1)];
  }

  /** Records the parts of one SMS. */
  async link(links: SmsLinks): Promise<void> {
    await this.write(this.plan([links]));
  }

  /**
   * Where the parts of `sms` go (bucket, field, value) and for how long, without writing them. A
   * bucket's TTL ends where its day's window does, the same for every link it takes, so the
   * scripts set it once per bucket (`EXPIRE … NX`, store/lua/link-n.lua, store/lua/sent-n.lua).
   * The parts of one SMS share one value, the same object, which store/sent-records.ts sends once.
   */
  plan(sms: readonly SmsLinks[]): LinkPlan {
    const now = this.clock();
    const day = Math.floor(now / DAY_MS);
    const ttl = Math.ceil(((day + RECEIPT_DAYS) * DAY_MS - now) / 1000);
    const slots: Array<readonly [string, Buffer | string, Buffer | string]> = [];
    for (const { ids, conversationId } of sms) {
      const value = linkValue(conversationId);
      for (const id of ids) {
        const [key, partId] = this.slot(id, day);
        slots.push([key, linkField(partId), value]);
      }
    }
    return { slots, ttl };
  }

  /**
   * Writes a plan: one script call for all its parts on a single Redis, one per part on Cluster
   * (buckets lie in many slots). The sender's writes go through store/sent-records.ts
   * instead, with the SMS's records.
   */
  async write({ slots, ttl }: LinkPlan): Promise<void> {
    if (this.redis.isCluster) {
      await Promise.all(slots.map(([key, field, value]) => this.redis.gwLink(1, key, ttl, field, value)));
      return;
    }
    if (slots.length === 0) return;
    await this.redis.gwLink(
      slots.length,
      ...slots.map(([key]) => key),
      ttl,
      ...slots.flatMap(([, field, value]) => [field, value]),
    );
  }

  /**
   * The part one of `scopedIds` (spellings of one id) names, newest day first, with the spelling
   * found; null if none. A value of another form is GW_STORE_FORMAT.
   */
  async find(scopedIds: readonly string[]): Promise<FoundPart | null> {
    const today = Math.floor(this.clock() / DAY_MS);
    const slots = scopedIds.flatMap((id) =>
      Array.from({ length: RECEIPT_DAYS }, (_, back) => this.slot(id, today - back)),
    );
    const values = await Promise.all(slots.map(([key, id]) => this.redis.hgetBuffer(key, linkField(id))));
    const at = values.findIndex((v) => v !== null);
    const raw = values[at];
    if (!raw) return null;
    const conversationId = decodeLink(raw);
    if (conversationId === null)
      throw new GatewayError('GW_STORE_FORMAT', `stored receipt link has an unknown form ${raw[0]}`);
    return { conversationId, id: (slots[at] as [string, string])[1] };
  }
}
