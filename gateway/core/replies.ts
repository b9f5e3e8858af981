/**
 * The `inbound` worker's logic: a stored reply finds its conversation, a
 * stored receipt finds its SMS. Routing follows CONTRACT.md, "Replies that
 * match no open conversation": a reply counts only from the number the
 * conversation was sent to; without a service code it goes to the only open
 * conversation; with several open the gateway asks which; a number with
 * nothing open gets one "no open request" SMS a day; a sender that is not a
 * phone number (alphanumeric, short code) is never answered, so no two
 * systems can loop.
 * Longer than 300 lines: replies and receipts share the routing to a conversation and its SMS.
 */
import { createHash } from 'node:crypto';
import { normalizeMsisdn } from '../../common/msisdn.js';
import type { Conversation, Language } from '../../dialogue/conversation.js';
import { routeReply, whichOptions } from '../../dialogue/routing.js';
import { isFinalStat, messageIdKeys, type ReceiptStat } from '../../parsers/receipt.js';
import { parseReply, type ParsedReply } from '../../parsers/reply.js';
import { SMS_JOB_NAME, type ReceiptJob, type ReplyJob, type SmsOutJob } from '../../queues/jobs.js';
import type { SentPart } from '../../store/conversations.js';
import { smsEntry } from '../../store/timeline-entry.js';
import type { Logger } from '../log.js';
import type { CoreMetrics } from './metrics.js';
import { DUPLICATE_WINDOW_MS } from './inbound.js';
import { fitWhichRequest } from './reply-limits.js';
import { isInvitationSms, outcomeOf, RETRY_SUFFIX } from './outcomes.js';
import { SMS_RETRY } from './sms-handover.js';
import type { Core } from './runtime.js';
import { receiptId } from './sent-writes.js';

/** How long the replies a number sent lately are kept to tell a retransmission (store/lua/reply-seen-2.lua). */
const SEEN_TTL_MS = 60 * 60_000;
const TAKE_ATTEMPTS = 40;
const TAKE_PAUSE_MS = 25;

/**
 * One SMS of a citizen: its content's identity and when it was received. A second identical SMS
 * (a mother's second `3#1`) is another reply; a retransmission never gets this far.
 */
function replyKey(job: ReplyJob): string {
  return `${job.smscMessageId}@${job.receivedAt}`;
}

/** Conversation id used for SMS that belong to no conversation (no open request, which request). */
export const NO_CONVERSATION = 'none';

/** The SMS part a receipt is about. */
type Link = SentPart & { readonly conversationId: string };

/** What a receipt's state means for the agent's timeline. */
function deliveryStatus(stat: string): 'delivered' | 'failed' | 'pending' {
  if (stat === 'DELIVRD') return 'delivered';
  return isFinalStat(stat as ReceiptStat) ? 'failed' : 'pending';
}

export class UnmatchedReceiptError extends Error {
  override readonly name = 'UnmatchedReceiptError';
}

export class InboundProcessor {
  constructor(
    private readonly core: Core,
    private readonly log: Logger,
    private readonly metrics?: Pick<CoreMetrics, 'courtesyFailed'>,
  ) {}

