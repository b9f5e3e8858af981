/**
 * At the sending window's opening, what the night held goes out in order and paced: invitations
 * left `waiting` and notices held for the window reach the SMSC at no more submit_sm a second than
 * the bind's TPS, and the SMSC throttles none. The bind's token bucket and the simulator's clock
 * are the test's clock: submits are counted per second of that clock, so the test proves the rate
 * without timing anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { TPS_SECOND_MS } from '../../gateway/smpp/flow.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { drained, invite, numbers, stateReached } from '../support/scenario.js';

const TPS = 5;
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    env: { SEND_WINDOW: '09:00-21:00', SMPP_TPS: String(TPS) },
    smppOnClock: true,
    // The SMSC refuses a submit beyond TPS in any second of the same clock (ESME_RTHROTTLED).
    faults: { throttlePerSecond: TPS },
  });
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('719');
/** A wall-clock time in Almaty (UTC+5), as epoch ms. */
const almaty = (y: number, mo: number, d: number, h: number, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h - 5, mi, s);

/** The submits to `phones` the SMSC received at or after `from` (the test's clock). */
const submitsTo = (phones: readonly string[], from: number) =>
  t.sim.submits.filter((s) => phones.includes(s.destination) && s.at.getTime() >= from);

/**
 * Moves the clock one bind's second (a second and its guard, TPS_SECOND_MS) at a time while the
 * SMS to `phones` go out: a second ends once it had TPS submits (the bind's limit is spent) or
 * every part is sent. Returns the submits per second.
 */
async function secondBySecond(phones: readonly string[], from: number, parts: number): Promise<number[]> {
  const perSecond: number[] = [];
  for (let second = 0; ; second++) {
    const start = from + second * TPS_SECOND_MS;
    const inThis = () =>
      submitsTo(phones, start).filter((s) => s.at.getTime() < start + TPS_SECOND_MS).length;
    const before = submitsTo(phones, from).length - submitsTo(phones, start).length;
    await eventually(
      () => Promise.resolve(inThis() >= Math.min(TPS, parts - before)),
      `the submits of second ${second}`,
    );
    perSecond.push(inThis());
    if (submitsTo(phones, from).length >= parts) return perSecond;
    t.clock.set(start + TPS_SECOND_MS);
  }
}

describe('the window opens', () => {
  it('the invitations and notices held overnight go out in order, at most TPS submits a second, none throttled', async () => {
    // Tuesday 20:00: three portal notices go at once; their 2 months end at Wednesday 00:00.
    t.clock.set(almaty(2026, 11, 24, 20));
    const notified = [msisdn(), msisdn(), msisdn()];
    const notices: Conversation[] = [];
    for (const phone of notified)
      notices.push(
        await invite(t, 'social-portal', phone, {
          fullName: 'Айгүл Сейітқызы',
          dataReceivedOn: '2026-09-24',
        }),
      );
    await secondBySecond(notified, almaty(2026, 11, 24, 20), await partsOf(notified));

    // Tuesday 22:00: three home-schooling offers wait for the morning.
    t.clock.set(almaty(2026, 11, 24, 22));
    const offered = [msisdn(), msisdn(), msisdn()];
    const offers: Conversation[] = [];
    for (const phone of offered)
      offers.push(await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI])));
    expect(offers.map((o) => o.state)).toEqual(['waiting', 'waiting', 'waiting']);

    // Wednesday 00:00: the blocking notices fall due, in the night: held until 09:00.
    t.clock.set(almaty(2026, 11, 25, 0));
    await t.gateway.sweeper.tick();
    for (const n of notices) await stateReached(t, n.id, 'closed');
    await drained(t);
    const opening = almaty(2026, 11, 25, 9);
    expect(submitsTo([...notified, ...offered], almaty(2026, 11, 24, 21))).toEqual([]);

    // In order: the notices wait in the order they were held, the offers in the order they came,
    // and the sweeper hands them over so.
    const waiting = await t.gateway.core.holds.dueWaiting(opening, 100);
    expect(waiting.filter((id) => offers.some((o) => o.id === id))).toEqual(offers.map((o) => o.id));
    const held = await t.gateway.core.holds.dueSms(opening, 100);
    expect(held.map((h) => h.sms.to).filter((to) => notified.includes(to))).toEqual(notified);

    t.clock.set(opening);
    await t.gateway.sweeper.tick();
    const phones = [...offered, ...notified];
    const parts = await partsOf(phones);
    // Far more than one second's worth is due at once.
    expect(parts).toBeGreaterThan(3 * TPS);
    const perSecond = await secondBySecond(phones, opening, parts);
    expect(Math.max(...perSecond)).toBe(TPS);
    expect(perSecond.length).toBeGreaterThanOrEqual(Math.ceil(parts / TPS));
    expect(submitsTo(phones, opening).every((s) => s.status === 0)).toBe(true);
    await drained(t);

    // In order: each SMS's parts reached the SMSC in order.
    for (const phone of phones) {
      const seqs = submitsTo([phone], opening).map((s) => s.udh?.concat?.seq ?? 1);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    for (const o of offers) await stateReached(t, o.id, 'invited');
  });
});

/** How many parts the last SMS of each conversation of `phones` takes (its timeline says). */
async function partsOf(phones: readonly string[]): Promise<number> {
  let total = 0;
  for (const phone of phones) {
    const convs = await t.gateway.core.store.listByMsisdn(phone);
    for (const c of convs) {
      const timeline = await t.gateway.core.store.timeline(c.id);
      const last = timeline.findLast((e) => e.kind === 'sms');
      total += typeof last?.parts === 'number' ? last.parts : 0;
    }
  }
  return total;
}
