/**
 * What the reply path keeps between SMS besides conversations: the parts of a multipart reply
 * until every part is in (store/lua/reassemble-1.lua), and the day's mark that a number was told
 * it has no open request (so it is told once a day).
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './redis.js';
import { withScripts } from './scripts.js';

export class ReplyState {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<Keys, 'replyParts' | 'noRequestSent'>,
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

  /** Marks that `msisdn` is told it has no open request; true only for the first mark in `ttlSeconds`. */
  async noRequestOnce(msisdn: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.keys.noRequestSent(msisdn), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  /** Forgets the mark (the SMS could not be handed over): the next reply may try again. */
  async forgetNoRequest(msisdn: string): Promise<void> {
    await this.redis.del(this.keys.noRequestSent(msisdn));
  }
}