  /**
   * Decides a stored reply. `delivery` names this stored copy (the inbound job's id): the SMSC's
   * retransmission of a reply already taken is another copy, and changes nothing.
   */
  async reply(job: ReplyJob, delivery: string): Promise<string> {
    const msisdn = normalizeMsisdn(job.from);
    if (!msisdn) {
      this.log.info(
        { from: job.from },
        'reply from a sender that is not a phone number: recorded nowhere, never answered',
      );
      return 'ignored-sender';
    }
    if ((await this.take(msisdn, job, delivery)) === 'retransmission') {
      this.logReply(job, 'retransmission');
      return 'retransmission';
    }
    const parsed = parseReply(job.text);
    // The bind an SMS came in on names the citizen's network now (a ported number's included).
    const learned =
      job.carrier !== undefined ? this.core.carrierMemory?.learn(msisdn, job.carrier) : undefined;
    const route = routeReply(this.core.services, await this.core.store.listByMsisdn(msisdn), parsed);
    await learned;
    const reply = { text: job.text, receivedAt: job.receivedAt, smscMessageId: job.smscMessageId };
    switch (route.kind) {
      case 'conversation': {
        const result = await this.core.conversations.apply(
          route.conversation.id,
          { type: 'reply', parsed, reply },
          `reply:${replyKey(job)}`,
          route.conversation,
        );
        // Counted once: a re-run of this job finds the reply applied and answers `unchanged`.
        const { campaign } = route.conversation;
        if (campaign && result.status === 'applied') {
          await this.core.campaigns.increment(campaign, 'replied', this.core.now());
        }
        // An applied reply has its line from the step it caused (conversations.ts).
        if (result.status !== 'applied') this.logReply(job, result.status, route.conversation);
        return result.status;
      }
      case 'which': {
        const result = await this.askWhich(msisdn, route.candidates, parsed, job);
        this.logReply(job, result, undefined, route.candidates.length);
        return result;
      }
      case 'none': {
        const result = await this.noOpenRequest(msisdn, job);
        this.logReply(job, result);
        return result;
      }
    }
  }

  /**
   * Takes the reply, or tells it is a retransmission (docs/dialogues.md, "Retransmissions and a
   * second identical answer"). While the number's turn is being decided it waits a moment, so the
   * decision sees every reply taken before it; after a second the job is retried.
   */
  private async take(msisdn: string, job: ReplyJob, delivery: string): Promise<'taken' | 'retransmission'> {
    for (let attempt = 0; attempt < TAKE_ATTEMPTS; attempt++) {
      const result = await this.core.store.replies.take(
        msisdn,
        job.smscMessageId,
        job.receivedAt,
        delivery,
        DUPLICATE_WINDOW_MS,
        SEEN_TTL_MS,
      );
      if (result !== 'busy') return result;
      await new Promise((resolve) => setTimeout(resolve, TAKE_PAUSE_MS));
    }
    throw new Error("the number's turn is being decided; the reply is tried again");
  }

  private logReply(job: ReplyJob, result: string, to?: Conversation, open?: number): void {
    this.log.info(
      {
        event: 'reply.decided',
        result,
        smscMessageId: job.smscMessageId,
        conversationId: to?.id,
        service: to?.service,
        campaign: to?.campaign ?? undefined,
        open,
      },
      'reply decided',
    );
  }

  /**
   * The reply fits several open requests: it is kept on each one's timeline, and the citizen gets
   * one SMS naming every candidate with the exact text to send for it (an answer to their own SMS:
   * it goes at any hour), as many as fit its part limit, the rest left to the call centre
   * (WHICH_REQUEST_MAX_PARTS). Applied to none of them.
   */
  private async askWhich(
    msisdn: string,
    candidates: readonly Conversation[],
    parsed: ParsedReply,
    job: ReplyJob,
  ): Promise<string> {
    const { limits } = this.core.conversations;
    const now = this.core.now();
    for (const c of candidates) {
      if (await limits.fold(c.id, now)) continue;
      await this.core.store.append(c.id, {
        at: now,
        kind: 'reply',
        text: job.text,
        meaning: `fits ${candidates.length} open requests: asked which`,
        accepted: false,
      });
    }
    if (!(await limits.takeSms(msisdn, 'gateway.which-request', now))) return 'reply-sms-limited';
    const language = candidates[0]?.language ?? 'ru';
    const options = whichOptions(this.core.services, candidates, parsed, language);
    const { sms, listed } = fitWhichRequest(this.core.renderer, language, options);
    if (listed < options.length) limits.shortened('gateway.which-request');
    try {
      await this.enqueueLoose(msisdn, sms.text, sms.templateId, replyKey(job));
    } catch (err) {
      await limits.returnSms(msisdn, 'gateway.which-request', now).catch(() => undefined);
      throw err;
    }
    return 'asked-which';
  }

