/**
 * SMS that await their final receipt, one list per hour they were sent in, so that an SMS whose
 * receipt never comes can be marked "delivery unknown" once RECEIPT_TIMEOUT_HOURS have passed
 * (gateway/core/delivery-unknown.ts). Nothing is removed when a receipt comes: the sweep reads
 * the SMS's timeline then, which the receipt has written, and skips it (its memory:
 * docs/scaling.md). A list rather than a set: its entries are packed (a set of strings is a hash
 * table), and an SMS listed twice (a sent write retried) is skipped the second time, as its
 * timeline then has the "unknown" entry.
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';

const HOUR_MS = 3600_000;

/** One sent SMS of a conversation. */
export interface AwaitedSms {
  readonly conversationId: string;
  readonly smsId: string;
}

/** The epoch hour whose list an SMS sent at `at` (epoch ms) joins. */
export function awaitedHour(at: number): number {
  return Math.floor(at / HOUR_MS);
}

/** An SMS's entry in its hour's list (a persisted format): `<conversationId> <smsId>`. */
export function awaitedMember(sms: AwaitedSms): string {
  return `${sms.conversationId} ${sms.smsId}`;
}

export class AwaitedReceipts {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    /** Each hour's list outlives its sweep by this much if no sweep runs (seconds). */
    readonly ttlSeconds: number,
  ) {}

  /** SMS sent at `at` (epoch ms) now await their final receipt. */
  async add(sms: readonly AwaitedSms[], at: number): Promise<void> {
    if (sms.length === 0) return;
    const hour = awaitedHour(at);
    const key = this.keys.awaitingReceipt(hour);
    await Promise.all([
      this.redis.rpush(key, ...sms.map(awaitedMember)),
      this.redis.expire(key, this.ttlSeconds),
      this.redis.zadd(this.keys.awaitingHours(), hour, String(hour)),
    ]);
  }

  /** Hours whose SMS were all sent before `before` (epoch ms), oldest first. */
  async hoursBefore(before: number, limit = 24): Promise<number[]> {
    const last = Math.floor(before / HOUR_MS) - 1;
    const hours = await this.redis.zrangebyscore(this.keys.awaitingHours(), '-inf', last, 'LIMIT', 0, limit);
    return hours.map(Number);
  }

  /**
   * One page of an hour's SMS, each once; the cursor is the offset in the hour's list, and the
   * next one is '0' at the end.
   */
  async page(hour: number, cursor: string, count = 200): Promise<{ cursor: string; sms: AwaitedSms[] }> {
    const offset = /^\d{1,9}$/.test(cursor) ? Number(cursor) : 0;
    const members = await this.redis.lrange(this.keys.awaitingReceipt(hour), offset, offset + count - 1);
    const next = members.length < count ? '0' : String(offset + count);
    const sms = [...new Set(members)].flatMap((m) => {
      const i = m.indexOf(' ');
      return i > 0 ? [{ conversationId: m.slice(0, i), smsId: m.slice(i + 1) }] : [];
    });
    return { cursor: next, sms };
  }

  /** The hour is swept: forget it. */
  async done(hour: number): Promise<void> {
    await Promise.all([
      this.redis.del(this.keys.awaitingReceipt(hour)),
      this.redis.zrem(this.keys.awaitingHours(), String(hour)),
    ]);
  }
}
