/**
 * The `inbound` worker's logic: a stored reply finds its conversation, a
 * stored receipt finds its SMS. Routing follows CONTRACT.md, "Replies that
 * match no open conversation": a reply counts only from the number the
 * conversation was sent to; without a service code it goes to the only open
 * conversation; with several open the gateway asks which; a number with
 * nothing open gets one "no open request" SMS a day; a sender that is not a
 * phone number (alphanumeric, short code) is never answered, so no two
 * systems can loop.
 */
import { createHash } from 'node:crypto';
import { normalizeMsisdn } from '../../common/msisdn.js';
import { isOpen, type Conversation, type Language } from '../../dialogue/conversation.js';
import { isFinalStat, messageIdKeys, type ReceiptStat } from '../../parsers/receipt.js';
import { serviceCodeOf } from '../../dialogue/engine.js';
import { parseReply, type ParsedReply } from '../../parsers/reply.js';
import { SMS_JOB_NAME, type ReceiptJob, type ReplyJob, type SmsOutJob } from '../../queues/jobs.js';
import { readSmsRecord } from '../../store/sms-record.js';
import type { Logger } from '../log.js';
import { SMS_RETRY } from './sms-handover.js';
import type { Core } from './runtime.js';
import { receiptId } from './sent-writes.js';

/** Conversation id used for SMS that belong to no conversation (no open request, which request). */
export const NO_CONVERSATION = 'none';

export type ReplyRoute =
  | { readonly kind: 'conversation'; readonly conversation: Conversation }
  | { readonly kind: 'which'; readonly open: readonly Conversation[] }
  | { readonly kind: 'none' };

