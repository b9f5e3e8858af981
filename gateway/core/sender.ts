/**
 * The `sms-out` worker: takes SMS from BullMQ (one per job, or a batch: sms-handover.ts) and
 * submits them over the SMPP port. A restart or a dead link loses nothing (the job stays in
 * the queue and is retried with backoff), and an SMS the SMSC accepted is never sent again:
 * each SMS's record is claimed by the job that sends it, its sent entry (or its record marked
 * sent) is written before the job completes, and a job that finds it sent skips the submit
 * (store/lua/claim-n.lua).
 * Longer than 300 lines: a job's claims, submits, outcomes and retries share the send-once rules.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { nextOpening, windowEnd } from '../../dialogue/window.js';
import { QUEUES } from '../../queues/names.js';
import {
  RECEIPT_JOB_NAME,
  SMS_BATCH_JOB_NAME,
  SMS_JOB_NAME,
  smsOfJob,
  type ReceiptJob,
  type SmsOutJob,
} from '../../queues/jobs.js';
import { JOB_OPTS } from './inbound.js';
import { isTestId, simulatedSubmit, testReceiptOf } from './test-traffic.js';
import type { RedisClient } from '../../store/connection.js';
import { type SmsRecord, type SmsRef } from '../../store/sms-record.js';
import { logWorkerErrors, type ConnectionLog } from '../connection-log.js';
import type { Logger } from '../log.js';
import type { CoreMetrics } from './metrics.js';
import { TransportError, type SmsTransport, type SubmitResult, type SubmitResume } from './ports.js';
import { NO_CONVERSATION } from './replies.js';
import type { Core } from './runtime.js';
import { RECEIPT_TTL_SECONDS, SentWrites } from './sent-writes.js';
import { isNotice, PAUSE_RECHECK_MS, planPace } from './pace.js';
import { smsBatchOptions, smsJobId, smsJobOptions } from './sms-handover.js';
import { stalledOptions, type StalledJobs } from './stalled.js';

export interface SenderOptions {
  readonly core: Core;
  readonly transport: SmsTransport;
  /** A connection of its own: BullMQ workers block on it. */
  readonly connection: RedisClient;
  readonly log: Logger;
  /** Redis's connection log: the worker's connection errors are part of an outage's two lines. */
  readonly connections?: ConnectionLog;
  /** Jobs in flight (a job may hold a batch); the SMPP window and TPS do the real pacing. Default 8. */
  readonly concurrency?: number;
  /** How soon a job held by a dead process is retried; BullMQ's defaults when absent. */
  readonly stalled?: StalledJobs;
  readonly metrics?: Pick<CoreMetrics, 'sms' | 'courtesyFailed'>;
  /** Validity of every SMS and how old an SMS may get before a temporary failure fails it. */
  readonly lifetime?: Partial<SmsLifetime>;
  /**
   * With several carriers: how many of the `concurrency` jobs the SMS of one carrier may hold at
   * once (the rest bounce as `busy` and wait in the queue), so a carrier that answers slowly
   * leaves jobs to the others. None: no limit.
   */
  readonly carrierShare?: number;
}

/** How long an SMS may take (docs/smpp.md, "An end to every SMS's story"). */
export interface SmsLifetime {
  /** `validity_period` of every SMS: the SMSC gives up delivering after this. Default 24 h. */
  readonly validitySeconds: number;
  /**
   * The end of the sending window that `now` lies in (epoch ms), if there is one: a notice's
   * validity ends there too, so it never reaches a phone at night. None by default.
   */
  readonly windowEnd: (now: number) => number | undefined;
  /** An SMS not accepted this long after it was queued (temporary failures, links down) fails. Default 24 h. */
  readonly maxAgeMs: number;
  /**
   * When the sending window opens for a campaign's SMS at `now` (`now` itself while it is open):
   * the seam for SEND_WINDOW. Open all the time by default.
   */
  readonly opensAt: (now: number) => number;
  /** A paused campaign's SMS look again this often (pace.ts `PAUSE_RECHECK_MS`). */
  readonly pauseRecheckMs: number;
}