  private async noOpenRequest(msisdn: string, job: ReplyJob): Promise<string> {
    const { limits } = this.core.conversations;
    const now = this.core.now();
    if (!(await limits.takeSms(msisdn, 'gateway.no-open-request', now)))
      return 'no-open-request-already-told';
    // The language of a stranger is unknown: both, Kazakh first (the state language).
    const text = (['kk', 'ru'] as Language[])
      .map((l) => this.core.renderer.render('gateway.no-open-request', l, {}).text)
      .join('\n');
    try {
      await this.enqueueLoose(msisdn, text, 'gateway.no-open-request', replyKey(job));
    } catch (err) {
      // Not sent: let the retried job (or the next reply) tell the citizen after all.
      await limits.returnSms(msisdn, 'gateway.no-open-request', now).catch(() => undefined);
      throw err;
    }
    return 'no-open-request';
  }

  private async enqueueLoose(to: string, text: string, templateId: string, cause: string): Promise<void> {
    const smsId = createHash('sha256').update(`${templateId}\u0000${cause}`).digest('hex').slice(0, 16);
    const data: SmsOutJob = {
      conversationId: NO_CONVERSATION,
      smsId,
      to,
      text,
      templateId,
      asksConsent: false,
    };
    await this.core.queues.smsOut.add(SMS_JOB_NAME, data, {
      jobId: `${NO_CONVERSATION}.${smsId}`,
      ...SMS_RETRY,
      removeOnComplete: { age: 86_400 },
    });
  }

  /**
   * The template and campaign of a sent SMS, not repeated in every receipt link: from its
   * conversation (the `sms` timeline entry of that smsId, the conversation's campaign), or from
   * the SMS's record where one was kept (store/lua/sent-n.lua: no compact entry to find). A conversation that expired before its receipts (RETENTION_DAYS under
   * 3: carriers retry receipts for 72 h) gives neither, and those receipts count in no campaign.
   */
  private async origin(
    conversationId: string,
    smsId: string,
  ): Promise<{ templateId: string | null; campaign: string | null }> {
    const { store } = this.core;
    const record = await store.sms.read({ conversationId, smsId });
    if (record.state === 'sent') return record;
    const stored = await store.withTimeline(conversationId);
    const sms = stored && smsEntry(stored.timeline, smsId);
    return {
      templateId: sms?.templateId ?? null,
      campaign: stored?.conversation.campaign ?? null,
    };
  }

  /**
   * `delivered` when the receipt is the invitation's (its first part), or its second try's through
   * another carrier: once, by the job id. Never for an acknowledgement, a help SMS or a notice.
   */
  private async invitationDelivered(conversationId: string, smsId: string, job: ReceiptJob): Promise<void> {
    const conv = await this.core.store.get(conversationId);
    if (!conv || !isInvitationSms(conv, smsId)) return;
    const carrier = { stat: job.status, ...(job.errorCode !== undefined ? { err: job.errorCode } : {}) };
    await this.core.outcomes.emit([
      outcomeOf(conv, 'delivered', job.receivedAt, this.core.calendar.zone, carrier),
    ]);
  }

