/**
 * The `outcomes` queue (CONTRACT.md, "Downstream queue"): every outcome of a conversation once,
 * with local times and no personal data, whatever replays the outbox or the receipts make.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutcomeEmitter } from '../../gateway/core/outcomes.js';
import { receiptId } from '../../gateway/core/sent-writes.js';
import { OUTCOME_JOB_NAME, outcomeJobId, type OutcomeJob } from '../../queues/outcomes.js';
import { createKeys } from '../../store/keys.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisClient } from '../support/redis.js';
import {
  assignment,
  deadlineRuns,
  drained,
  invite,
  messagesTo,
  numbers,
  outcomeReached as reached,
  outcomesOf as outcomesOfJobs,
  stateReached,
} from '../support/scenario.js';

let t: TestGateway;
const redis = redisClient();
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
  await redis.quit();
});

const msisdn = numbers('717');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
const MEALS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };

const outcomesOf = (id: string) => outcomesOfJobs(t, id);
const outcomeReached = (id: string, outcome: string) => reached(t, id, outcome);

describe('outcomes', () => {
  it('an invitation sent, delivered, consented and assigned: one job each, local times, no number or name', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]), {
      campaign: 'c-17',
      externalId: 'esobes-17-1',
    });
    await t.sim.nextMessage(to(phone));
    const delivered = await outcomeReached(conv.id, 'delivered');
    expect(delivered.carrier).toEqual({ stat: 'DELIVRD', err: '000' });
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    await assignment(t, conv.id);
    const consented = await outcomeReached(conv.id, 'consented');
    expect(consented).toMatchObject({
      state: 'consented',
      bank: KASPI,
      campaign: 'c-17',
      service: 'home-schooling',
    });
    await t.gateway.core.conversations.upstream(conv.id, 'decision', { outcome: 'assigned', key: 'd-1' });
    await outcomeReached(conv.id, 'assigned');
    await drained(t, 15_000);

    const all = await outcomesOf(conv.id);
    expect(all.map((o) => o.outcome).sort()).toEqual(['assigned', 'consented', 'delivered', 'sent']);
    for (const o of all) {
      expect(o.at).toMatch(/\+05:00$/);
      expect(o.externalId).toBe(conv.externalId);
      const json = JSON.stringify(o);
      expect(json).not.toContain(phone);
      expect(json).not.toContain('Айгүл');
    }
  });

  it('a replayed outbox and a repeated receipt add no second job', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#2' });
    const refused = await outcomeReached(conv.id, 'refused');
    await outcomeReached(conv.id, 'delivered');
    const before = await outcomesOf(conv.id);
    // What a crash between the hand-over and its ack would replay.
    await t.gateway.core.outcomes.emit([{ ...refused, at: '2030-01-01T00:00:00+05:00' }]);
    const stored = await t.gateway.core.store.get(conv.id);
    expect(stored?.state).toBe('refused');
    const after = await outcomesOf(conv.id);
    expect(after).toEqual(before);
    expect(after.filter((o) => o.outcome === 'refused')).toHaveLength(1);
  });

  it('an outcome added by a process that stopped before marking it is not added again, and is marked then', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
    await t.sim.nextMessage(to(phone));
    const sent = await outcomeReached(conv.id, 'sent');
    // The add went through, the mark did not: the job is in the queue, the conversation unmarked.
    const early = { ...sent, outcome: 'refused' as const, state: 'refused' as const };
    await t.gateway.core.queues.outcomes.add(OUTCOME_JOB_NAME, early, {
      jobId: outcomeJobId(conv.id, 'refused'),
    });
    const ref = [{ conversationId: conv.id, outcome: 'refused' }];
    expect(await t.gateway.core.store.outcomes.marked(ref)).toEqual([false]);
    await t.sim.injectReply({ from: phone, text: '3#2' });
    await stateReached(t, conv.id, 'refused', 15_000);
    await eventually(
      async () => (await t.gateway.core.store.outcomes.marked(ref))[0],
      'refused marked in the conversation',
    );
    const refused = (await outcomesOf(conv.id)).filter((o) => o.outcome === 'refused');
    expect(refused).toEqual([early]);
  });

  it("`sent` is handed over only once the SMS's receipt links are stored", async () => {
    const phone = msisdn();
    const externalId = 'esobes-links-first';
    const found: Array<boolean> = [];
    // What a process stopped inside the hand-over would have left: the links must be there
    // (`default`: the one carrier of the SMPP_* settings, gateway/config.ts).
    t.gateway.core.outcomes.listen(async (jobs) => {
      for (const job of jobs.filter((j) => j.externalId === externalId && j.outcome === 'sent')) {
        const timeline = await t.gateway.core.store.timeline(job.conversationId);
        const sent = timeline.find((e) => e.kind === 'sms-status' && e.status === 'sent');
        const ids = sent?.kind === 'sms-status' ? (sent.messageIds ?? []) : [];
        const links = await Promise.all(
          ids.map((id) => t.gateway.core.store.receipts.find([receiptId('default', id)])),
        );
        found.push(ids.length > 0 && links.every((l) => l?.conversationId === job.conversationId));
      }
    });
    const conv = await invite(t, 'school-meals', phone, MEALS, { externalId });
    await outcomeReached(conv.id, 'sent');
    // The listener runs after the job is added and marked: wait for its look-up, not the job.
    await eventually(() => Promise.resolve(found.length > 0), 'the look-up at the hand-over');
    expect(found).toEqual([true]);
  });

  it('a hand-over of `sent` cut short sends no second SMS, and the retried job hands `sent` over once', async () => {
    const phone = msisdn();
    const externalId = 'esobes-cut-short';
    const emitter = t.gateway.core.outcomes;
    const cut: OutcomeJob[] = [];
    // The process stops as it hands `sent` over: the job is retried.
    emitter.emit = async function (jobs) {
      const mine = jobs.find((j) => j?.externalId === externalId && j.outcome === 'sent');
      if (mine && cut.length === 0) {
        cut.push(mine);
        // The retry comes later: the outcome must keep the time of acceptance.
        t.clock.advance(60_000);
        throw new Error('stopped while handing sent over');
      }
      return OutcomeEmitter.prototype.emit.call(this, jobs);
    };
    try {
      const conv = await invite(t, 'school-meals', phone, MEALS, { externalId });
      const sent = await outcomeReached(conv.id, 'sent');
      await drained(t, 15_000);
      expect(cut).toHaveLength(1);
      expect(messagesTo(t, phone)).toHaveLength(1);
      expect((await outcomesOf(conv.id)).filter((o) => o.outcome === 'sent')).toEqual([sent]);
      expect(sent.at).toBe(cut[0]?.at);
    } finally {
      delete (emitter as { emit?: unknown }).emit;
    }
  });

  it("a hand-over of `sent` cut short loses neither the campaign's count nor the awaited receipt, and the retry adds neither again", async () => {
    const phone = msisdn();
    const campaign = 'c-cut-short';
    const emitter = t.gateway.core.outcomes;
    let cut = 0;
    // The process stops right after the SMS is recorded sent: the job is retried.
    emitter.emit = async function (jobs) {
      if (cut === 0 && jobs.some((j) => j?.campaign === campaign && j.outcome === 'sent')) {
        cut += 1;
        throw new Error('stopped after recording the SMS sent');
      }
      return OutcomeEmitter.prototype.emit.call(this, jobs);
    };
    try {
      const conv = await invite(t, 'school-meals', phone, MEALS, { campaign });
      await outcomeReached(conv.id, 'sent');
      await drained(t, 15_000);
      expect(cut).toBe(1);
      expect(messagesTo(t, phone)).toHaveLength(1);
      expect((await t.gateway.core.campaigns.progress(campaign))?.sent).toBe(1);
      const timeline = await t.gateway.core.store.timeline(conv.id);
      const sent = timeline.find((e) => e.kind === 'sms-status' && e.status === 'sent');
      if (sent?.kind !== 'sms-status') throw new Error('no sent entry');
      const hour = createKeys(t.prefixes.keyPrefix).awaitingReceipt(Math.floor(sent.at / 3600_000));
      const awaited = await redis.lrange(hour, 0, -1);
      expect(awaited.filter((m) => m.startsWith(`${conv.id} `))).toEqual([`${conv.id} ${sent.smsId}`]);
    } finally {
      delete (emitter as { emit?: unknown }).emit;
    }
  });

  it("an acknowledgement's acceptance and delivery are no sent or delivered outcome", async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
    await t.sim.nextMessage(to(phone));
    await outcomeReached(conv.id, 'delivered');
    // Without the invitation's jobs, any `sent` or `delivered` added from here on would show.
    for (const outcome of ['sent', 'delivered'])
      await t.gateway.core.queues.outcomes.remove(`${conv.id}.${outcome}`);
    await t.sim.injectReply({ from: phone, text: '3#1' });
    const ack = await t.sim.nextMessage(to(phone));
    expect(ack.text.length).toBeGreaterThan(0);
    await outcomeReached(conv.id, 'consented');
    // The acknowledgement is accepted and delivered (its receipt's job then ends, drained below).
    await eventually(async () => {
      const stored = await t.gateway.core.store.withTimeline(conv.id);
      const ackId = stored?.timeline.findLast((e) => e.kind === 'sms')?.smsId;
      if (!stored || ackId === stored.conversation.invitationSmsId) return false;
      return stored.timeline.some(
        (e) => e.kind === 'sms-status' && e.smsId === ackId && e.status === 'delivered',
      );
    }, "the acknowledgement's receipt");
    await drained(t, 15_000);
    expect((await outcomesOf(conv.id)).map((o) => o.outcome)).toEqual(['consented']);
  });

  it('a rejection carries its reason code', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await stateReached(t, conv.id, 'consented', 15_000);
    await t.gateway.core.conversations.upstream(conv.id, 'decision', {
      outcome: 'rejected',
      reason: 'data-refuted',
      key: 'd-2',
    });
    expect(await outcomeReached(conv.id, 'rejected')).toMatchObject({
      state: 'rejected',
      reason: 'data-refuted',
    });
  });

  it("an undelivered invitation is undeliverable with the carrier's receipt state", async () => {
    const phone = msisdn();
    t.sim.setFinalState(phone, 'UNDELIV');
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage(to(phone));
    const undeliverable = await outcomeReached(conv.id, 'undeliverable');
    expect(undeliverable.carrier?.stat).toBe('UNDELIV');
    expect(undeliverable.state).toBe('undeliverable');
    expect((await outcomesOf(conv.id)).map((o) => o.outcome)).not.toContain('delivered');
  });

  it('a deadline that passes is expired, with no deadline left', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await outcomeReached(conv.id, 'sent');
    t.clock.set((await deadlineRuns(t, conv.id)).deadline);
    await t.gateway.sweeper.tick();
    const expired = await outcomeReached(conv.id, 'expired');
    expect(expired.deadline).toBeUndefined();
  });
});