export const DEFAULT_LIFETIME: SmsLifetime = {
  validitySeconds: 24 * 3600,
  windowEnd: () => undefined,
  maxAgeMs: 24 * 3600_000,
  opensAt: (now) => now,
  pauseRecheckMs: PAUSE_RECHECK_MS,
};

/** The validity of one SMS sent now: the configured one, cut at the window's end for a notice. */
export function validityOf(lifetime: SmsLifetime, sms: SmsOutJob, now: number): number {
  const end = isNotice(sms) ? lifetime.windowEnd(now) : undefined;
  const seconds = lifetime.validitySeconds;
  return end === undefined ? seconds : Math.min(seconds, Math.max(60, Math.floor((end - now) / 1000)));
}

/** After a lost link, the SMS waits this long for a bind before it is tried again. */
export const LINK_DOWN_RETRY_MS = 1000;

const isLinkDown = (err: unknown): boolean => err instanceof TransportError && err.kind === 'unavailable';

/**
 * Jobs holding SMS of each carrier. A job's SMS wait inside it for their carrier's window and
 * responses, so a carrier whose SMSC answers slowly would otherwise take every job of the sender
 * and hold up the SMS of the others (head-of-line blocking across carriers).
 */
export class CarrierShare {
  private readonly held = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** A place for one more job of `carrier`; false when its jobs are at the limit. */
  take(carrier: string): boolean {
    const n = this.held.get(carrier) ?? 0;
    if (n >= this.limit) return false;
    this.held.set(carrier, n + 1);
    return true;
  }

  release(carrier: string): void {
    const n = (this.held.get(carrier) ?? 1) - 1;
    if (n > 0) this.held.set(carrier, n);
    else this.held.delete(carrier);
  }
}
const isRetryable = (err: unknown): boolean => err instanceof TransportError && err.retryable;

/** What became of one SMS of a job. */
type Outcome =
  /** `simulated`: a test conversation's SMS, accepted as the simulator would, never submitted. */
  | { readonly kind: 'sent' | 'skipped' | 'simulated' }
  | { readonly kind: 'failed'; readonly reason: string }
  /** Not accepted yet, for a reason that may pass (timeout, throttled beyond the retries). */
  | { readonly kind: 'retry'; readonly err: unknown }
  | { readonly kind: 'link-down'; readonly err: unknown }
  /** Its carrier's SMS hold their share of the sender's jobs: it waits in the queue (CarrierShare). */
  | { readonly kind: 'busy' };

interface Context {
  readonly core: Core;
  readonly transport: SmsTransport;
  readonly writes: SentWrites;
  readonly log: Logger;
  readonly metrics?: Pick<CoreMetrics, 'sms' | 'courtesyFailed'> | undefined;
  readonly lifetime: SmsLifetime;
  readonly share?: CarrierShare | undefined;
}

/** Whether a temporary failure of this job's SMS is its last: the SMS is then failed for good. */
interface Chances {
  /** When the job was added (an SMS handed over before that carries its own `queuedAt`). */
  readonly jobAt: number;
  /** A lone SMS's job on its last attempt (a link down uses none). */
  readonly lastAttempt: boolean;
}

/**
 * An SMS is this job's to send when the job holds its claim, or the parts left of it; not when
 * it is sent, refused, or another job's.
 */
const mine = (record: SmsRecord, owner: string): boolean =>
  (record.state === 'claimed' || record.state === 'partial') && record.owner === owner;

const withinMaxAge = (ctx: Context): string => `within ${Math.round(ctx.lifetime.maxAgeMs / 3600_000)} h`;

/** Older than SMS_MAX_AGE_HOURS since it was first queued: a temporary wait ends in failure. */
const tooOld = (ctx: Context, data: SmsOutJob, chances: Chances): boolean =>
  Date.now() - (data.queuedAt ?? chances.jobAt) > ctx.lifetime.maxAgeMs;

