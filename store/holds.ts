/**
 * What waits for its time (CONTRACT.md, state `waiting` and `SEND_WINDOW`): conversations not sent
 * yet, scored by when to try them (the window's opening, or a re-check of the number's turn), and
 * unsolicited SMS held for the window, scored by its opening. Ties keep the order of arrival:
 * conversation ids begin with their creation time, and a held SMS's member begins with its
 * conversation id. The sweeper (gateway/core/sweeper.ts) takes what is due.
 */
import { smsOutJob, type SmsOutJob } from '../queues/jobs.js';
import { checkedJson } from './checked.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';

const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface HeldSms {
  /** The member as stored: remove it by this exact string. */
  readonly raw: string;
  readonly sms: SmsOutJob;
}

export interface HoldCounts {
  readonly waiting: number;
  readonly waitingOverdue: number;
  readonly held: number;
  readonly heldOverdue: number;
}

export class HoldIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Try sending conversation `id` at `at` (epoch ms); null: it waits no more. */
  async wait(id: string, at: number | null): Promise<void> {
    if (at === null) await this.redis.zrem(this.keys.waiting(), id);
    else await this.redis.zadd(this.keys.waiting(), at, id);
  }

  /** Waiting conversation ids due at `now`, earliest first, then in order of arrival. */
  async dueWaiting(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.waiting(), '-inf', now, 'LIMIT', 0, limit);
  }

  /** When conversation `id` is next tried, or null when it does not wait. */
  async waitingUntil(id: string): Promise<number | null> {
    const score = await this.redis.zscore(this.keys.waiting(), id);
    return score === null ? null : Number(score);
  }

  /** Holds an SMS until `at`; holding it twice keeps one. */
  async hold(sms: SmsOutJob, at: number): Promise<void> {
    await this.redis.zadd(this.keys.heldSms(), at, JSON.stringify(sms));
  }

  /** Held SMS due at `now`, in order. */
  async dueSms(now: number, limit: number): Promise<HeldSms[]> {
    const raws = await this.redis.zrangebyscore(this.keys.heldSms(), '-inf', now, 'LIMIT', 0, limit);
    return raws.map((raw) => ({ raw, sms: checkedJson<SmsOutJob>('held SMS', smsOutJob, raw) }));
  }

  /** Moves a held SMS to `at`, or (null) removes it once it is in `sms-out`. */
  async rehold(raw: string, at: number | null): Promise<void> {
    if (at === null) await this.redis.zrem(this.keys.heldSms(), raw);
    else await this.redis.zadd(this.keys.heldSms(), at, raw);
  }

  /**
   * For /metrics, in one round trip: conversations waiting and SMS held, and of each those due
   * before `overdueBefore` (epoch ms) that are still there (the sweeper is not releasing them).
   */
  async counts(overdueBefore: number): Promise<HoldCounts> {
    const replies = (await this.redis
      .multi()
      .zcard(this.keys.waiting())
      .zcount(this.keys.waiting(), '-inf', `(${overdueBefore}`)
      .zcard(this.keys.heldSms())
      .zcount(this.keys.heldSms(), '-inf', `(${overdueBefore}`)
      .exec()) as Array<[Error | null, number]>;
    const [waiting, waitingOverdue, held, heldOverdue] = replies.map(([err, n]) => {
      if (err) throw err;
      return Number(n);
    }) as [number, number, number, number];
    return { waiting, waitingOverdue, held, heldOverdue };
  }

  /** Takes the number's turn lock for `ms`; false when another process holds it. */
  async lock(msisdn: string, token: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.keys.turnLock(msisdn), token, 'PX', ms, 'NX')) === 'OK';
  }

  async unlock(msisdn: string, token: string): Promise<void> {
    await this.redis.eval(UNLOCK, 1, this.keys.turnLock(msisdn), token);
  }
}
