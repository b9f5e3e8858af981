/**
 * The hand-over of SMS to `sms-out` (gateway/core/sms-handover.ts): SMS of one turn share a
 * batch job, a lone SMS keeps a job of its own named after it. No worker runs here: the
 * jobs are read as they were queued.
 */
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { SMS_BATCH_MAX, SmsHandOver } from '../../gateway/core/sms-handover.js';
import { SMS_BATCH_JOB_NAME, SMS_JOB_NAME, smsOfJob, type SmsOutJob } from '../../queues/jobs.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
const queues: Queue[] = [];
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await redis.quit();
});

function handOver(): { queue: Queue; sms: SmsHandOver } {
  const queue = new Queue('sms-out', { connection: redis, prefix: testPrefix('handover') });
  queues.push(queue);
  return { queue, sms: new SmsHandOver(queue) };
}

const sms = (n: number): SmsOutJob => ({
  conversationId: `c${n}`,
  smsId: '0.0',
  to: `7701555${String(n).padStart(4, '0')}`,
  text: `text ${n}`,
  templateId: 'test.sms',
  asksConsent: false,
});

const allJobs = (queue: Queue) => queue.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);

describe('handing SMS over to sms-out', () => {
  it('puts the SMS of one turn in batch jobs of at most SMS_BATCH_MAX, each SMS once', async () => {
    const { queue, sms: handover } = handOver();
    const count = 2 * SMS_BATCH_MAX + 7;
    await Promise.all(Array.from({ length: count }, (_, n) => handover.add(sms(n))));
    const jobs = await allJobs(queue);
    expect(jobs.map((j) => j.name)).toEqual([SMS_BATCH_JOB_NAME, SMS_BATCH_JOB_NAME, SMS_BATCH_JOB_NAME]);
    // Behind lone SMS (no priority), which BullMQ hands out first.
    expect(await Promise.all(jobs.map((j) => j.getState()))).toEqual([
      'prioritized',
      'prioritized',
      'prioritized',
    ]);
    expect(jobs.map((j) => smsOfJob(j).length).sort((a, b) => a - b)).toEqual([
      7,
      SMS_BATCH_MAX,
      SMS_BATCH_MAX,
    ]);
    const queued = jobs.flatMap(smsOfJob).map((s) => s.conversationId);
    expect(new Set(queued).size).toBe(count);
  });

  it('gives a lone SMS a job of its own named after it, which a second hand-over does not repeat', async () => {
    const { queue, sms: handover } = handOver();
    await handover.add(sms(1));
    await handover.add(sms(1));
    const jobs = await allJobs(queue);
    expect(jobs.map((j) => [j.name, j.id])).toEqual([[SMS_JOB_NAME, 'c1.0.0']]);
  });

  it('queues an SMS handed over twice in one turn once', async () => {
    const { queue, sms: handover } = handOver();
    await handover.addAll([sms(1), sms(2), sms(1)]);
    const queued = (await allJobs(queue)).flatMap(smsOfJob).map((s) => s.conversationId);
    expect(queued.sort()).toEqual(['c1', 'c2']);
  });
});
