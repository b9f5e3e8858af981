/**
 * A supervisor's resend of an undelivered SMS, as it was (the same text, template and version:
 * the stored entry, not a new rendering), after checking the number with the citizen. An
 * undelivered invitation reopens its stage with a fresh deadline, so the citizen can answer.
 */
import { GatewayError } from '../../common/errors.js';
import type { Conversation } from '../../dialogue/conversation.js';
import type { DeadlineFn } from '../../dialogue/engine.js';
import type { ServiceDefinition } from '../../services/schema.js';
import type { ConversationStore, OutboxEntry } from '../../store/conversations.js';
import { ofKind, smsEntry, smsStatuses, type TimelineEntry } from '../../store/timeline-entry.js';
import type { Logger } from '../log.js';
import type { Outbox } from './outbox.js';
import type { Worklists } from './worklists.js';

export type ResendResult =
  | { readonly status: 'resent'; readonly smsId: string; readonly conversation: Conversation }
  | { readonly status: 'not-found' | 'no-such-sms' | 'not-failed' };

export interface ResendDeps {
  readonly store: ConversationStore;
  readonly outbox: Outbox;
  readonly deadline: DeadlineFn;
  readonly log: Logger;
  readonly now: () => number;
  readonly worklists?: Worklists;
  readonly service: (id: string) => ServiceDefinition;
}

/** How many times a resend is decided again after losing the compare-and-set. */
const MAX_ATTEMPTS = 8;

/** The stage an undeliverable conversation was in, entered again now with its deadline. */
function reopen(
  deps: ResendDeps,
  conv: Conversation,
  timeline: readonly TimelineEntry[],
  now: number,
): Conversation | null {
  const service = deps.service(conv.service);
  const last = timeline.filter(ofKind('transition')).findLast((e) => e.stage !== 'undeliverable');
  const stage = last && service.stages[last.stage];
  if (!stage || !last) return null;
  return {
    ...conv,
    stage: last.stage,
    state: stage.state,
    deadline: stage.deadline ? deps.deadline(stage.deadline, now) : null,
    updatedAt: now,
  };
}

/** Sends the failed SMS `smsId` of conversation `id` again, noting who (`by`) and why. */
export async function resendSms(
  deps: ResendDeps,
  id: string,
  smsId: string,
  by: string,
  reason: string,
): Promise<ResendResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.store.withTimeline(id);
    if (!stored) return { status: 'not-found' };
    const { conversation: conv, timeline } = stored;
    const sms = smsEntry(timeline, smsId);
    if (!sms) return { status: 'no-such-sms' };
    if (!smsStatuses(timeline, smsId).some((e) => e.status === 'failed')) return { status: 'not-failed' };
    const now = deps.now();
    const newId = `${conv.version + 1}.0`;
    const asksConsent = conv.consentTemplate?.id === sms.templateId;
    let next: Conversation = { ...conv, updatedAt: now };
    const entries: TimelineEntry[] = [{ at: now, kind: 'note', text: reason, by, action: 'resend', smsId }];
    if (conv.state === 'undeliverable' && asksConsent) {
      const reopened = reopen(deps, conv, timeline, now);
      if (reopened) {
        next = reopened;
        entries.push({
          at: now,
          kind: 'transition',
          from: conv.state,
          to: next.state,
          stage: next.stage,
          cause: 'resend by a supervisor',
        });
      }
    }
    entries.push({ ...sms, at: now, smsId: newId, status: 'queued', resendOf: smsId });
    const outbox: OutboxEntry[] = [
      {
        t: 'sms',
        smsId: newId,
        to: next.msisdn,
        text: sms.text,
        templateId: sms.templateId,
        asksConsent,
        ...(next.campaign ? { campaign: next.campaign } : {}),
        // Asking for consent again is a notice: it waits for the sending window (docs/api.md).
        ...(asksConsent ? { notice: true } : {}),
      },
    ];
    if (next.deadline !== conv.deadline) outbox.push({ t: 'deadline', at: next.deadline });
    if (!(await deps.store.commit(conv.version, next, entries, outbox, false, conv))) continue;
    const committed = { ...next, version: conv.version + 1 };
    await deps.worklists?.committed(conv, committed, entries, now);
    await deps.outbox
      .flush(committed.id, { entries: outbox, conversation: committed })
      .catch((err: unknown) => {
        deps.log.warn({ err, conversationId: committed.id }, 'outbox flush failed; will retry');
      });
    return { status: 'resent', smsId: newId, conversation: committed };
  }
  throw new GatewayError('GW_CONVERSATION_BUSY', `conversation ${id}: too many concurrent transitions`);
}
