/**
 * What the sender writes once the SMSC accepted an SMS — its parts' receipt links, the
 * `sms-status` sent entry in its timeline that marks it sent (its record deleted, or marked sent
 * where there is no such entry to find), the campaign's `sent` counter, its entry among the SMS
 * awaiting a final receipt — written for all the SMS accepted in one event-loop turn together:
 * one script call on a single Redis (store/conversations.ts `recordSentMany`,
 * store/lua/sent-n.lua), instead of round trips per SMS. Then the invitations' `sent` outcome is
 * handed over: after the links, so a receipt can always find its SMS and a stop in between never
 * makes a retried job send it again. The writes of each SMS complete before its job does, so a
 * retried job finds the SMS sent (and hands `sent` over if that had not happened). The deadline an
 * invitation's acceptance starts goes to the deadline index in the same call, and its readers
 * count it from the sent entry (store/conversations.ts): no step is written for it.
 */
import DataLoader from 'dataloader';
import type { SmsOutJob } from '../../queues/jobs.js';
import { outcomeBit, type SentSms, type StartedDeadline } from '../../store/conversations.js';
import { sentEntry } from '../../store/timeline-entry.js';
import { sentOutcome } from './outcomes.js';
import type { SubmitResult } from './ports.js';
import type { Core } from './runtime.js';

/**
 * How long an SMS's record is kept: a claim, the parts accepted before a drop, `failed`, or,
 * where the timeline holds no compact sent entry, the SMS marked sent with its template and
 * campaign (receipts need them for up to 72 h; a re-hand-over finds it and sends nothing).
 */
export const RECEIPT_TTL_SECONDS = 7 * 86_400;

/**
 * The receipt index id of one part: SMSC message ids are unique per carrier only, so the
 * carrier scopes them. `id` is one spelling of the id (parsers/receipt.ts `messageIdKeys`).
 */
export function receiptId(carrier: string | undefined, id: string): string {
  return `${carrier ?? '-'}:${id.trim().toLowerCase()}`;
}

interface Accepted {
  readonly data: SmsOutJob;
  readonly result: SubmitResult;
}

export class SentWrites {
  private readonly loader: DataLoader<Accepted, true>;

  constructor(private readonly core: Core) {
    this.loader = new DataLoader((accepted) => this.write(accepted), {
      cache: false,
      maxBatchSize: 100,
      // The submit_sm_resp of one read of the SMSC socket end up in one write.
      batchScheduleFn: (callback) => setImmediate(callback),
    });
  }

  /**
   * Resolves once the SMS is recorded as sent (links, record, timeline, campaign count, awaited
   * receipt), then `sent` handed over.
   */
  async sent(data: SmsOutJob, result: SubmitResult): Promise<void> {
    await this.loader.load({ data, result });
  }

  /**
   * A job found this SMS already sent (a process stopped between recording it and handing `sent`
   * over, or the SMS sat in two jobs): on Cluster writes its campaign count and awaited receipt
   * again (each idempotent: store/conversations.ts `sentProgressAgain`); for an invitation, hands
   * `sent` over unless its conversation has it marked, at the time of the sent entry.
   */
  async handOverSent(data: SmsOutJob): Promise<void> {
    const campaign = countedIn(data);
    await this.core.store.sentProgressAgain(
      { conversationId: data.conversationId, smsId: data.smsId, ...(campaign ? { campaign } : {}) },
      this.core.now(),
      this.core.awaitedReceipts.ttlSeconds,
    );
    const { zone } = this.core.calendar;
    const job = sentOutcome(data, this.core.now(), zone);
    if (!job) return;
    const [marked] = await this.core.store.outcomes.marked([job]);
    if (marked !== false) return;
    const entry = sentEntry(await this.core.store.timeline(data.conversationId), data.smsId);
    await this.core.outcomes.emit([entry ? sentOutcome(data, entry.at, zone) : job]);
  }