/**
 * An SMS that will never go: its failure in the timeline, on the undelivered worklist (a courtesy
 * SMS only counted) and in the log. `markFailed` keeps any later job from sending it.
 */
async function failForGood(
  ctx: Context,
  data: SmsOutJob,
  reason: string,
  markFailed: boolean,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const { store } = ctx.core;
  const { conversationId, smsId } = data;
  await store.append(conversationId, {
    at: ctx.core.now(),
    kind: 'sms-status',
    smsId,
    status: 'failed',
    reason,
  });
  if (markFailed) await store.sms.markFailed(data, RECEIPT_TTL_SECONDS);
  if (conversationId !== NO_CONVERSATION) {
    const conv = await store.get(conversationId);
    const listed = await ctx.core.worklists.smsFailed(conv, data.templateId, ctx.core.now());
    if (listed === 'courtesy') ctx.metrics?.courtesyFailed.inc({ stage: 'submit' });
    // The request itself never reaches the phone: `undeliverable` (CONTRACT.md), as a failed receipt
    // makes it, with its outcome; otherwise it would stay `invited` for ever, with no deadline.
    // Refused by the carrier: REJECTD; never accepted in time (temporary failures): EXPIRED.
    if (data.asksConsent) {
      const status = typeof detail.status === 'string' ? detail.status : undefined;
      await ctx.core.conversations.apply(conversationId, {
        type: 'delivery-failed',
        templateId: data.templateId,
        status: detail.kind === 'rejected' ? 'REJECTD' : 'EXPIRED',
        ...(status !== undefined ? { err: status } : {}),
      });
    }
  }
  ctx.log.warn(
    {
      event: 'sms.refused',
      conversationId,
      smsId,
      templateId: data.templateId,
      campaign: data.campaign,
      reason,
      ...detail,
    },
    'SMS failed for good',
  );
}

async function sendSms(
  ctx: Context,
  data: SmsOutJob,
  record: SmsRecord,
  owner: string,
  inBatch: boolean,
  learned: string | undefined,
  chances: Chances,
): Promise<Outcome> {
  if (!mine(record, owner)) {
    // Sent by a job that may have stopped before handing `sent` over.
    if (record.state === 'sent') await ctx.writes.handOverSent(data);
    return { kind: 'skipped' };
  }
  if (isTestId(data.conversationId)) return simulate(ctx, data);
  const { store } = ctx.core;
  let result;
  try {
    result = await ctx.transport.submit({
      to: data.to,
      text: data.text,
      reference: `${data.conversationId}.${data.smsId}`,
      ...(record.state === 'partial' ? { resume: record.resume } : {}),
      ...(learned !== undefined ? { learnedCarrier: learned } : {}),
      ...(data.avoidCarriers ? { avoidCarriers: data.avoidCarriers } : {}),
      validitySeconds: validityOf(ctx.lifetime, data, ctx.core.now()),
    });
  } catch (err) {
    const linkDown = isLinkDown(err);
    const temporary = linkDown || isRetryable(err);
    const old = tooOld(ctx, data, chances);
    const last = old || (chances.lastAttempt && !linkDown);
    if (temporary && !last) {
      await rememberAcceptedParts(store, data, err, owner);
      return linkDown ? { kind: 'link-down', err } : { kind: 'retry', err };
    }
    const why = err instanceof Error ? err.message : String(err);
    const reason = temporary
      ? `not accepted ${old ? withinMaxAge(ctx) : 'after every attempt'}: ${why}`
      : why;
    // A batch may run again (a dropped link, a lost write): the refused SMS must not go out again.
    // A lone SMS keeps its claim, so an operator's retry of its failed job sends it once more.
    await failForGood(ctx, data, reason, inBatch || temporary, {
      ...(err instanceof TransportError ? { kind: err.kind, status: err.carrierStatus } : {}),
    });
    return { kind: 'failed', reason };
  }
  await ctx.writes.sent(data, result);
  ctx.log.info(
    {
      event: 'sms.submitted',
      conversationId: data.conversationId,
      smsId: data.smsId,
      templateId: data.templateId,
      campaign: data.campaign,
      parts: result.parts.length,
      encoding: result.encoding,
      carrier: result.carrier,
      bind: result.bindId,
    },
    'SMS submitted',
  );
  if (result.firstTry || data.avoidCarriers) await learnWhereSent(ctx, data, result);
  return { kind: 'sent' };
}

