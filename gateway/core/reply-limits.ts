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
import type { Language } from '../../templates/var-types.js';
import type { RenderedSms, Renderer } from '../../templates/renderer.js';

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

/**
 * Most parts of one "which request?" SMS. A number may have up to 50 open requests (a mother of
 * several children), each a line of it: it lists, oldest first, those that fit, then how many were
 * left out and the call centre's number. Five UCS2 parts are 335 characters: the first line, one
 * request's line at its longest (MAX_TEXT_LENGTH, dialogue/routing.ts) and that last line.
 */
export const WHICH_REQUEST_MAX_PARTS = 5;

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

/**
 * The "which request?" SMS with as many of `options` (oldest first) as WHICH_REQUEST_MAX_PARTS
 * allows, and the count of the rest; the first is always listed. `listed` is how many are in it.
 */
export function fitWhichRequest(
  renderer: Pick<Renderer, 'render'>,
  language: Language,
  options: readonly string[],
): { sms: RenderedSms; listed: number } {
  const render = (listed: number) =>
    renderer.render('gateway.which-request', language, {
      options: options.slice(0, listed),
      more: options.length - listed,
    });
  const all = render(options.length);
  if (all.segmentation.parts <= WHICH_REQUEST_MAX_PARTS) return { sms: all, listed: options.length };
  let fitting = { sms: render(1), listed: 1 };
  for (let listed = 2; listed < options.length; listed++) {
    const sms = render(listed);
    if (sms.segmentation.parts > WHICH_REQUEST_MAX_PARTS) break;
    fitting = { sms, listed };
  }
  return fitting;
}

/** What the limits keep in Redis (store/replies.ts). */
export type ReplyCounts = Pick<
  ReplyState,
  'takeSms' | 'uncountSms' | 'countUnaccepted' | 'addFolded' | 'folded'
>;

export class ReplyLimits {
  /**
   * SMS not sent for a limit, by template; SMS that listed only what fits their part limit, by
   * template; and replies folded; since the process started.
   */
  readonly counts = { limited: new Map<string, number>(), shortened: new Map<string, number>(), folded: 0 };

  constructor(private readonly store: ReplyCounts) {}

  /** Takes one SMS of `templateId` for `msisdn` today; false once the day's limit is spent. */
  async takeSms(msisdn: string, templateId: string, now: number): Promise<boolean> {
    const limit = REPLY_SMS_LIMITS[templateId];
    if (limit === undefined) return true;
    if (await this.store.takeSms(msisdn, templateId, almatyDay(now), limit)) return true;
    this.counts.limited.set(templateId, (this.counts.limited.get(templateId) ?? 0) + 1);
    return false;
  }

  /** Counts an SMS of `templateId` that left out what did not fit its part limit. */
  shortened(templateId: string): void {
    this.counts.shortened.set(templateId, (this.counts.shortened.get(templateId) ?? 0) + 1);
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

/**
 * `gateway_reply_sms_limited_total{template}`, `gateway_reply_sms_shortened_total{template}` and
 * `gateway_replies_folded_total`, read when scraped.
 */
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
    name: 'gateway_reply_sms_shortened_total',
    help: "SMS a citizen's SMS caused that listed only what fits their part limit and named the call centre for the rest",
    labelNames: ['template'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [template, n] of limits.counts.shortened) this.inc({ template }, n);
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
