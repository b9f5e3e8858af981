/**
 * Outcomes out (CONTRACT.md, `outcomes`): what the inviting system learns of its conversations.
 * State outcomes are committed with the transition, in its outbox (outbox.ts), so a crash cannot
 * lose one; the invitation's `sent` right after the SMS's record and receipt links (a retried job
 * finding it sent adds it: sent-writes.ts `handOverSent`), its `delivered` before the write that
 * records the receipt, so a retried job adds them again. Each is added only if its conversation
 * has not marked it handed over, and marked right after the add (store/outcome-marks.ts): a replay
 * at any later time adds nothing, and the queue need not keep consumed jobs to recognise one.
 * Between the add and the mark, the job id is the guard while the job is kept
 * (`OUTCOME_KEEP_SECONDS`).
 */
import type { Queue } from 'bullmq';
import type { OutcomeMarks } from '../../store/outcome-marks.js';
import type { Conversation } from '../../dialogue/conversation.js';
import { almatyIso, type ZoneTable } from '../../dialogue/time.js';
import type { SmsOutJob } from '../../queues/jobs.js';
import { DOWNSTREAM_RETRY } from '../../queues/names.js';
import type { TimelineEntry } from '../../store/timeline-entry.js';
import {
  OUTCOME_FAILED_KEEP,
  OUTCOME_JOB_NAME,
  OUTCOME_KEEP_SECONDS,
  OUTCOME_NAMES,
  outcomeJob,
  outcomeJobId,
  type OutcomeJob,
  type OutcomeName,
} from '../../queues/outcomes.js';
import { isTestId } from './test-traffic.js';

/** `test: true` on a test conversation's outcomes (a `test` key's), absent on real ones. */
const testMark = (conversationId: string): { test?: true } =>
  isTestId(conversationId) ? { test: true } : {};

/** The smsId of an SMS's second try through another carrier: `<smsId>r` (replies.ts). */
export const RETRY_SUFFIX = 'r';

/**
 * The invitation's SMS (the conversation's first), or its second try through another carrier:
 * only its sending and delivery are outcomes, never an acknowledgement's, a help SMS's or a notice's.
 */
export const isInvitationSms = (conv: Conversation, smsId: unknown): boolean =>
  typeof conv.invitationSmsId === 'string' &&
  (smsId === conv.invitationSmsId || smsId === `${conv.invitationSmsId}${RETRY_SUFFIX}`);

/** True when entering this state is an outcome (every state but the ones before anything happened). */
export const isOutcome = (state: string): state is OutcomeName => OUTCOME_NAMES.includes(state);

/** The job of one outcome of `conv` (validated: the published schema is what leaves). */
export function outcomeOf(
  conv: Conversation,
  outcome: OutcomeName,
  at: number,
  zone: ZoneTable,
  carrier?: { stat: string; err?: string },
): OutcomeJob {
  const delivery = carrier ?? (outcome === 'undeliverable' ? conv.delivery : undefined);
  return outcomeJob.parse({
    v: 1,
    conversationId: conv.id,
    service: conv.service,
    externalId: conv.externalId,
    state: conv.state,
    outcome,
    at: almatyIso(zone, at),
    ...(conv.campaign ? { campaign: conv.campaign } : {}),
    ...(outcome === 'consented' || outcome === 'assigned' ? { bank: conv.bank } : {}),
    ...(delivery ? { carrier: delivery } : {}),
    ...(outcome === 'rejected' && conv.decision?.reason ? { reason: conv.decision.reason } : {}),
    ...(conv.deadline !== null ? { deadline: almatyIso(zone, conv.deadline) } : {}),
    ...testMark(conv.id),
  });
}

/** `sent` for an invitation the SMSC accepted, from what its `sms-out` job carries. */
export function sentOutcome(sms: SmsOutJob, at: number, zone: ZoneTable): OutcomeJob | undefined {
  const inv = sms.invitation;
  if (!inv) return undefined;
  return outcomeJob.parse({
    v: 1,
    conversationId: sms.conversationId,
    service: inv.service,
    externalId: inv.externalId,
    state: inv.state,
    outcome: 'sent',
    at: almatyIso(zone, at),
    ...(sms.campaign ? { campaign: sms.campaign } : {}),
    ...testMark(sms.conversationId),
  });
}

/** How a batch of outcomes is added: one `Queue.add` each, or one `addBulk` (`OutcomeEmitter.add`). */
export type OutcomeAdds = 'each' | 'bulk';

/** Receives every outcome after the `outcomes` queue has it (webhooks.ts fans them out). */
export interface OutcomeListener {
  (jobs: readonly OutcomeJob[]): Promise<void>;
}

export class OutcomeEmitter {
  private readonly listeners: OutcomeListener[] = [];

