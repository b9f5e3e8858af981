/**
 * The inbound worker: replies and receipts stored by the deliver_sm handler
 * are processed here, at least once (a killed process leaves the job to be
 * retried), and idempotently (the reply's key makes a second run a no-op).
 */
import { Worker, type Job } from 'bullmq';
import { QUEUES } from '../../queues/names.js';
import {
  RECEIPT_JOB_NAME,
  REPLY_BATCH_JOB_NAME,
  REPLY_JOB_NAME,
  receiptJob,
  replyBatchJob,
  replyJob,
  type ReplyJob,
} from '../../queues/jobs.js';
import type { RedisClient } from '../../store/connection.js';
import { logWorkerErrors, type ConnectionLog } from '../connection-log.js';
import type { Logger } from '../log.js';
import type { CoreMetrics } from './metrics.js';
import { TEST_CARRIER } from './test-traffic.js';
import { InboundProcessor, UnmatchedReceiptError } from './replies.js';
import type { Core } from './runtime.js';
import { stalledOptions, type StalledJobs } from './stalled.js';

export interface InboundWorkerOptions {
  readonly core: Core;
  readonly connection: RedisClient;
  readonly log: Logger;
  /** Redis's connection log: the worker's connection errors are part of an outage's two lines. */
  readonly connections?: ConnectionLog;
  /**
   * Default 8. The same event loop answers the SMSC's deliver_sm, and every reply decided is
   * CPU taken from it: many jobs at once take the whole core and the deliver_sm_resp waits
   * behind them; 8 leave room for the edge, the rest waiting in `inbound` (docs/performance.md).
   */
  readonly concurrency?: number;
  /**
   * Replies of batch jobs decided at once, across the jobs (default 4 × concurrency). Unbounded,
   * a few dozen batches of 50 keep so many replies waiting on Redis that the process spends its
   * CPU collecting their garbage (docs/performance.md).
   */
  readonly repliesAtOnce?: number;
  readonly metrics?: CoreMetrics;
  /** How soon a job held by a dead process is retried (BullMQ defaults: 30 s lock, 30 s check). */
  readonly stalled?: StalledJobs;
}

/** At most `limit` pieces of work at once; the rest wait their turn, first come first served. */
export class Lanes {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    // A lane freed by `run` below is handed over as it is, still counted.
    else await new Promise<void>((resume) => this.waiting.push(resume));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Decides a batch's replies: one number's in the order received, different numbers' at once
 * within `lanes` (shared by every job of the worker). Reply `i` of job `id` is the stored copy
 * `id.i`: a retry of the job takes each reply again as its own copy, and the replies already
 * decided change nothing (replies.ts). Fails, to be retried, if any reply failed.
 */
export async function decideBatch(
  processor: InboundProcessor,
  replies: readonly ReplyJob[],
  id: string,
  counted: (result: string) => void,
  lanes: Lanes = new Lanes(replies.length),
): Promise<string[]> {
  const results: string[] = new Array<string>(replies.length);
  const byNumber = new Map<string, number[]>();
  for (const [i, reply] of replies.entries()) {
    const indices = byNumber.get(reply.from);
    if (indices) indices.push(i);
    else byNumber.set(reply.from, [i]);
  }
  const settled = await Promise.allSettled(
    [...byNumber.values()].map(async (indices) => {
      for (const i of indices) {
        const result = await lanes.run(() => processor.reply(replies[i] as ReplyJob, `${id}.${i}`));
        results[i] = result;
        counted(result);
      }
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}

export function startInboundWorker(options: InboundWorkerOptions): {
  worker: Worker;
  processor: InboundProcessor;
} {
  const { core, log } = options;
  const processor = new InboundProcessor(core, log, options.metrics);
  const concurrency = options.concurrency ?? 8;
  const lanes = new Lanes(options.repliesAtOnce ?? 4 * concurrency);
  const worker = new Worker(
    QUEUES.inbound,
    async (job: Job) => {
      let result: string;
      if (job.name === REPLY_BATCH_JOB_NAME) {
        const { replies } = replyBatchJob.parse(job.data);
        const counted = (r: string) => options.metrics?.processed.inc({ name: REPLY_JOB_NAME, result: r });
        return decideBatch(processor, replies, String(job.id), counted, lanes);
      }
      if (job.name === REPLY_JOB_NAME)
        result = await processor.reply(replyJob.parse(job.data), String(job.id));
      else if (job.name === RECEIPT_JOB_NAME) {
        const receipt = receiptJob.parse(job.data);
        result = await processor.receipt(receipt);
        // A test key's simulated receipt counts apart from the carriers' (docs/integration.md, "Test keys").
        if (receipt.carrier === TEST_CARRIER) result = `test-${result}`;
      } else throw new Error(`unknown inbound job ${job.name}`);
      options.metrics?.processed.inc({ name: job.name, result });
      return result;
    },
    {
      connection: options.connection,
      prefix: core.queuePrefix,
      concurrency,
      maxStalledCount: 10,
      ...stalledOptions(options.stalled),
    },
  );
  worker.on('failed', (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    log.warn({ jobId: job.id, name: job.name, err: err.message }, 'inbound job gave up');
    if (err instanceof UnmatchedReceiptError) options.metrics?.receiptsUnmatched.inc();
  });
  logWorkerErrors(worker, 'inbound worker', log, options.connections);
  return { worker, processor };
}
