/**
 * No amplification: an SMS the gateway sends because a citizen's SMS caused it (not the acts' own
 * texts) goes out at most a few times a day to one number, whatever the number sends; beyond, the
 * replies are stored and counted (`gateway_inbound_processed_total{result="reply-sms-limited"}`), not
 * answered. And a conversation's timeline keeps the first unaccepted replies of a day in full; the
 * rest are folded into a count, so a flood costs the same per reply and the conversation stays small.
 * The limits are here, in one table, and in docs/operations.md.
 */
import { Counter, type Registry } from 'prom-client';
import type { ReplyState } from '../../store/replies.js';

/** SMS per number per day (Almaty day), by template. */
export const REPLY_SMS_LIMITS: Readonly<Record<string, number>> = {
  /** "Not understood, send one of …" (also limited per conversation by the engine). */
  'gateway.not-understood': 3,
  /** "No reply is needed" (a notice-only service, or after its end). */
  'gateway.no-reply-needed': 2,
  /** "Which request?" when a reply fits several open ones. */
  'gateway.which-request': 3,
  /** "The deadline has passed." */
  'gateway.after-deadline': 2,
  /** "You have no open request." */
  'gateway.no-open-request': 1,
};

/** Unaccepted replies per conversation per day kept whole in its timeline; the rest are counted. */
export const TIMELINE_REPLIES_PER_DAY = 20;

/** Days a fold count is kept: the conversation's own retention bounds it further. */
const FOLD_TTL_S = 120 * 86_400;
const ALMATY_OFFSET_MS = 5 * 3_600_000;

/** The Almaty day of `now` as a number (days since the epoch). */
export function almatyDay(now: number): number {
  return Math.floor((now + ALMATY_OFFSET_MS) / 86_400_000);
}

/** Whether `templateId` is an SMS a citizen's SMS causes, limited here. */
export function isReplySms(templateId: string): boolean {
  return Object.hasOwn(REPLY_SMS_LIMITS, templateId);
}

/** What the limits keep in Redis (store/replies.ts). */
export type ReplyCounts = Pick<
  ReplyState,
  'takeSms' | 'uncountSms' | 'countUnaccepted' | 'addFolded' | 'folded'
>;

export class ReplyLimits {
  /** SMS not sent for a limit, by template, and replies folded, since the process started. */
  readonly counts = { limited: new Map<string, number>(), folded: 0 };

  constructor(private readonly store: ReplyCounts) {}

  /** Takes one SMS of `templateId` for `msisdn` today; false once the day's limit is spent. */
  async takeSms(msisdn: string, templateId: string, now: number): Promise<boolean> {
    const limit = REPLY_SMS_LIMITS[templateId];
    if (limit === undefined) return true;
    if (await this.store.takeSms(msisdn, templateId, almatyDay(now), limit)) return true;
    this.counts.limited.set(templateId, (this.counts.limited.get(templateId) ?? 0) + 1);
    return false;
  }

  /** Gives back an SMS that could not be queued after all, so a retry may send it. */
  async returnSms(msisdn: string, templateId: string, now: number): Promise<void> {
    if (isReplySms(templateId)) await this.store.uncountSms(msisdn, templateId, almatyDay(now));
  }

  /**
   * Counts an unaccepted reply of a conversation; true when it is to be folded (the day's
   * TIMELINE_REPLIES_PER_DAY are already in the timeline), and then it is counted as folded.
   */
  async fold(conversationId: string, now: number): Promise<boolean> {
    const n = await this.store.countUnaccepted(conversationId, almatyDay(now), FOLD_TTL_S);
    if (n <= TIMELINE_REPLIES_PER_DAY) return false;
    await this.store.addFolded(conversationId);
    this.counts.folded++;
    return true;
  }

  /** Replies of a conversation folded into a count rather than kept in its timeline. */
  folded(conversationId: string): Promise<number> {
    return this.store.folded(conversationId);
  }
}

/** `gateway_reply_sms_limited_total{template}` and `gateway_replies_folded_total`, read when scraped. */
export function registerReplyLimitMetrics(registry: Registry, limits: ReplyLimits): void {
  new Counter({
    name: 'gateway_reply_sms_limited_total',
    help: "SMS a citizen's SMS would have caused, not sent: the number's daily limit was spent",
    labelNames: ['template'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [template, n] of limits.counts.limited) this.inc({ template }, n);
    },
  });
  new Counter({
    name: 'gateway_replies_folded_total',
    help: "Unaccepted replies counted in their conversation's fold instead of its timeline",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(limits.counts.folded);
    },
  });
}