/**
 * A test conversation's SMS (a `test` key's): recorded as sent and, as the simulator's SMSC does,
 * delivered — a DELIVRD receipt per part on the `inbound` queue, read as any carrier's receipt
 * (UNDELIV to a test number of TEST_FAILURES). No carrier is reached, nothing is learned of the number.
 */
async function simulate(ctx: Context, data: SmsOutJob): Promise<Outcome> {
  const result = simulatedSubmit(data);
  await ctx.writes.sent(data, result);
  const receivedAt = ctx.core.now();
  const { stat, err } = testReceiptOf(data.to);
  await ctx.core.queues.inbound.addBulk(
    result.parts.map((part) => {
      const receipt: ReceiptJob = {
        smscMessageId: part.messageId,
        ...(result.carrier !== undefined ? { carrier: result.carrier } : {}),
        status: stat,
        errorCode: err,
        receivedAt,
      };
      return {
        name: RECEIPT_JOB_NAME,
        data: receipt,
        opts: { ...JOB_OPTS, jobId: `test-dlr.${part.messageId}` },
      };
    }),
  );
  ctx.log.info(
    {
      event: 'sms.simulated',
      conversationId: data.conversationId,
      smsId: data.smsId,
      templateId: data.templateId,
    },
    'test SMS: accepted and delivered as the simulator would, not sent to a carrier',
  );
  return { kind: 'simulated' };
}

/**
 * The SMS went through another carrier than the one first thought (a "not our subscriber"
 * answer): remember it for the number's next SMS, and show the refused first try.
 */
async function learnWhereSent(ctx: Context, data: SmsOutJob, result: SubmitResult): Promise<void> {
  if (result.carrier !== undefined) await ctx.core.carrierMemory?.learn(data.to, result.carrier);
  const first = result.firstTry;
  if (first && data.conversationId !== NO_CONVERSATION)
    await ctx.core.store.append(data.conversationId, {
      at: ctx.core.now(),
      kind: 'sms-status',
      smsId: data.smsId,
      status: 'wrong-network',
      carrier: first.carrier,
      reason: first.status,
      ...(result.carrier !== undefined ? { sentVia: result.carrier } : {}),
    });
}

/**
 * A long message cut by a dropped link: remember the parts the SMSC accepted and the
 * concatenation reference, so the retry sends only the rest (none that had its response is
 * sent twice) and the phone joins them into one SMS.
 */
async function rememberAcceptedParts(
  store: Core['store'],
  sms: SmsRef,
  err: unknown,
  owner: string,
): Promise<void> {
  const resume: SubmitResume | undefined = err instanceof TransportError ? err.resume : undefined;
  if (!resume?.accepted.length) return;
  // Still this job's to finish: another job holding the same SMS must not send the rest too.
  await store.sms.recordPartial(sms, resume, owner, RECEIPT_TTL_SECONDS);
}

/**
 * Sends the SMS of one job, each at most once per accepted submit, all at once (the window paces
 * them). Waits for every one before failing: a retry of the job while some of its submits still
 * ran would find their claims its own and send them again.
 */
async function sendAll(
  ctx: Context,
  sms: readonly SmsOutJob[],
  owner: string,
  chances: Chances,
): Promise<Outcome[]> {
  const { store } = ctx.core;
  const [records, learned] = await Promise.all([
    store.sms.claim(sms, owner, RECEIPT_TTL_SECONDS),
    ctx.core.carrierMemory?.learnedMany(sms.map((s) => s.to)),
  ]);
  const { busy, release } = takeShares(ctx, sms, records, owner, learned);
  let settled: PromiseSettledResult<Outcome>[];
  try {
    settled = await Promise.allSettled(
      sms.map((s, i) =>
        busy.has(i)
          ? waitForShare(ctx, s, chances)
          : sendSms(ctx, s, records[i] as SmsRecord, owner, sms.length > 1, learned?.[i], chances),
      ),
    );
  } finally {
    release();
  }
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<Outcome>).value);
}

