/**
 * A reply and its deadline at the same instant, 50 times at once (issue 6, point 4: "a late
 * reply and a deadline that fire together cannot both win"). The inbound worker applies the
 * replies while two sweeps (as two gateway instances would run) fire the same deadlines.
 * Whichever commits first wins the compare-and-set; the other re-reads and sees the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { drained, invite, messagesTo, numbers } from '../support/scenario.js';

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

describe('a reply racing its deadline', () => {
  it('each of 50 conversations ends consented with one job or expired with none, never both, with matching SMS', async () => {
    const { core, sweeper } = t.gateway;
    const phones = Array.from({ length: N }, () => msisdn());
    const convs = await Promise.all(
      phones.map((p) => invite(t, 'home-schooling', p, homeSchoolingParams([KASPI]))),
    );
    await Promise.all(phones.map((p) => t.sim.nextMessage((m) => m.destination === p)));
    const deadline = convs[0]!.deadline!;
    expect(convs.every((c) => c.deadline === deadline)).toBe(true);

    // The replies leave the SMSC back to back at 1 ms before the deadline, so all are in time.
    // As soon as the inbound worker has committed the first consent, the clock reaches the
    // deadline and two sweeps start while the worker is still applying the others.
    t.clock.set(deadline - 1);
    const injections = phones.map((p) => t.sim.injectReply({ from: p, text: '123#3#1' }));
    while ((await core.queues.assignments.count()) === 0) await new Promise((r) => setImmediate(r));
    t.clock.set(deadline);
    await Promise.all([sweeper.tick(), sweeper.tick()]);
    const stored = await Promise.all(injections);
    expect(stored.flatMap((r) => r.statuses).every((s) => s === 0)).toBe(true);

    const outcomes = await Promise.all(convs.map((c) => ended(c.id)));
    await drained(t, 15_000);
    let consented = 0;
    for (const [i, conv] of outcomes.entries()) {
      const phone = phones[i]!;
      const job = await core.queues.assignments.getJob(conv.id);
      const texts = messagesTo(t, phone).map((m) => m.text);
      const transitions = (await core.store.timeline(conv.id)).filter((e) => e.kind === 'transition');
      // The invitation, then exactly one end: never a consent and an expiry both.
      expect(transitions.map((e) => e.to)).toEqual(['invited', conv.state]);
      if (conv.state === 'consented') {
        consented += 1;
        expect(job?.id).toBe(conv.id);
        expect(texts).toHaveLength(2);
        expect(texts[1]).toContain('Ответ принят');
      } else {
        expect(job).toBeUndefined();
        // Appendix 4 from the deadline, then "deadline passed" for the reply that lost.
        expect(texts).toHaveLength(3);
        expect(texts.filter((x) => x.includes('Срок ожидания ответа истек'))).toHaveLength(1);
        expect(texts.filter((x) => x.includes('ответ не принят'))).toHaveLength(1);
      }
    }
    const jobs = await core.queues.assignments.getJobCounts('waiting', 'active', 'completed', 'failed');
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBe(consented);
    console.log(`reply vs deadline: ${consented} consented, ${N - consented} expired of ${N}`);
  });
});