  constructor(
    private readonly queue: Queue,
    private readonly marks: OutcomeMarks,
  ) {}

  /** Also hand every outcome to `listener` (the webhooks), after the queue has it. */
  listen(listener: OutcomeListener): void {
    this.listeners.push(listener);
  }

  /**
   * Adds each outcome once: one its conversation has marked handed over adds nothing, nor does a
   * job id still in the queue; marks each after the add, so a crash in between is retried.
   * `known`: whether each job's conversation has it marked, as the caller's own write just read
   * it (sent-writes.ts); read here otherwise.
   */
  async emit(jobs: ReadonlyArray<OutcomeJob | undefined>, known?: readonly boolean[]): Promise<void> {
    const given = jobs.flatMap((j, i) => (j === undefined ? [] : [{ job: j, marked: known?.[i] }]));
    if (given.length === 0) return;
    const unknown = given.filter((g) => g.marked === undefined).map((g) => g.job);
    const read = unknown.length > 0 ? await this.marks.marked(unknown) : [];
    let r = 0;
    const present = given.filter((g) => !(g.marked ?? read[r++])).map((g) => g.job);
    if (present.length === 0) return;
    await this.add(present);
    await this.marks.mark(present);
    await this.tell(present);
  }

  /**
   * `emit`'s add alone, for a caller that read the marks with its own commit and marks the
   * outcomes with its own write once this resolves (outbox.ts `flushMany`), then calls `tell`.
   * `how`, as measured (docs/performance.md): one job each, the adds of one turn leaving in one write
   * (store/connection.ts `coalesceWrites`) without the pipeline addBulk builds, which copies every
   * script command of the connection, costs less for the `sent` outcomes of one SMS write (`emit`)
   * and for a sweep's; `bulk` costs the workers less for the steps of replies decided together
   * (step-batches.ts). Either way every add is answered before a failure is reported.
   */
  async add(present: readonly OutcomeJob[], how: OutcomeAdds = 'each'): Promise<void> {
    if (present.length === 0) return;
    const opts = (data: OutcomeJob) => ({
      jobId: outcomeJobId(data.conversationId, data.outcome),
      ...DOWNSTREAM_RETRY,
      removeOnComplete: { age: OUTCOME_KEEP_SECONDS },
      removeOnFail: OUTCOME_FAILED_KEEP,
    });
    if (how === 'bulk' && present.length > 1) {
      await this.queue.addBulk(present.map((data) => ({ name: OUTCOME_JOB_NAME, data, opts: opts(data) })));
      return;
    }
    const added = await Promise.allSettled(
      present.map((data) => this.queue.add(OUTCOME_JOB_NAME, data, opts(data))),
    );
    const failed = added.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Hands outcomes the queue has and their conversations have marked to the listeners. */
  async tell(present: readonly OutcomeJob[]): Promise<void> {
    if (present.length === 0) return;
    for (const listener of this.listeners) await listener(present);
  }
}

/** One outcome as the inviting system reads it (GET /v1/invitations/…): no texts. */
export interface OutcomeRecord {
  readonly outcome: OutcomeName;
  /** Epoch ms. */
  readonly at: number;
  readonly carrier?: { readonly stat: string; readonly err?: string };
  readonly reason?: string;
}

/**
 * The outcomes a conversation has had, read from its timeline (which outlives the `outcomes`
 * jobs, removed once consumed): the invitation's first `sent` and `delivered`, every transition into an
 * outcome state. The same list the queue received, in time order.
 */
export function outcomesFromTimeline(
  conv: Conversation,
  timeline: readonly TimelineEntry[],
): OutcomeRecord[] {
  const out: OutcomeRecord[] = [];
  const seen = new Set<string>();
  const add = (record: OutcomeRecord): void => {
    if (seen.has(record.outcome)) return;
    seen.add(record.outcome);
    out.push(record);
  };
  for (const e of timeline) {
    const invitation = e.kind === 'sms-status' && isInvitationSms(conv, e.smsId);
    if (invitation && e.status === 'sent') add({ outcome: 'sent', at: e.at });
    else if (invitation && e.status === 'delivered') {
      const err = e.err !== undefined ? { err: e.err } : {};
      add({ outcome: 'delivered', at: e.at, carrier: { stat: e.stat ?? 'DELIVRD', ...err } });
    } else if (e.kind === 'transition' && isOutcome(e.to) && e.to !== e.from) {
      const outcome = e.to;
      add({
        outcome,
        at: e.at,
        ...(outcome === 'undeliverable' && conv.delivery ? { carrier: conv.delivery } : {}),
        ...(outcome === 'rejected' && conv.decision?.reason ? { reason: conv.decision.reason } : {}),
      });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
