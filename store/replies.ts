/**
 * What the reply path keeps between SMS besides conversations: the parts of a multipart reply
 * until every part is in (store/lua/reassemble-1.lua), the SMS replies caused per number and
 * day, and each conversation's unaccepted replies per day and those folded (reply-limits.ts).
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

export class ReplyState {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<Keys, 'replyParts' | 'replySms' | 'replyFold' | 'replySeen' | 'turnLock'>,
  ) {
    withScripts(redis);
  }

  /**
   * Stores part `part` (1-based, its payload as hex without the UDH) of the reply `ref` of
   * `msisdn` with `total` parts; the payloads in part order once every part is in, else null.
   * Parts wait `ttlSeconds` for the rest.
   */
  async reassemble(
    msisdn: string,
    ref: string,
    part: number,
    total: number,
    payloadHex: string,
    ttlSeconds: number,
  ): Promise<string[] | null> {
    return this.redis.gwReassemble(
      this.keys.replyParts(msisdn, `${ref}:${total}`),
      part,
      payloadHex,
      total,
      ttlSeconds,
    );
  }

  /**
   * Takes reply `id` of `msisdn` received at `receivedAt`, by the inbound job `delivery`:
   * `taken` (a new SMS, or that job's own retry), `retransmission` (the same `id` was taken less
   * than `windowMs` from it: the SMSC sent it again), or `busy` (the number's turn is being
   * decided: try again in a moment). Kept `ttlMs` after the number's last reply.
   */
  async take(
    msisdn: string,
    id: string,
    receivedAt: number,
    delivery: string,
    windowMs: number,
    ttlMs: number,
  ): Promise<'taken' | 'retransmission' | 'busy'> {
    const result = await this.redis.gwReplySeen(
      this.keys.replySeen(msisdn),
      this.keys.turnLock(msisdn),
      id,
      receivedAt,
      delivery,
      windowMs,
      ttlMs,
    );
    return result === 1 ? 'taken' : result === 0 ? 'retransmission' : 'busy';
  }

  /** When the number's last reply was received (epoch ms), or null when none is kept. */
  async lastTakenAt(msisdn: string): Promise<number | null> {
    const last = await this.redis.hget(this.keys.replySeen(msisdn), 'last');
    return last === null ? null : Number(last);
  }

  /**
   * Takes one SMS of `templateId` caused by a reply from `msisdn` on `day`, unless `limit` are
   * already taken (gateway/core/reply-limits.ts): true when taken. A refusal counts nothing, so
   * steps refused while others hold the last SMS cannot spend the day's limit. Kept two days.
   */
  async takeSms(msisdn: string, templateId: string, day: number, limit: number): Promise<boolean> {
    return (await this.redis.gwTake(this.keys.replySms(msisdn, templateId, day), limit, 2 * 86_400)) === 1;
  }

  /** Takes back one count (the SMS could not be handed over): a retry may send it. */
  async uncountSms(msisdn: string, templateId: string, day: number): Promise<void> {
    await this.redis.decr(this.keys.replySms(msisdn, templateId, day));
  }

  /** Counts an unaccepted reply of a conversation on `day`; the day's count so far. Kept `ttlSeconds`. */
  async countUnaccepted(conversationId: string, day: number, ttlSeconds: number): Promise<number> {
    const key = this.keys.replyFold(conversationId);
    const [[, count]] = (await this.redis
      .multi()
      .hincrby(key, `d${day}`, 1)
      .expire(key, ttlSeconds)
      .exec()) as [[Error | null, number], unknown];
    return count;
  }

  /** Counts a reply folded into the conversation's count instead of its timeline. */
  async addFolded(conversationId: string): Promise<void> {
    await this.redis.hincrby(this.keys.replyFold(conversationId), 'folded', 1);
  }

  /** Replies of a conversation folded into a count. */
  async folded(conversationId: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.replyFold(conversationId), 'folded')) ?? 0);
  }
}
