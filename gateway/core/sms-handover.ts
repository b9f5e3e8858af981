/**
 * Hands SMS to the `sms-out` queue, several per BullMQ job when several come in one
 * event-loop turn (a campaign's invitations, the acknowledgements of a burst of replies).
 *
 * Why: a BullMQ job costs its worker far more CPU (add, move-to-active, move-to-finished,
 * lock) than the SMPP submit of the SMS in it (docs/performance.md). A batch shares that cost,
 * and still loses nothing: the job is in Redis before the hand-over resolves, and the sender
 * records each SMS's outcome in its own record (sender.ts), so a retried batch sends only
 * what was not sent. A lone SMS keeps a job of its own whose id names it.
 */
import DataLoader from 'dataloader';
import type { JobsOptions, Queue } from 'bullmq';
import { SMS_BATCH_JOB_NAME, SMS_JOB_NAME, type SmsOutJob } from '../../queues/jobs.js';

/**
 * Retries of one SMS. The sender pauses while no bind is up, so these cover refusals
 * and timeouts, not outages: 12 attempts from 1 s doubling ≈ 1 h 8 min in all.
 */
export const SMS_RETRY = { attempts: 12, backoff: { type: 'exponential', delay: 1000 } } as const;

/**
 * SMS per batch job: 50 offers of 10 parts are 500 segments, a few seconds of one bind at
 * a carrier's usual TPS; beyond that a batch gains nothing and a crashed one re-reads more.
 */
export const SMS_BATCH_MAX = 50;

/**
 * A sent SMS's job is removed at once: kept a day, it would hold the whole text in Redis, more
 * than the conversation itself (docs/performance.md, memory). A late re-hand-over then adds the job again, and the sender finds
 * the SMS sent (its sent entry in the timeline, or its record marked sent: both written before
 * the job completes) and sends nothing (gateway/core/sender.ts). Failed jobs stay a day for the
 * operators.
 */
const DONE = { removeOnComplete: true, removeOnFail: { age: 24 * 3600 } } as const;

/**
 * Batches wait behind lone SMS, and a campaign's SMS behind every other: BullMQ hands out jobs
 * without a priority before prioritized ones, and lower numbers first (moveToActive), so the
 * answers to citizens' own SMS always go ahead of campaign traffic.
 */
const BATCH_PRIORITY = { priority: 1 } as const;
const CAMPAIGN_PRIORITY = { priority: 2 } as const;

/** A campaign's invitations (not the answers in its conversations, which go with every other answer). */
const hasCampaign = (sms: readonly SmsOutJob[]): boolean =>
  sms.some((s) => s.campaign !== undefined && s.asksConsent);

/** Options of a batch job (`sms-batch.v1`). */
export function smsBatchOptions(sms: readonly SmsOutJob[]): JobsOptions {
  return { ...SMS_RETRY, ...DONE, ...(hasCampaign(sms) ? CAMPAIGN_PRIORITY : BATCH_PRIORITY) };
}

/** The id of an SMS's own job: handing it over twice adds it once while the job exists. */
export const smsJobId = (sms: Pick<SmsOutJob, 'conversationId' | 'smsId'>): string =>
  `${sms.conversationId}.${sms.smsId}`;

/** Options of an SMS's own job (`sms.v1`). */
export function smsJobOptions(sms: SmsOutJob): JobsOptions {
  return { jobId: smsJobId(sms), ...SMS_RETRY, ...DONE, ...(hasCampaign([sms]) ? CAMPAIGN_PRIORITY : {}) };
}

export class SmsHandOver {
  private readonly loader: DataLoader<SmsOutJob, true>;

  constructor(
    private readonly queue: Queue,
    maxBatchSize = SMS_BATCH_MAX,
  ) {
    this.loader = new DataLoader((sms) => this.enqueue(sms), {
      cache: false,
      maxBatchSize,
      // After the I/O callbacks of this turn: the commits answered in one read of the Redis
      // socket (a campaign's concurrent invitations) end up in one batch.
      batchScheduleFn: (callback) => setImmediate(callback),
    });
  }

  /** Resolves once the SMS is in the queue (in a job of its own or in a batch). */
  async add(sms: SmsOutJob): Promise<void> {
    await this.loader.load(sms);
  }

  /** Several SMS at once (they may still be split into batches of `maxBatchSize`). */
  async addAll(sms: readonly SmsOutJob[]): Promise<void> {
    const results = await this.loader.loadMany(sms);
    const failed = results.find((r) => r instanceof Error);
    if (failed) throw failed;
  }

  private async enqueue(sms: readonly SmsOutJob[]): Promise<true[]> {
    // One SMS handed over twice in the same turn (two flushes of one outbox) is queued once.
    const unique = [...new Map(sms.map((s) => [smsJobId(s), s])).values()];
    const [first] = unique;
    if (unique.length === 1 && first) await this.queue.add(SMS_JOB_NAME, first, smsJobOptions(first));
    else await this.queue.add(SMS_BATCH_JOB_NAME, { sms: unique }, smsBatchOptions(unique));
    return sms.map(() => true);
  }
}
