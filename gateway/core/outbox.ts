/**
 * The transactional outbox: side effects are committed with the state change (store/lua/commit-2.lua:
 * in the conversation's own outbox; store/lua/commit-many-n.lua: in the call's batch, a field per
 * step) and handed to BullMQ afterwards, each with a job id derived from the conversation, so
 * handing one over twice (a crash between the add and the removal) adds nothing twice. An SMS may
 * sit in a batch job (sms-handover.ts) and be queued twice: its record, claimed by one job and then
 * marked sent, lets it go out once (sender.ts). A consent reaches `assignments` exactly once: job
 * id = conversation id (CONTRACT.md).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Conversation } from '../../dialogue/conversation.js';
import { almatyIso, type ZoneTable } from '../../dialogue/time.js';
import { ASSIGNMENT_JOB_NAME, type AssignmentJob, type SmsOutJob } from '../../queues/jobs.js';
import { DOWNSTREAM_RETRY } from '../../queues/names.js';
import { GatewayError } from '../../common/errors.js';
import {
  outboxJson,
  outcomeBit,
  type ConversationStore,
  type HeldStep,
  type OutboxEntry,
  type StoredOutboxEntry,
  type TimelineEntry,
} from '../../store/conversations.js';
import { isRedisAway } from '../../store/connection.js';
import type { HoldIndex } from '../../store/holds.js';
import { stepEntries, type BatchStep } from '../../store/outbox.js';
import type { Logger } from '../log.js';
import type { OutcomeAdds, OutcomeEmitter } from './outcomes.js';
import type { SmsHandOver } from './sms-handover.js';

/**
 * A batch's outbox is recovered once it is this old: its own hand-over takes milliseconds, and one
 * recovered while in flight would be handed over twice (harmless, but twice the work).
 */
export const BATCH_RECOVERY_MS = 10_000;

/**
 * The pauses before each new try of a batch's hand-over that Redis failed (an error answer:
 * refused, read-only during a failover, out of memory; a connection lost under the commands only
 * delays them, ioredis sends them again): 8.5 s in all, so the steps go out within a second of
 * Redis taking them again, and stop before `BATCH_RECOVERY_MS`, after which the recovery sweep
 * hands them over. Then they are left to it.
 */
export const HANDOVER_RETRY_MS: readonly number[] = [100, 200, 400, 800, ...Array<number>(7).fill(1000)];

/**
 * When the recovery gives up on an outbox whose hand-over fails for a reason other than Redis being
 * away (an SMS whose text no timeline entry holds, an entry that no longer parses, a job the queue
 * refuses): once it has failed at least `tries` times in a row over at least `ms`, its conversation's
 * outbox is set aside for an operator (docs/operations.md, "Outboxes set aside"). A Redis outage,
 * however long, counts nothing.
 */
export const SET_ASIDE_AFTER = { tries: 10, ms: 10 * 60_000 } as const;

/**
 * How long an SMS marked never to be sent stays so: longer than it can be held for the sending
 * window (the longest run of closed days) and its SMS_MAX_AGE_HOURS in the queue after that.
 */
const UNSENT_TTL_SECONDS = 30 * 86_400;

/** What became of batch hand-overs that failed: counted for /metrics (`registerOutboxMetrics`). */
export interface HandOverCounts {
  /** Tries of a failed hand-over again. */
  retries: number;
  /** Steps whose hand-over failed every try: left to the recovery sweep. */
  leftToRecovery: number;
  /** Batches' outboxes the recovery sweep handed over (`BATCH_RECOVERY_MS` after their commit). */
  recoveredBatches: number;
}

export interface OutboxDeps {
  readonly store: ConversationStore;
  readonly assignments: Queue;
  /** `sms-out`, several SMS of one turn per job (sms-handover.ts). */
  readonly sms: SmsHandOver;
  /** SMS held for the sending window, and conversations waiting to be sent. */
  readonly holds: HoldIndex;
  readonly now: () => number;
  readonly log: Logger;
  /** Kazakhstan's time zone: job times are local, with the offset. */
  readonly zone: ZoneTable;
  /** The `outcomes` queue (and the webhooks behind it). */
  readonly outcomes: OutcomeEmitter;
  /** The pauses before each new try of a failed batch hand-over. Default `HANDOVER_RETRY_MS`. */
  readonly handOverRetryMs?: readonly number[];
}

