/**
 * A reply and its deadline at the same instant, 50 times at once: a late
 * reply and a deadline that fire together cannot both win. The inbound worker applies the
 * replies while two sweeps (as two gateway instances would run) fire the same deadlines.
 * Whichever commits first wins the compare-and-set; the other re-reads and decides again.
 *
 * What decides is when the SMSC delivered the reply, not when it was processed: a reply
 * delivered before the deadline is a consent even if the sweep expired the conversation first
 * (the citizen answered in time); one delivered at or after the deadline never is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { deadlineRuns, drained, invite, messagesTo, numbers } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  // Fast enough that 50 offers and their answers do not queue behind the default 100 SMS/s.
  t = await startTestGateway({ env: { SMPP_TPS: '2000', SMPP_WINDOW: '50' } });
});
afterAll(async () => {
  await t?.stop();
});

const N = 50;
const msisdn = numbers('707');
const ENDED = new Set(['consented', 'expired']);

async function ended(id: string): Promise<Conversation> {
  return eventually(async () => {
    const c = await t.gateway.core.conversations.get(id);
    return c && ENDED.has(c.state) ? c : undefined;
  }, `conversation ${id} to end`);
}

async function race(replyAt: (deadline: number) => number) {
  const { sweeper } = t.gateway;
  const phones = Array.from({ length: N }, () => msisdn());
  const convs = await Promise.all(
    phones.map((p) => invite(t, 'home-schooling', p, homeSchoolingParams([KASPI]))),
  );
  await Promise.all(phones.map((p) => t.sim.nextMessage((m) => m.destination === p)));
  const running = await Promise.all(convs.map((c) => deadlineRuns(t, c.id)));
  const deadline = running[0]!.deadline;
  expect(running.every((c) => c.deadline === deadline)).toBe(true);

  // The replies leave the SMSC back to back and are all stored (acknowledged) at replyAt; then the
  // clock passes the deadline and two sweeps start while the worker is still applying them.
  t.clock.set(replyAt(deadline));
  const stored = await Promise.all(phones.map((p) => t.sim.injectReply({ from: p, text: '123#3#1' })));
  expect(stored.flatMap((r) => r.statuses).every((s) => s === 0)).toBe(true);
  t.clock.set(Math.max(deadline, replyAt(deadline)));
  await Promise.all([sweeper.tick(), sweeper.tick()]);
  // Every stored reply processed first: a conversation the sweep expired may yet be reopened by one.
  await drained(t, 15_000);
  const outcomes = await Promise.all(convs.map((c) => ended(c.id)));
  return { phones, outcomes };
}

describe('a reply racing its deadline', () => {
  it('replies delivered 1 ms before the deadline all consent, once each, even where the sweep came first', async () => {
    const { core } = t.gateway;
    const { phones, outcomes } = await race((deadline) => deadline - 1);
    let sweptFirst = 0;
    for (const [i, conv] of outcomes.entries()) {
      expect(conv.state).toBe('consented');
      expect((await core.queues.assignments.getJob(conv.id))?.id).toBe(conv.id);
      const texts = messagesTo(t, phones[i]!).map((m) => m.text);
      const states = (await core.store.timeline(conv.id))
        .filter((e) => e.kind === 'transition')
        .map((e) => e.to);
      expect(texts.filter((x) => x.includes('Ответ принят'))).toHaveLength(1);
      expect(texts.filter((x) => x.includes('ответ не принят'))).toHaveLength(0);
      if (states.includes('expired')) {
        // The sweep won the compare-and-set; the in-time reply then reopened the conversation.
        sweptFirst += 1;
        expect(states).toEqual(['invited', 'expired', 'invited', 'consented']);
      } else {
        expect(states).toEqual(['invited', 'consented']);
      }
    }
    const jobs = await core.queues.assignments.getJobCounts('waiting', 'active', 'completed', 'failed');
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(N);
    console.log(
      `in-time replies vs deadline: ${N - sweptFirst} before the sweep, ${sweptFirst} after it; all consented`,
    );
  });

  it('replies delivered at the deadline never consent, whichever is processed first', async () => {
    const { core } = t.gateway;
    const { phones, outcomes } = await race((deadline) => deadline);
    for (const [i, conv] of outcomes.entries()) {
      expect(conv.state).toBe('expired');
      expect(await core.queues.assignments.getJob(conv.id)).toBeUndefined();
      const texts = messagesTo(t, phones[i]!).map((m) => m.text);
      // Appendix 4 once, and "deadline passed" for the reply.
      expect(texts.filter((x) => x.includes('Срок ожидания ответа истек'))).toHaveLength(1);
      expect(texts.filter((x) => x.includes('ответ не принят'))).toHaveLength(1);
    }
  });
});