  private async write(accepted: readonly Accepted[]): Promise<true[]> {
    const { store } = this.core;
    const now = this.core.now();
    const links = accepted.map(({ data, result }) => ({
      ids: result.parts.map((p) => receiptId(result.carrier, p.messageId)),
      conversationId: data.conversationId,
    }));
    const records = accepted.map(({ data, result }): SentSms => {
      const entry = { at: now, kind: 'sms-status', smsId: data.smsId, status: 'sent' } as const;
      return {
        conversationId: data.conversationId,
        smsId: data.smsId,
        templateId: data.templateId,
        ...(data.campaign !== undefined ? { campaign: data.campaign } : {}),
        entry: {
          ...entry,
          messageIds: result.parts.map((p) => p.messageId),
          encoding: result.encoding,
          ...(data.asksConsent ? { asksConsent: true as const } : {}),
        },
      };
    });
    // SMS of a conversation await their final receipt (delivery-unknown.ts); loose ones (`none`) do not.
    const awaited = accepted
      .filter(({ data }) => data.conversationId !== 'none')
      .map(({ data }) => ({ conversationId: data.conversationId, smsId: data.smsId }));
    const counted = accepted.flatMap(({ data }) => {
      const campaign = countedIn(data);
      return campaign ? [{ campaign, conversationId: data.conversationId, smsId: data.smsId }] : [];
    });
    const progress = { at: now, counted, awaited, awaitedTtlSeconds: this.core.awaitedReceipts.ttlSeconds };
    const deadlines: StartedDeadline[] = [];
    accepted.forEach(({ data }, sms) => {
      const started = this.core.conversations.acceptanceDeadline(data, now);
      if (started) deadlines.push({ sms, ...started });
    });
    // The record, links, count and awaited entry first, in one write: from then on a receipt finds
    // its SMS and a retried job sends and counts nothing. A stop before `sent` is handed over
    // leaves the job to be retried, and the retry, finding the SMS sent, hands it over
    // (`handOverSent`); marks and job ids keep it to one.
    const { marked, indexed } = await store.recordSentMany(
      records,
      RECEIPT_TTL_SECONDS,
      store.receipts.plan(links),
      progress,
      deadlines,
    );
    // The conversations' marks as that write read them: no second read before the add.
    const sent = outcomeBit('sent');
    await this.core.outcomes.emit(
      accepted.map(({ data }) => sentOutcome(data, now, this.core.calendar.zone)),
      accepted.map((_, i) => ((marked[i] ?? 0) & sent) !== 0),
    );
    await this.carriersAccepted(accepted);
    const started = new Set(deadlines.filter((_, j) => indexed[j]).map((d) => d.sms));
    await this.startDeadlines(
      accepted.filter((_, i) => !started.has(i)),
      now,
    );
    return accepted.map(() => true);
  }

  /**
   * A stage's deadline counts from the SMSC's acceptance of all its SMS's parts (003 item 10):
   * where the sent entries' write did not index it (the job names no stage, a step moved the
   * conversation on, Cluster), started here by the `sent` step (the turn's steps committed
   * together: step-batches.ts), or indexed from the sent entry the conversation's readers start it
   * from; should this fail or the process stop first, the sweeper's pending check does so
   * (gateway/core/sweeper.ts).
   */
  private async startDeadlines(accepted: readonly Accepted[], at: number): Promise<void> {
    await Promise.all(
      accepted
        .filter(({ data }) => data.startsDeadline === true)
        .map(({ data }) => this.core.conversations.startAcceptanceDeadline(data, at).catch(() => undefined)),
    );
  }

  /**
   * The carrier whose SMSC accepted an SMS asking for consent is, from now on, the one its
   * conversation's state counts for (a second try elsewhere moves it).
   */
  private async carriersAccepted(accepted: readonly Accepted[]): Promise<void> {
    await Promise.all(
      accepted.flatMap(({ data, result }) =>
        data.campaign && data.asksConsent && result.carrier !== undefined
          ? [this.core.campaigns.carrierAccepted(data.campaign, data.conversationId, result.carrier)]
          : [],
      ),
    );
  }
}

/**
 * The campaign whose `sent` counts this SMS: an invitation asking for consent (a second try
 * through another carrier, avoidCarriers, was counted at its first).
 */
function countedIn(data: SmsOutJob): string | undefined {
  return data.campaign && data.asksConsent && !data.avoidCarriers ? data.campaign : undefined;
}