/**
 * An SMS whose carrier holds its share of the jobs waits in the queue, as one whose link is down
 * does, and ages as that one does: once older than SMS_MAX_AGE_HOURS it fails for good (never sent
 * late, past its sense), with the same reason, outcome and metric.
 */
async function waitForShare(ctx: Context, data: SmsOutJob, chances: Chances): Promise<Outcome> {
  if (!tooOld(ctx, data, chances)) return { kind: 'busy' };
  const reason = `not accepted ${withinMaxAge(ctx)}: its carrier's SMS held their share of the sender's jobs`;
  await failForGood(ctx, data, reason, true, { kind: 'busy' });
  return { kind: 'failed', reason };
}

/**
 * This job's places in the carriers' shares of the sender (CarrierShare), one per carrier its SMS
 * go to; the SMS of a carrier at its limit are `busy` (by index).
 */
function takeShares(
  ctx: Context,
  sms: readonly SmsOutJob[],
  records: readonly SmsRecord[],
  owner: string,
  learned: readonly (string | undefined)[] | undefined,
): { busy: ReadonlySet<number>; release: () => void } {
  const { share, transport } = ctx;
  const busy = new Set<number>();
  if (!share || !transport.carrierFor) return { busy, release: () => undefined };
  const taken: string[] = [];
  const refused = new Set<string>();
  sms.forEach((s, i) => {
    if (!mine(records[i] as SmsRecord, owner) || isTestId(s.conversationId)) return;
    const carrier = transport.carrierFor!(s.to, learned?.[i], s.avoidCarriers);
    if (taken.includes(carrier)) return;
    if (!refused.has(carrier) && share.take(carrier)) taken.push(carrier);
    else {
      refused.add(carrier);
      busy.add(i);
    }
  });
  return { busy, release: () => taken.forEach((c) => share.release(c)) };
}

/**
 * SMS of a batch that failed for a reason that may pass go on in jobs of their own, each with
 * its own retries and backoff, and the batch completes: retrying the whole batch would re-read
 * every SMS of it for the sake of one. The claim (or the parts left) passes to the new job first.
 */
async function handOffAlone(
  core: Core,
  sms: readonly SmsOutJob[],
  owner: string,
  jobAt: number,
): Promise<void> {
  for (const s of sms) {
    await core.store.sms.transferClaim(s, owner, smsJobId(s));
    // Its age counts from its first hand-over, not from this job's.
    const data: SmsOutJob = { ...s, queuedAt: s.queuedAt ?? jobAt };
    await core.queues.smsOut.add(SMS_JOB_NAME, data, smsJobOptions(data));
  }
}

/**
 * SMS of a campaign that is paused, paced or outside the sending window, and notices outside it,
 * wait (pace.ts): when the whole job waits it goes back to `delayed` until the first of them is
 * due, with their reserved slots; otherwise they go on in a delayed job of their own and the rest
 * are sent now.
 */
async function deferPaced(
  ctx: Context,
  job: Job,
  token: string | undefined,
  all: readonly SmsOutJob[],
): Promise<SmsOutJob[]> {
  if (!all.some((s) => s.campaign !== undefined || isNotice(s))) return [...all];
  const plan = await planPace(ctx.core, all, ctx.core.now(), ctx.lifetime);
  if (plan.later.length === 0) return plan.now;
  ctx.metrics?.sms.inc({ outcome: 'deferred' }, plan.later.length);
  // The pace's clock is the core's (tests move it); BullMQ's delays run on the wall clock.
  const wait = Math.max(0, Math.min(...plan.later.map((l) => l.at)) - ctx.core.now());
  const later = plan.later.map((l) => l.sms);
  if (plan.now.length === 0 && token !== undefined) {
    await job.updateData(job.name === SMS_BATCH_JOB_NAME ? { sms: later } : later[0]);
    await job.moveToDelayed(Date.now() + wait, token);
    throw new DelayedError();
  }
  await ctx.core.queues.smsOut.add(
    SMS_BATCH_JOB_NAME,
    { sms: later },
    { ...smsBatchOptions(later), delay: wait },
  );
  return plan.now;
}

