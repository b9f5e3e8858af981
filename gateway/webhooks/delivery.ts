/**
 * Delivers outcomes to each configured system's webhook. Every system has its own queue
 * (`webhook-<name>`) and worker, so a receiver that is down or slow delays only its own events.
 * A failed POST (not 2xx, a timeout, a refused connection) is retried with backoff for more than
 * 72 hours; after the last attempt the job stays in the queue's failed set, the dead letters an
 * operator lists and replays through the API (gateway/http/webhooks.ts).
 */
import type { ConnectionLog } from '../connection-log.js';
import { Queue, Worker, type Job } from 'bullmq';
import { GatewayError, logCode } from '../../common/errors.js';
import { OUTCOME_JOB_NAME, outcomeJobId, type OutcomeJob } from '../../queues/outcomes.js';
import type { RedisClient } from '../../store/connection.js';
import type { Logger } from '../log.js';
import type { WebhookConfig } from './config.js';
import { EVENT_ID_HEADER, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing.js';

/** First retry after 30 s, doubling to at most an hour between tries. */
export function webhookBackoffMs(attemptsMade: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attemptsMade - 1), 3_600_000);
}
/** Tries of one delivery: 7 doubling waits (≈ 64 min) and then hourly, ≈ 73 hours in all. */
export const WEBHOOK_ATTEMPTS = 80;
/** A receiver has this long to answer. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Deliveries in flight per system. */
const CONCURRENCY = 8;

export const webhookQueueName = (name: string): string => `webhook-${name}`;

export interface WebhookDeps {
  readonly hooks: readonly WebhookConfig[];
  /** For the queues (adds, the API's dead letters). */
  readonly redis: RedisClient;
  /** For the workers, which block on their connection; none: this process delivers nothing. */
  readonly workerRedis?: RedisClient;
  readonly prefix: string;
  readonly log: Logger;
  /** Redis's connection log: the queues' and workers' connection errors are part of an outage's two lines. */
  readonly connections?: ConnectionLog;
  /** Tries per delivery (default {@link WEBHOOK_ATTEMPTS}); tests make it one. */
  readonly attempts?: number;
  /** Seconds since the epoch for the timestamp header; the clock by default. */
  readonly nowS?: () => number;
}

export class Webhooks {
  readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];

  constructor(private readonly deps: WebhookDeps) {
    for (const hook of deps.hooks) {
      const queue = new Queue(webhookQueueName(hook.name), { connection: deps.redis, prefix: deps.prefix });
      queue.on('error', (err: Error) =>
        deps.connections
          ? deps.connections.error(`webhook ${hook.name} queue`, err)
          : deps.log.warn({ webhook: hook.name, err: err.message }, 'webhook queue error'),
      );
      this.queues.set(hook.name, queue);
      if (deps.workerRedis) this.workers.push(this.worker(hook, deps.workerRedis));
    }
  }

  /** Queues each outcome for every system that wants it; the job id keeps a replay to one. */
  readonly fanOut = async (jobs: readonly OutcomeJob[]): Promise<void> => {
    for (const hook of this.deps.hooks) {
      const wanted = jobs.filter(
        (j) =>
          (!hook.services || hook.services.includes(j.service)) &&
          (!hook.outcomes || hook.outcomes.includes(j.outcome)),
      );
      if (wanted.length === 0) continue;
      await this.queues.get(hook.name)?.addBulk(
        wanted.map((data) => ({
          name: OUTCOME_JOB_NAME,
          data,
          opts: {
            jobId: outcomeJobId(data.conversationId, data.outcome),
            attempts: this.deps.attempts ?? WEBHOOK_ATTEMPTS,
            backoff: { type: 'webhook' },
            removeOnComplete: { age: 7 * 86_400 },
            removeOnFail: false,
          },
        })),
      );
    }
  };

  private worker(hook: WebhookConfig, connection: RedisClient): Worker {
    const nowS = this.deps.nowS ?? (() => Math.floor(Date.now() / 1000));
    const worker = new Worker(
      webhookQueueName(hook.name),
      async (job: Job<OutcomeJob>) => {
        const body = JSON.stringify(job.data);
        const timestamp = nowS();
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: sign(hook.secret, timestamp, body),
            [EVENT_ID_HEADER]: job.id ?? '',
          },
          body,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (!res.ok)
          throw new GatewayError('GW_WEBHOOK_DELIVERY_FAILED', `${hook.name} answered ${res.status}`);
        return res.status;
      },
      {
        connection,
        prefix: this.deps.prefix,
        concurrency: CONCURRENCY,
        settings: { backoffStrategy: (attemptsMade: number) => webhookBackoffMs(attemptsMade) },
      },
    );
    worker.on('failed', (job, err) => {
      const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      this.deps.log.warn(
        {
          ...logCode('GW_WEBHOOK_DELIVERY_FAILED'),
          webhook: hook.name,
          jobId: job?.id,
          attempts: job?.attemptsMade,
          err: err.message,
        },
        final ? 'webhook delivery gave up: in the dead letters' : 'webhook delivery failed; will retry',
      );
    });
    worker.on('error', (err) =>
      this.deps.connections
        ? this.deps.connections.error(`webhook ${hook.name} worker`, err)
        : this.deps.log.warn({ webhook: hook.name, err: err.message }, 'webhook worker error'),
    );
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
