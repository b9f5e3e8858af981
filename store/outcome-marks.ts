/**
 * Which outcomes of a conversation have been handed to the `outcomes` queue: bits in the head of
 * its stored string (store/conversation-format.ts `OUTCOME_MARKS`). They make "never two jobs for
 * the same outcome" (CONTRACT.md) hold for as long as the conversation exists, so the queue need
 * not keep a consumed job to recognise a replay by its id (gateway/core/outcomes.ts).
 */
import { HEAD_BYTES, outcomeBit, scriptError, splitConversation } from './conversation-format.js';
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
    return Promise.all(
      refs.map(async ({ conversationId, outcome }) => {
        const head = await this.redis.getrangeBuffer(
          this.keys.conversation(conversationId),
          0,
          HEAD_BYTES - 1,
        );
        if (head.length < HEAD_BYTES) return false;
        return (splitConversation(head).outcomes & outcomeBit(outcome)) !== 0;
      }),
    );
  }

  /**
   * Marks each outcome handed over (store/lua/mark-outcome-1.lua); a gone conversation is skipped.
   * Several on a single Redis in one call (store/lua/mark-outcomes-n.lua).
   */
  async mark(refs: readonly OutcomeRef[]): Promise<void> {
    const one = ({ conversationId, outcome }: OutcomeRef) =>
      this.redis
        .gwMarkOutcome(this.keys.conversation(conversationId), outcomeBit(outcome))
        .catch(scriptError);
    if (refs.length < 2 || this.redis.isCluster) {
      await Promise.all(refs.map(one));
      return;
    }
    const keys = refs.map((r) => this.keys.conversation(r.conversationId));
    const results = await this.redis.gwMarkOutcomes(
      keys.length,
      ...keys,
      ...refs.map((r) => outcomeBit(r.outcome)),
    );
    // A value of another format: marked alone, for its catalogue error.
    await Promise.all(refs.filter((_, i) => results[i] === -2).map(one));
  }
}