async function processJob(ctx: Context, job: Job, token: string | undefined): Promise<string> {
  const sms = await deferPaced(ctx, job, token, smsOfJob(job));
  if (sms.length === 0) return 'deferred';
  const owner = job.id ?? `${job.name}:${job.timestamp}`;
  const chances: Chances = {
    jobAt: job.timestamp,
    lastAttempt: sms.length === 1 && job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
  };
  const outcomes = await sendAll(ctx, sms, owner, chances);
  const count = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  for (const kind of new Set(outcomes.map((o) => o.kind)))
    ctx.metrics?.sms.inc({ outcome: kind }, count(kind));
  // A link that drops is not the SMS's fault: wait for a bind without using up an attempt
  // (12 attempts would otherwise go in a few minutes of a flapping link).
  // So do SMS whose carrier holds its share of the jobs: they wait in the queue, not in a job.
  const waiting = outcomes.find((o) => o.kind === 'link-down' || o.kind === 'busy');
  if (waiting) {
    if (token === undefined)
      throw waiting.kind === 'link-down' ? waiting.err : new Error('its carrier holds its share of the jobs');
    await job.moveToDelayed(Date.now() + LINK_DOWN_RETRY_MS, token);
    throw new DelayedError();
  }
  const retry = outcomes.flatMap((o, i) => (o.kind === 'retry' ? [{ o, s: sms[i] as SmsOutJob }] : []));
  if (retry.length > 0 && sms.length === 1) throw (retry[0]?.o as { err: unknown }).err;
  if (retry.length > 0)
    await handOffAlone(
      ctx.core,
      retry.map((r) => r.s),
      owner,
      job.timestamp,
    );
  const failed = outcomes.find((o) => o.kind === 'failed');
  // A lone SMS refused for good fails its job, which operators see in the failed set.
  if (failed && sms.length === 1) throw new UnrecoverableError((failed as { reason: string }).reason);
  const simulated = count('simulated') > 0 ? `, simulated ${count('simulated')}` : '';
  return `sent ${count('sent')}, skipped ${count('skipped')}, failed ${count('failed')}, alone ${retry.length}${simulated}`;
}

/** Jobs in flight when the caller says nothing (gateway.ts `senderConcurrency` says more). */
export const DEFAULT_SENDER_CONCURRENCY = 8;

export function startSender(options: SenderOptions): Worker {
  const { core, transport, log } = options;
  const ctx: Context = {
    core,
    transport,
    log,
    writes: new SentWrites(core),
    metrics: options.metrics,
    lifetime: {
      ...DEFAULT_LIFETIME,
      // SEND_WINDOW (dialogue/window.ts): a notice's validity ends with the window; paced SMS wait for it.
      windowEnd: (now) => windowEnd(core.window, core.calendar, now) ?? undefined,
      opensAt: (now) => nextOpening(core.window, core.calendar, now),
      ...options.lifetime,
    },
    share: options.carrierShare === undefined ? undefined : new CarrierShare(options.carrierShare),
  };
  const worker = new Worker(QUEUES.smsOut, (job: Job, token?: string) => processJob(ctx, job, token), {
    connection: options.connection,
    prefix: core.queuePrefix,
    concurrency: options.concurrency ?? DEFAULT_SENDER_CONCURRENCY,
    // A job whose worker died is retried: the claims and records make that safe.
    maxStalledCount: 10,
    ...stalledOptions(options.stalled),
  });
  worker.on('failed', (job, err) => {
    log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'sms-out job failed');
  });
  logWorkerErrors(worker, 'sms-out worker', log, options.connections);
  return worker;
}
