/**
 * The BullMQ queues as an operator needs to see them: jobs per state (`waiting` and `prioritized`
 * are the backlog, `failed` the ones given up) and the age of the oldest job waiting, per queue.
 * Read from Redis when /metrics is scraped, so every process reports the same figures; a scrape
 * while Redis is down or slow keeps the last figures (scrape.ts) rather than failing or hanging.
 */
import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import { withinMs } from './scrape.js';

export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

/** The oldest job waiting to be taken: the head of the wait list or of the prioritized set. */
async function oldestWaiting(queue: Queue): Promise<number | undefined> {
  // sms-out gives every batch the same priority, so the prioritized set is in arrival order too.
  const [waiting, prioritized] = await Promise.all([
    queue.getJobs(['waiting'], 0, 0, true),
    queue.getJobs(['prioritized'], 0, 0, true),
  ]);
  const times = [...waiting, ...prioritized].filter(Boolean).map((j) => j.timestamp + (j.delay ?? 0));
  return times.length ? Math.min(...times) : undefined;
}

export function registerQueueMetrics(
  registry: Registry,
  queues: () => readonly Queue[],
  /** False while Redis is away: the scrape then asks nothing (no command piles up behind it). */
  connected: () => boolean = () => true,
  now: () => number = Date.now,
): void {
  new Gauge({
    name: 'gateway_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, prioritized, active, delayed, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!connected()) return;
      const read = Promise.all(
        queues().map(async (queue) => [queue.name, await queue.getJobCounts(...QUEUE_STATES)] as const),
      );
      const all = await withinMs(read);
      if (all === undefined) return;
      this.reset();
      for (const [queue, counts] of all)
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'gateway_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each BullMQ queue (0 when none waits)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      if (!connected()) return;
      const read = Promise.all(
        queues().map(async (queue) => [queue.name, await oldestWaiting(queue)] as const),
      );
      const all = await withinMs(read);
      if (all === undefined) return;
      this.reset();
      for (const [queue, oldest] of all)
        this.set({ queue }, oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });
}