/** Pure: which conversation a reply belongs to. `conversations` newest first. */
export function routeReply(
  core: Pick<Core, 'services'>,
  conversations: readonly Conversation[],
  parsed: ParsedReply,
): ReplyRoute {
  const open = conversations.filter(isOpen);
  const codeOf = (c: Conversation): string | null => {
    const service = core.services.get(c.service);
    return service ? serviceCodeOf(service, c) : null;
  };
  if (parsed.kind === 'coded' && parsed.serviceCode !== null) {
    const matching = conversations.filter((c) => codeOf(c) === parsed.serviceCode);
    const target = matching.find(isOpen) ?? matching[0];
    if (target) return { kind: 'conversation', conversation: target };
  }
  if (open.length === 1 && open[0]) return { kind: 'conversation', conversation: open[0] };
  if (open.length > 1) return { kind: 'which', open };
  const latest = conversations[0];
  return latest ? { kind: 'conversation', conversation: latest } : { kind: 'none' };
}

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
  ) {}

  async reply(job: ReplyJob): Promise<string> {
    const msisdn = normalizeMsisdn(job.from);
    if (!msisdn) {
      this.log.info(
        { from: job.from },
        'reply from a sender that is not a phone number: recorded nowhere, never answered',
      );
      return 'ignored-sender';
    }
    const parsed = parseReply(job.text);
    const route = routeReply(this.core, await this.core.store.listByMsisdn(msisdn), parsed);
    const reply = { text: job.text, receivedAt: job.receivedAt, smscMessageId: job.smscMessageId };
    switch (route.kind) {
      case 'conversation': {
        const result = await this.core.conversations.apply(
          route.conversation.id,
          { type: 'reply', parsed, reply },
          `reply:${job.smscMessageId}`,
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
        const result = await this.askWhich(msisdn, route.open, job);
        this.logReply(job, result, undefined, route.open.length);
        return result;
      }
      case 'none': {
        const result = await this.noOpenRequest(msisdn, job);
        this.logReply(job, result);
        return result;
      }
    }
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

  private async askWhich(msisdn: string, open: readonly Conversation[], job: ReplyJob): Promise<string> {
    const codes = open.flatMap((c) => {
      const service = this.core.services.get(c.service);
      const code = service ? serviceCodeOf(service, c) : null;
      return code !== null ? [code] : [];
    });
    for (const c of open) {
      await this.core.store.append(c.id, {
        at: this.core.now(),
        kind: 'reply',
        text: job.text,
        meaning: 'several requests are open: asked which',
        accepted: false,
      });
    }
    const newest = open[0];
    if (codes.length === 0 || !newest) return 'ambiguous';
    const sms = this.core.renderer.render('gateway.which-request', newest.language, {
      codes: [...new Set(codes)],
    });
    await this.enqueueLoose(msisdn, sms.text, sms.templateId, job.smscMessageId);
    return 'asked-which';
  }

  private async noOpenRequest(msisdn: string, job: ReplyJob): Promise<string> {
    const first = await this.core.store.redis.set(
      this.core.store.keys.noRequestSent(msisdn),
      '1',
      'EX',
      86_400,
      'NX',
    );
    if (first !== 'OK') return 'no-open-request-already-told';
    // The language of a stranger is unknown: both, Kazakh first (the state language).
    const text = (['kk', 'ru'] as Language[])
      .map((l) => this.core.renderer.render('gateway.no-open-request', l, {}).text)
      .join('\n');
    try {
      await this.enqueueLoose(msisdn, text, 'gateway.no-open-request', job.smscMessageId);
    } catch (err) {
      // Not sent: let the retried job (or the next reply) tell the citizen after all.
      await this.core.store.redis.del(this.core.store.keys.noRequestSent(msisdn)).catch(() => undefined);
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
   * the SMS's record where one was kept (store/lua/sent.lua: no compact entry to find, or written
   * by an earlier version). A conversation that expired before its receipts (RETENTION_DAYS under
   * 3: carriers retry receipts for 72 h) gives neither, and those receipts count in no campaign.
   */
  private async origin(
    conversationId: string,
    smsId: string,
  ): Promise<{ templateId: string | null; campaign: string | null }> {
    const { store } = this.core;
    const record = await readSmsRecord(store.redis, store.keys.smsParts(conversationId, smsId));
    if (record.state === 'sent') return record;
    const stored = await store.withTimeline(conversationId);
    const sms = stored?.timeline.find((e) => e.kind === 'sms' && e.smsId === smsId);
    return {
      templateId: typeof sms?.templateId === 'string' ? sms.templateId : null,
      campaign: stored?.conversation.campaign ?? null,
    };
  }

  async receipt(job: ReceiptJob): Promise<string> {
    const { store } = this.core;
    const ids = messageIdKeys(job.smscMessageId).map((k) => receiptId(job.carrier, k));
    const link = await store.receipts.find(ids);
    // The receipt may overtake our record of the submit_sm_resp: the job is retried with backoff.
    if (!link) throw new UnmatchedReceiptError(`no SMS known for message id ${job.smscMessageId}`);
    if (link.c === NO_CONVERSATION) return 'loose';
    const status = deliveryStatus(job.status);
    this.log.info(
      {
        event: 'sms.receipt',
        conversationId: link.c,
        smsId: link.s,
        part: link.p + 1,
        parts: link.n,
        status,
        stat: job.status,
        carrier: job.carrier,
      },
      'delivery receipt',
    );
    await store.append(link.c, {
      at: job.receivedAt,
      kind: 'sms-status',
      smsId: link.s,
      part: link.p,
      parts: link.n,
      status,
      stat: job.status,
      ...(job.errorCode !== undefined ? { err: job.errorCode } : {}),
    });
    if (!link.asksConsent || status === 'pending') return status;
    // Progress counts invitations, once per SMS (its first part's receipt).
    const counts = link.p === 0;
    if (!counts && status !== 'failed') return status;
    const { templateId, campaign } = await this.origin(link.c, link.s);
    if (campaign && counts) await this.core.campaigns.increment(campaign, status, this.core.now());
    if (status === 'failed') {
      await this.core.conversations.apply(link.c, {
        type: 'delivery-failed',
        templateId: templateId ?? '',
        status: job.status,
      });
    }
    return status;
  }
}