/** The `assignments` job of a consent; times on the Almaty clock with the offset, as the API gives them. */
export function assignmentOf(conv: Conversation, zone: ZoneTable): AssignmentJob {
  if (!conv.consentReply || conv.consentedAt === null || !conv.consentTemplate) {
    throw new Error(`conversation ${conv.id} has no complete consent record`);
  }
  return {
    conversationId: conv.id,
    service: conv.service,
    externalId: conv.externalId,
    msisdn: conv.msisdn,
    language: conv.language,
    // CONTRACT.md: `bank: { code, nameKk, nameRu } | null`; an integrated bank's account-opening
    // `link` (003, Appendix 3) is the invitation's, not part of the consent record.
    bank: conv.bank && { code: conv.bank.code, nameKk: conv.bank.nameKk, nameRu: conv.bank.nameRu },
    consentedAt: almatyIso(zone, conv.consentedAt),
    reply: {
      text: conv.consentReply.text,
      receivedAt: almatyIso(zone, conv.consentReply.receivedAt),
      smscMessageId: conv.consentReply.smscMessageId,
    },
    consentTemplate: conv.consentTemplate,
  };
}

/** A step just committed with others (store `commitMany`), to hand over (`flushMany`). */
export interface HandedStep {
  readonly conversation: Conversation;
  readonly entries: readonly OutboxEntry[];
  /** The bits of the outcomes its conversation had handed over, as its commit read them. */
  readonly marked: number;
  /** Where its entries wait in the batch's outbox (null: it has none). */
  readonly held: HeldStep | null;
}

/** The batches a hand-over's steps wait in, for its log lines. */
const batchesOf = (steps: readonly HandedStep[]): string[] => [
  ...new Set(steps.flatMap((s) => (s.held ? [s.held.batch] : []))),
];

