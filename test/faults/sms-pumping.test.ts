/**
 * SMS pumping and a noisy neighbour: one number with a notice-only conversation sends 5,000 distinct
 * texts while 1,000 other citizens answer `3#1`. The flood gets at most its daily limits of answers
 * (gateway/core/reply-limits.ts), its conversation's timeline stays bounded (the rest folded into a
 * count), and the citizens' consents are decided ahead of the flood's surplus (gateway/core/fair-share.ts):
 * when the last consent is enqueued, most of the flood is still waiting behind it. The latency
 * figures are printed, not asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLY_SMS_LIMITS, TIMELINE_REPLIES_PER_DAY } from '../../gateway/core/reply-limits.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { drained, invite, messagesTo, numbers, stateReached } from '../support/scenario.js';

const FLOOD = 5_000;
const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed'] as const;
const CITIZENS = 1_000;
const MEALS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };
let t: TestGateway;

beforeAll(async () => {
  // 1,000 invitations of 16 parts each go out in seconds rather than at a carrier's 100 a second.
  t = await startTestGateway({ env: { SMPP_TPS: '5000', SMPP_WINDOW: '50' } });
});
afterAll(async () => {
  await t?.stop();
});

/** Runs `work` over 0..n-1 with at most `limit` at once. */
async function pool(n: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

describe('a number flooding 1414', () => {
  it('gets answers only within its limits, and 1,000 citizens replying meanwhile are decided ahead of it', async () => {
    const next = numbers('916');
    const flooder = next();
    // A notice-only conversation (004): every text from the number is "not understood".
    const expired = await invite(t, 'social-portal', flooder, {
      fullName: 'Айгүл Сейітқызы',
      dataReceivedOn: '2026-11-20',
    });

    const citizens = Array.from({ length: CITIZENS }, () => next());
    const ids = new Map<string, string>();
    await pool(CITIZENS, 32, async (i) => {
      const msisdn = citizens[i] as string;
      ids.set((await invite(t, 'school-meals', msisdn, MEALS)).id, msisdn);
    });
    await drained(t, 120_000);
    const sentToFlooderBefore = messagesTo(t, flooder).length;

    // The flood first (as fast as the SMSC relays it), the citizens' answers once it is under way.
    const acked = new Map<string, number>();
    const flood = pool(FLOOD, 16, async (i) => {
      await t.sim.injectReply({ from: flooder, text: `free money ${i}` });
    });
    await eventually(
      async () =>
        ((await t.gateway.core.queues.inbound.getJobCounts('prioritized')).prioritized ?? 0) > 500 ||
        undefined,
      'the flood to be queued',
      60_000,
    );
    await pool(CITIZENS, 16, async (i) => {
      const msisdn = citizens[i] as string;
      await t.sim.injectReply({ from: msisdn, text: '3#1' });
      acked.set(msisdn, Date.now());
    });
    // Every consent, and how many flood replies were still queued when the last one was enqueued.
    const { assignments, inbound } = t.gateway.core.queues;
    await eventually(
      async () =>
        ((await assignments.getJobCounts('waiting', 'completed', 'active')).waiting ?? 0) >= CITIZENS ||
        undefined,
      'every consent in assignments',
      120_000,
    );
    const floodLeft = (await inbound.getJobCounts('prioritized')).prioritized ?? 0;
    const jobs = await assignments.getJobs([...STATES], 0, CITIZENS + 10);
    const latencies = jobs
      .map((j) => j.timestamp - (acked.get(ids.get(j.id ?? '') ?? '') ?? j.timestamp))
      .sort((a, b) => a - b);
    await flood;
    await drained(t, 300_000);
    console.log(
      `consent latency with the flood: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, ` +
        `max ${latencies.at(-1)} ms; flood replies still queued at the last consent: ${floodLeft} of ${FLOOD}`,
    );

    // Fair: the flood waited behind the citizens (FIFO would have decided all of it first).
    expect(jobs).toHaveLength(CITIZENS);
    expect(floodLeft).toBeGreaterThan(FLOOD / 2);
    // Within the limits: the flooder's answers are at most its daily "no reply is needed" SMS.
    const answers = messagesTo(t, flooder).length - sentToFlooderBefore;
    console.log(`SMS to the flooder for ${FLOOD} texts: ${answers}`);
    expect(answers).toBeLessThanOrEqual(REPLY_SMS_LIMITS['gateway.no-reply-needed'] ?? 0);
    // Bounded: the day's first unaccepted replies in the timeline, the rest counted.
    const timeline = await t.gateway.core.store.timeline(expired.id);
    const replies = timeline.filter((e) => e.kind === 'reply').length;
    const folded = await t.gateway.core.conversations.limits.folded(expired.id);
    expect(replies).toBeGreaterThan(0);
    expect(replies).toBeLessThanOrEqual(TIMELINE_REPLIES_PER_DAY);
    // A reply whose step lost every compare-and-set to its own flood is retried, and may be counted twice.
    expect(replies + folded).toBeGreaterThanOrEqual(FLOOD);
    console.log(`flooder's timeline: ${timeline.length} entries, ${replies} replies, ${folded} folded`);
    for (const id of [...ids.keys()].slice(0, 5)) await stateReached(t, id, 'consented');
  }, 600_000);
});
