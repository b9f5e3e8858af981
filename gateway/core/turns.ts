/**
 * A number's codeless turn: a reply without a service code (002's `3#1`) cannot say which request
 * it answers, so at most one request of a number asks without a code at a time, and the others
 * wait in order of arrival (docs/dialogues.md). The turn is decided under a lock per number
 * (store/holds.ts). A coded offer never waits for a codeless one.
 */
import { isOpen, type Conversation } from '../../dialogue/conversation.js';
import { needsCodelessTurn } from '../../dialogue/routing.js';
import type { ServiceRegistry } from '../../services/load.js';
import type { ServiceDefinition } from '../../services/schema.js';
import type { ConversationStore } from '../../store/conversations.js';
import type { HoldIndex } from '../../store/holds.js';
import { DUPLICATE_WINDOW_MS } from './inbound.js';
import { isTestId } from './test-traffic.js';

/** A request waiting for its number's turn is looked at again this long after, should no end release it. */
export const TURN_RECHECK_MS = 5 * 60_000;
/**
 * A question without a service code goes no sooner than this after the number's last reply: the
 * window in which a retransmission is told from a new SMS, and a minute for the clocks of two
 * processes to differ.
 */
export const NEXT_QUESTION_AFTER_MS = DUPLICATE_WINDOW_MS + 60_000;
/** How long one number's turn is decided under its lock at most. */
const TURN_LOCK_MS = 10_000;

export interface TurnDeps {
  readonly store: ConversationStore;
  readonly services: ServiceRegistry;
  readonly holds: HoldIndex;
}

export class NumberTurns {
  constructor(private readonly deps: TurnDeps) {}

  /**
   * Whether the conversation waits for its number's codeless turn. A test conversation never does:
   * it is in no number's index, so neither real replies nor real requests meet it.
   */
  takes(service: ServiceDefinition, conv: Conversation): boolean {
    return !isTestId(conv.id) && needsCodelessTurn(service, conv);
  }

  /** Runs `work` holding the number's turn lock, or (`locked` false) while another process holds it. */
  async underLock<T>(msisdn: string, work: (locked: boolean) => Promise<T>): Promise<T> {
    const token = `${process.pid}.${Math.random().toString(36).slice(2)}`;
    const locked = await this.deps.holds.lock(msisdn, token, TURN_LOCK_MS);
    try {
      return await work(locked);
    } finally {
      if (locked) await this.deps.holds.unlock(msisdn, token);
    }
  }

  /**
   * Another request of the number holds the codeless turn: one open and asking without a code, or
   * one waiting for the turn that arrived earlier (the order of arrival decides who is asked first).
   */
  private async taken(conv: Conversation): Promise<boolean> {
    const others = (await this.deps.store.listByMsisdn(conv.msisdn)).filter((c) => c.id !== conv.id);
    const earlier = (c: Conversation) =>
      c.createdAt < conv.createdAt || (c.createdAt === conv.createdAt && c.id < conv.id);
    return others.some((c) => {
      const service = this.deps.services.get(c.service);
      if (!service || !needsCodelessTurn(service, c)) return false;
      return isOpen(c) || (c.state === 'waiting' && earlier(c));
    });
  }

  /**
   * When a question without a code may go to the number: null while another request holds the
   * turn; else once {@link NEXT_QUESTION_AFTER_MS} has passed since the number's last reply, so
   * that any retransmission of that reply arrives before the question exists and none of the
   * citizen's answers to it can be taken for one (docs/dialogues.md). Called under the turn lock:
   * no reply of the number is taken meanwhile (store/lua/reply-seen-2.lua).
   */
  async freeFrom(conv: Conversation): Promise<number | null> {
    if (await this.taken(conv)) return null;
    const last = await this.deps.store.replies.lastTakenAt(conv.msisdn);
    return last === null ? 0 : last + NEXT_QUESTION_AFTER_MS;
  }

  /** The request that held the turn ended: the first one waiting for it, if any. */
  async next(ended: Conversation): Promise<Conversation | undefined> {
    const service = this.deps.services.get(ended.service);
    if (!service || !this.takes(service, ended)) return undefined;
    return (await this.deps.store.listByMsisdn(ended.msisdn))
      .filter((c) => c.state === 'waiting')
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .find((c) => {
        const s = this.deps.services.get(c.service);
        return s !== undefined && needsCodelessTurn(s, c);
      });
  }
}
