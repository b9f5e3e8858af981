/**
 * The `sms-out` worker: takes SMS from BullMQ and submits them over the SMPP
 * port. A restart or a dead link loses nothing (the job stays in the queue
 * and is retried with backoff), and an SMS the SMSC accepted is never sent
 * again: the accepted parts are recorded before the job completes, and a
 * retried job that finds them skips the submit (issue 3, point 3).
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { QUEUES } from '../../queues/names.js';
import { smsOutJob, type SmsOutJob } from '../../queues/jobs.js';
import type { RedisClient } from '../../store/redis.js';
import { readSmsRecord, sentRecord } from '../../store/sms-record.js';
import type { Logger } from '../log.js';
import type { SmsTransport, SubmitResume } from '../smpp/transport.js';
import type { Core } from './runtime.js';
import { stalledOptions, type StalledJobs } from './stalled.js';

/**
 * The receipt index id of one part: SMSC message ids are unique per carrier only, so the
 * carrier scopes them. `id` is one spelling of the id (parsers/receipt.ts `messageIdKeys`).
 */
export function receiptId(carrier: string | undefined, id: string): string {
  return `${carrier ?? '-'}:${id.trim().toLowerCase()}`;
}

/**
 * How long the record of a sent SMS (its parts, template and campaign) is kept: receipts need
 * it for up to 72 h (store/receipts.ts); a re-hand-over of the SMS finds it and sends nothing.
 */
export const RECEIPT_TTL_SECONDS = 7 * 86_400;

export interface SenderOptions {
  readonly core: Core;
  readonly transport: SmsTransport;
  /** A connection of its own: BullMQ workers block on it. */
  readonly connection: RedisClient;
  readonly log: Logger;
  /** Jobs in flight; the SMPP window and TPS do the real pacing. Default 64. */
  readonly concurrency?: number;
  /** How soon a job held by a dead process is retried; BullMQ's defaults when absent. */
  readonly stalled?: StalledJobs;
}

/** After a lost link, the SMS waits this long for a bind before it is tried again. */
export const LINK_DOWN_RETRY_MS = 1000;
const LINK_DOWN = new Set(['NOT_BOUND', 'CONNECTION_LOST', 'CLOSED']);

function isLinkDown(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && LINK_DOWN.has(code);
}

function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}

export async function sendOne(
  core: Core,
  transport: SmsTransport,
  data: SmsOutJob,
  log: Logger,
): Promise<'sent' | 'skipped'> {
  const { store } = core;
  const partsKey = store.keys.smsParts(data.conversationId, data.smsId);
  const record = await readSmsRecord(store.redis, partsKey);
  if (record.state === 'sent') return 'skipped';
  let result;
  try {
    result = await transport.submit({
      to: data.to,
      text: data.text,
      reference: `${data.conversationId}.${data.smsId}`,
      ...(record.state === 'partial' ? { resume: JSON.parse(record.resume) as SubmitResume } : {}),
    });
  } catch (err) {
    if (isRetryable(err)) {
      await rememberAcceptedParts(store, partsKey, err);
      throw err;
    }
    const reason = err instanceof Error ? err.message : String(err);
    await store.append(data.conversationId, {
      at: core.now(),
      kind: 'sms-status',
      smsId: data.smsId,
      status: 'failed',
      reason,
    });
    log.warn(
      { conversationId: data.conversationId, smsId: data.smsId, reason },
      'SMSC refused an SMS for good',
    );
    throw new UnrecoverableError(reason);
  }
  const ids = result.parts.map((p) => p.messageId);
  const now = core.now();
  const parts = result.parts.map((p) => ({ id: receiptId(result.carrier, p.messageId), p: p.index }));
  // Links and the SMS's record go out together (one round trip). Commands on one connection run
  // in order, so the record that marks the SMS sent lands after its links.
  const link = { c: data.conversationId, s: data.smsId, n: parts.length, asksConsent: data.asksConsent };
  await Promise.all([
    store.receipts.link(parts, link),
    store.recordSent(
      data.conversationId,
      partsKey,
      sentRecord(data.templateId, data.campaign),
      RECEIPT_TTL_SECONDS,
      {
        at: now,
        kind: 'sms-status',
        smsId: data.smsId,
        status: 'sent',
        messageIds: ids,
        encoding: result.encoding,
      },
    ),
  ]);
  if (data.campaign && data.asksConsent) await core.campaigns.increment(data.campaign, 'sent', now);
  return 'sent';
}

/**
 * A long message cut by a dropped link: remember the parts the SMSC accepted and the
 * concatenation reference, so the retry sends only the rest (issue 3: none that had its
 * response is sent twice) and the phone joins them into one SMS.
 */
async function rememberAcceptedParts(store: Core['store'], partsKey: string, err: unknown): Promise<void> {
  const e = err as { acceptedParts?: SubmitResume['accepted']; ref?: number };
  if (e.ref === undefined || !e.acceptedParts?.length) return;
  const resume: SubmitResume = { ref: e.ref, accepted: e.acceptedParts };
  await store.redis.set(partsKey, JSON.stringify(resume), 'EX', RECEIPT_TTL_SECONDS);
}

export function startSender(options: SenderOptions): Worker {
  const { core, transport, log } = options;
  const worker = new Worker(
    QUEUES.smsOut,
    async (job: Job, token?: string) => {
      try {
        return await sendOne(core, transport, smsOutJob.parse(job.data), log);
      } catch (err) {
        // A link that drops is not the SMS's fault: wait for a bind without using up an attempt
        // (12 attempts would otherwise go in a few minutes of a flapping link).
        if (isLinkDown(err) && token !== undefined) {
          await job.moveToDelayed(Date.now() + LINK_DOWN_RETRY_MS, token);
          throw new DelayedError();
        }
        throw err;
      }
    },
    {
      connection: options.connection,
      prefix: core.queuePrefix,
      concurrency: options.concurrency ?? 64,
      // A job whose worker died is retried: the parts record makes that safe.
      maxStalledCount: 10,
      ...stalledOptions(options.stalled),
    },
  );
  worker.on('failed', (job, err) => {
    log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'sms-out job failed');
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'sms-out worker error'));
  return worker;
}
