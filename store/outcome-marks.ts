/**
 * Which outcomes of a conversation have been handed to the `outcomes` queue: bits in the head of
 * its stored string (store/conversation-format.ts `OUTCOME_MARKS`). They make "never two jobs for
 * the same outcome" (CONTRACT.md) hold for as long as the conversation exists, so the queue need
 * not keep a consumed job to recognise a replay by its id (gateway/core/outcomes.ts).
 */
import { outcomeBit, scriptError } from './conversation-format.js';
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';

/** One outcome of one conversation. */
export interface OutcomeRef {
  readonly conversationId: string;
  readonly outcome: string;
}

export class OutcomeMarks {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<Keys, 'conversation'>,
  ) {}

  /**
   * Per outcome: whether its conversation has it marked handed over (false also when the
   * conversation is gone: its outcomes then have nothing to be checked against).
   */
  async marked(refs: readonly OutcomeRef[]): Promise<boolean[]> {
    const bits = await this.each(refs, (keys) =>
      this.redis.gwMarkOutcome(keys.length, ...keys, ...keys.map(() => 0)),
    );
    return refs.map(({ outcome }, i) => {
      const marks = bits[i] ?? -1;
      return marks >= 0 && (marks & outcomeBit(outcome)) !== 0;
    });
  }

  /** Marks each outcome handed over (store/lua/mark-outcome-n.lua); a gone conversation is skipped. */
  async mark(refs: readonly OutcomeRef[]): Promise<void> {
    const bits = refs.map(({ outcome }) => outcomeBit(outcome));
    await this.each(refs, (keys, from) =>
      this.redis.gwMarkOutcome(keys.length, ...keys, ...bits.slice(from, from + keys.length)),
    );
  }

  /**
   * `call` for the conversations of `refs`: once for all on a single Redis, once per conversation
   * on Cluster (their keys lie in many slots). The results in the order of `refs`.
   */
  private async each(
    refs: readonly OutcomeRef[],
    call: (keys: string[], from: number) => Promise<number[]>,
  ): Promise<number[]> {
    if (refs.length === 0) return [];
    const keys = refs.map(({ conversationId }) => this.keys.conversation(conversationId));
    if (!this.redis.isCluster) return call(keys, 0).catch(scriptError);
    const each = await Promise.all(keys.map((key, i) => call([key], i).catch(scriptError)));
    return each.map(([result]) => result ?? -1);
  }
}