  async receipt(job: ReceiptJob): Promise<string> {
    const { store } = this.core;
    const ids = messageIdKeys(job.smscMessageId).map((k) => receiptId(job.carrier, k));
    const found = await store.receipts.find(ids);
    // The receipt may overtake our record of the submit_sm_resp: the job is retried with backoff.
    if (!found) throw new UnmatchedReceiptError(`no SMS known for message id ${job.smscMessageId}`);
    const { conversationId } = found;
    if (conversationId === NO_CONVERSATION) return 'loose';
    // The link names the conversation; its sent entry names the SMS and the part.
    const sent = await store.sentPart(conversationId, found.id);
    // Gone before its receipts (RETENTION_DAYS under 3): nothing left to record them in.
    if (sent === undefined) return 'expired';
    if (sent === null) throw new UnmatchedReceiptError(`no sent entry holds message id ${job.smscMessageId}`);
    const link: Link = { conversationId, ...sent };
    const status = deliveryStatus(job.status);
    this.log.info(
      {
        event: 'sms.receipt',
        conversationId: link.conversationId,
        smsId: link.smsId,
        part: link.part + 1,
        parts: link.parts,
        status,
        stat: job.status,
        carrier: job.carrier,
      },
      'delivery receipt',
    );
    if (status === 'failed' && this.notSubscriber(job)) {
      const outcome = await this.tryElsewhere(link, job);
      if (outcome) return outcome;
    }
    await store.append(link.conversationId, {
      at: job.receivedAt,
      kind: 'sms-status',
      smsId: link.smsId,
      part: link.part,
      parts: link.parts,
      status,
      stat: job.status,
      ...(job.errorCode !== undefined ? { err: job.errorCode } : {}),
    });
    if (link.part === 0 && status === 'delivered')
      await this.invitationDelivered(link.conversationId, link.smsId, job);
    let origin: Awaited<ReturnType<typeof this.origin>> | undefined;
    const originOf = async () => (origin ??= await this.origin(link.conversationId, link.smsId));
    if (status === 'failed') {
      const conv = await store.get(link.conversationId);
      const listed = await this.core.worklists.smsFailed(
        conv,
        conv ? (await originOf()).templateId : null,
        job.receivedAt,
      );
      if (listed === 'courtesy') this.metrics?.courtesyFailed.inc({ stage: 'receipt' });
    }
    if (!link.asksConsent || status === 'pending') return status;
    // Progress counts invitations, once per SMS (its first part's receipt).
    const counts = link.part === 0;
    if (!counts && status !== 'failed') return status;
    const { templateId, campaign } = await originOf();
    if (campaign && counts) await this.core.campaigns.increment(campaign, status, this.core.now());
    if (status === 'failed') {
      await this.core.conversations.apply(link.conversationId, {
        type: 'delivery-failed',
        templateId: templateId ?? '',
        status: job.status,
        ...(job.errorCode !== undefined ? { err: job.errorCode } : {}),
      });
    }
    return status;
  }

  /** A receipt whose `err:` the carrier documents as "not our subscriber" (CARRIERS_FILE). */
  private notSubscriber(job: ReceiptJob): boolean {
    if (job.carrier === undefined || job.errorCode === undefined) return false;
    return this.core.notSubscriberReceipts.get(job.carrier)?.has(job.errorCode.toLowerCase()) ?? false;
  }

  /**
   * The carrier said the number is not theirs: the SMS goes once more, same text and template,
   * through the next likely carrier (a second SMS id, `<smsId>r`, in the timeline), and the
   * number's carrier is no longer taken to be this one. A second try's own refusal ends as any
   * failed delivery. Undefined when there is nothing to try (a second try, a loose SMS).
   */
  private async tryElsewhere(link: Link, job: ReceiptJob): Promise<string | undefined> {
    const { store } = this.core;
    if (
      link.smsId.endsWith(RETRY_SUFFIX) ||
      link.conversationId === NO_CONVERSATION ||
      job.carrier === undefined
    )
      return undefined;
    // Every part says the same; the first part's receipt starts the second try.
    if (link.part !== 0) return 'wrong-network';
    const stored = await store.withTimeline(link.conversationId);
    const sms = stored && smsEntry(stored.timeline, link.smsId);
    if (!stored || !sms) return undefined;
    const retryId = `${link.smsId}${RETRY_SUFFIX}`;
    const at = this.core.now();
    const avoid = [job.carrier];
    if (!smsEntry(stored.timeline, retryId)) {
      await store.append(
        link.conversationId,
        {
          at: job.receivedAt,
          kind: 'sms-status',
          smsId: link.smsId,
          part: link.part,
          parts: link.parts,
          status: 'wrong-network',
          stat: job.status,
          ...(job.errorCode !== undefined ? { err: job.errorCode } : {}),
          carrier: job.carrier,
        },
        { ...sms, at, smsId: retryId, status: 'queued', retryOf: link.smsId, avoidCarriers: avoid },
      );
    }
    const { conversation } = stored;
    await this.core.sms.add({
      conversationId: link.conversationId,
      smsId: retryId,
      to: conversation.msisdn,
      text: sms.text,
      templateId: sms.templateId,
      asksConsent: link.asksConsent,
      ...(conversation.campaign ? { campaign: conversation.campaign } : {}),
      avoidCarriers: avoid,
    });
    return 'sent-elsewhere';
  }
}