export class Outbox {
  readonly counts: HandOverCounts = { retries: 0, leftToRecovery: 0, recoveredBatches: 0 };

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Hands every pending entry of one conversation to its queue, then removes it from the outbox.
   * Right after a commit the caller passes what it committed (`just`), which saves reading the
   * outbox and the conversation back; recovery reads both from Redis.
   */
  async flush(
    conversationId: string,
    just?: { entries: readonly OutboxEntry[]; conversation: Conversation },
  ): Promise<void> {
    const { store } = this.deps;
    const stored = just
      ? just.entries.map((entry) => ({ raw: outboxJson(entry), entry }))
      : await store.outboxes.list(conversationId);
    if (stored.length === 0) {
      await store.outboxes.done(conversationId);
      return;
    }
    let conv: Conversation | null | undefined = just?.conversation;
    const conversation = async (): Promise<Conversation | null> => (conv ??= await store.get(conversationId));
    const texts = this.sentTexts(conversationId);
    // Each hand-over is idempotent (job ids, ZADD), so they may run together; those that went
    // leave the outbox even if another failed, so one broken entry holds back no other.
    const results = await Promise.allSettled(
      stored.map(({ entry }) => this.handOver(conversationId, entry, conversation, texts)),
    );
    const went = stored.filter((_, i) => results[i]?.status === 'fulfilled').map(({ raw }) => raw);
    if (went.length > 0) await store.outboxes.ack(conversationId, went);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * `flush` for the steps of many conversations just committed together (store `commitMany`: their
   * entries wait in the batch's outbox, `held`): their outcomes go to `outcomes` in one call, their
   * SMS in `sms-out` jobs of several, and then, in one call per batch, their entries leave the
   * batch's outbox and the outcomes are marked. `marked`: the outcomes each conversation had marked
   * handed over, as its commit read them: those are not added again. Each hand-over is idempotent
   * as in `flush` (job ids, outcome marks, the SMS record's claim), so a failed one is tried again
   * whole, after each pause of `HANDOVER_RETRY_MS` (or the deps' `handOverRetryMs`); should every try fail, the entries wait for
   * the recovery sweep and this rejects. `adds`: how the outcomes are added (outcomes.ts `add`).
   */
  async flushMany(steps: readonly HandedStep[], adds: OutcomeAdds = 'each'): Promise<void> {
    const withEntries = steps.filter((s) => s.entries.length > 0);
    if (withEntries.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handOverMany(withEntries, adds);
        if (attempt > 0)
          this.deps.log.info(
            { conversations: withEntries.map((step) => step.conversation.id), attempt },
            'outbox hand-over done after a retry',
          );
        return;
      } catch (err) {
        const pause = (this.deps.handOverRetryMs ?? HANDOVER_RETRY_MS)[attempt];
        const about = {
          err,
          conversations: withEntries.map((step) => step.conversation.id),
          batches: batchesOf(withEntries),
          attempt,
        };
        if (pause === undefined) {
          this.counts.leftToRecovery += withEntries.length;
          this.deps.log.warn(about, 'outbox hand-over failed every try; left to the recovery sweep');
          throw err;
        }
        this.counts.retries += 1;
        // The first failure is worth a line; the tries after it, while Redis is away, are not.
        if (attempt === 0)
          this.deps.log.warn({ ...about, retryInMs: pause }, 'outbox hand-over failed; trying it again');
        else this.deps.log.debug({ ...about, retryInMs: pause }, 'outbox hand-over failed again');
        await delay(pause);
      }
    }
  }

  /** One try of `flushMany`'s hand-over. */
  private async handOverMany(withEntries: readonly HandedStep[], adds: OutcomeAdds): Promise<void> {
    const fresh = withEntries.map(({ entries, marked }) =>
      entries.flatMap((e) =>
        e.t === 'outcome' && (marked & outcomeBit(e.job.outcome)) === 0 ? [e.job] : [],
      ),
    );
    const outcomes = fresh.flat();
    await Promise.all([
      this.deps.outcomes.add(outcomes, adds),
      ...withEntries.flatMap(({ conversation, entries }) =>
        entries
          .filter((e) => e.t !== 'outcome')
          .map((entry) =>
            this.handOver(
              conversation.id,
              entry,
              () => Promise.resolve(conversation),
              this.sentTexts(conversation.id),
            ),
          ),
      ),
    ]);
    const done = new Map<string, Array<{ id: string; field: string; marks: number }>>();
    withEntries.forEach(({ conversation, held }, i) => {
      if (!held) return;
      const marks = (fresh[i] ?? []).reduce((bits, job) => bits | outcomeBit(job.outcome), 0);
      const batch = done.get(held.batch) ?? [];
      batch.push({ id: conversation.id, field: held.field, marks });
      done.set(held.batch, batch);
    });
    await Promise.all([...done].map(([batch, of]) => this.deps.store.outboxes.batchDone(batch, of)));
    await this.deps.outcomes.tell(outcomes);
  }

  /**
   * The texts of a conversation's SMS by smsId, read from its timeline once and only if asked: a
   * stored outbox entry has no text (store/outbox.ts `StoredOutboxEntry`); the timeline entry the
   * same commit wrote keeps it exactly as it is to be sent.
   */
  private sentTexts(conversationId: string): (smsId: string) => Promise<string> {
    let timeline: Promise<TimelineEntry[]> | undefined;
    return async (smsId) => {
      timeline ??= this.deps.store.timeline(conversationId);
      const sms = (await timeline).find((e) => e.kind === 'sms' && e.smsId === smsId);
      if (sms?.kind !== 'sms')
        throw new GatewayError(
          'GW_STORE_FORMAT',
          `conversation ${conversationId}: no timeline entry holds the text of SMS ${smsId}`,
        );
      return sms.text;
    };
  }

  private async handOver(
    conversationId: string,
    entry: OutboxEntry | StoredOutboxEntry,
    conversation: () => Promise<Conversation | null>,
    texts: (smsId: string) => Promise<string>,
  ): Promise<void> {
    const { store } = this.deps;
    switch (entry.t) {
      case 'sms': {
        const data: SmsOutJob = {
          conversationId,
          smsId: entry.smsId,
          to: entry.to,
          text: 'text' in entry ? entry.text : await texts(entry.smsId),
          templateId: entry.templateId,
          asksConsent: entry.asksConsent,
          ...(entry.campaign ? { campaign: entry.campaign } : {}),
          ...(entry.startsDeadline ? { startsDeadline: true } : {}),
          ...(entry.deadlineStage ? { deadlineStage: entry.deadlineStage } : {}),
          ...(entry.notice ? { notice: true } : {}),
          ...(entry.invitation ? { invitation: entry.invitation } : {}),
        };
        // Outside the sending window: held until it opens (the sweeper hands it over then).
        if (entry.notBefore !== undefined && entry.notBefore > this.deps.now())
          await this.deps.holds.hold(data, entry.notBefore);
        else await this.deps.sms.add(data);
        return;
      }
      case 'wait':
        await this.deps.holds.wait(conversationId, entry.at);
        return;
      case 'assignment': {
        const conv = await conversation();
        // Kept, never removed by us: the job id is the "exactly once" guard (CONTRACT.md).
        if (!conv) return;
        await this.deps.assignments.add(ASSIGNMENT_JOB_NAME, assignmentOf(conv, this.deps.zone), {
          jobId: conversationId,
          ...DOWNSTREAM_RETRY,
        });
        this.deps.log.info(
          {
            event: 'consent.enqueued',
            conversationId,
            service: conv.service,
            campaign: conv.campaign ?? undefined,
            queue: this.deps.assignments.name,
          },
          'consent enqueued',
        );
        return;
      }
      case 'outcome':
        await this.deps.outcomes.emit([entry.job]);
        return;
      case 'deadline':
        await store.setDeadline(conversationId, entry.at);
        return;
      case 'index': {
        const conv = await conversation();
        if (conv) await store.indexMsisdn(conv);
        return;
      }
      case 'unsend':
        await store.sms.markUnsent({ conversationId, smsId: entry.smsId }, UNSENT_TTL_SECONDS);
        return;
    }
  }

  /**
   * Recovery: flush the outboxes a crash left behind, the conversations' own and the batches' older
   * than `BATCH_RECOVERY_MS` (younger ones are still being handed over). Returns how many
   * conversations and batches it found to flush. A failure is tried again at the next run; one that
   * is not Redis being away is counted, and after `SET_ASIDE_AFTER` the outbox is set aside.
   */
  async recover(limit = 500, batchAgeMs = BATCH_RECOVERY_MS): Promise<number> {
    const { outboxes } = this.deps.store;
    const ids = await outboxes.pending(limit);
    for (const id of ids) {
      await this.flush(id)
        .then(() => outboxes.handedOver(id))
        .catch((err: unknown) => this.recoveryFailed(id, err));
    }
    const batches = await outboxes.batchesDue(batchAgeMs, limit);
    for (const batch of batches) {
      await this.flushBatch(batch).then(
        (steps) => {
          if (steps === 0) return;
          this.counts.recoveredBatches += 1;
          // Only a process stopped, or a hand-over cut longer than its tries, leaves one.
          this.deps.log.info({ batch, steps }, 'outbox batch handed over by the recovery sweep');
        },
        (err: unknown) => this.deps.log.warn({ err, batch }, 'outbox batch recovery failed'),
      );
    }
    return ids.length + batches.length;
  }

  /**
   * A recovery's hand-over of a conversation's outbox (or of a batch's `step`) failed: counted
   * unless Redis is away, logged once as a warning, and set aside once it failed long enough.
   */
  private async recoveryFailed(
    id: string,
    err: unknown,
    step?: BatchStep & { batch: string },
  ): Promise<void> {
    const about = { err, conversationId: id, ...(step ? { batch: step.batch } : {}) };
    await this.countFailure(id, err, about, step).catch((countErr: unknown) =>
      this.deps.log.warn({ ...about, countErr }, 'outbox recovery failed and was not counted'),
    );
  }

  private async countFailure(
    id: string,
    err: unknown,
    about: Record<string, unknown>,
    step?: BatchStep & { batch: string },
  ): Promise<void> {
    const { log, store } = this.deps;
    if (isRedisAway(err) || !store.connected()) {
      log.debug(about, 'outbox recovery failed while Redis is away; tried again at the next run');
      return;
    }
    const item = step ? `${step.batch}/${step.field}` : id;
    const now = this.deps.now();
    const message = err instanceof Error ? err.message : String(err);
    const count = await store.outboxes.failed(item, now, message);
    const after = SET_ASIDE_AFTER;
    if (count.tries < after.tries || now - count.since < after.ms) {
      if (count.tries === 1)
        log.warn(about, 'outbox recovery failed; tried again at each run until set aside');
      else log.debug({ ...about, tries: count.tries }, 'outbox recovery failed again');
      return;
    }
    const why = {
      v: 1,
      since: count.since,
      at: now,
      tries: count.tries,
      error: message,
      from: step ? 'batch' : 'outbox',
    } as const;
    await store.outboxes.setAside(id, why, step);
    log.error(
      { ...about, tries: count.tries, failingSince: new Date(count.since).toISOString() },
      'outbox set aside: its hand-over failed every try; an operator hands it over again once fixed (docs/operations.md)',
    );
  }

  /**
   * An operator hands a conversation's outbox set aside over again (once the cause is fixed):
   * null if it is not set aside; otherwise it is handed over whole and no longer set aside, or this
   * rejects with the failure and it stays aside.
   */
  async replay(id: string): Promise<{ entries: number } | null> {
    const { outboxes } = this.deps.store;
    if (!(await outboxes.setAsideOf(id))) return null;
    const entries = (await outboxes.list(id)).length;
    await this.flush(id);
    await outboxes.revived(id);
    this.deps.log.info(
      { event: 'outbox.replayed', conversationId: id, entries },
      'outbox set aside handed over again',
    );
    return { entries };
  }

  /**
   * Hands over what is left of a batch's outbox, step by step, each as `flush` would; how many
   * steps went. A step that fails holds back no other: it is counted (`recoveryFailed`), and the
   * batch is tried again at the next run.
   */
  private async flushBatch(batch: string): Promise<number> {
    const { store } = this.deps;
    const steps = await store.outboxes.batchSteps(batch);
    let went = 0;
    for (const step of steps) {
      const { id, field } = step;
      let conv: Conversation | null | undefined;
      const conversation = async (): Promise<Conversation | null> => (conv ??= await store.get(id));
      const texts = this.sentTexts(id);
      try {
        const entries = stepEntries(step.raw);
        await Promise.all(entries.map((entry) => this.handOver(id, entry, conversation, texts)));
        await store.outboxes.batchDone(batch, [{ id, field, marks: 0 }]);
        await store.outboxes.handedOver(`${batch}/${field}`);
        went += 1;
      } catch (err) {
        await this.recoveryFailed(id, err, { ...step, batch });
      }
    }
    return went;
  }
}
