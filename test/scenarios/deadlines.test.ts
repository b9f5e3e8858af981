/**
 * Deadlines in Kazakhstan's working days, end to end (dialogue/calendar.ts; docs/calendar.md):
 * an invitation sent on Friday 20 March 2026 at 20:00 Almaty, just before Nauryz (21-23 March;
 * the days off of the weekend days moved to 24-25 March), may be answered until 30 March 23:59
 * and is late from 31 March 00:00 (working days 26, 27 and 30 March).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  assignment,
  deadlineRuns,
  drained,
  invite,
  messagesTo,
  numbers,
  stateReached,
} from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('706');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
/** A wall-clock time in Almaty (UTC+5 since 1 March 2024), as epoch ms. */
const almaty = (month: number, day: number, hour: number, minute = 0, second = 0) =>
  Date.UTC(2026, month - 1, day, hour - 5, minute, second);

const FRIDAY_EVENING = almaty(3, 20, 20);
const LAST_MINUTE = almaty(3, 30, 23, 59, 59);
const LATE = almaty(3, 31, 0);

describe('3 working days from a Friday evening before Nauryz', () => {
  it('the deadline is 31 March 00:00 Almaty: open at 30 March 23:59, expired at 31 March 00:00', async () => {
    t.clock.set(FRIDAY_EVENING);
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage(to(phone));
    expect((await deadlineRuns(t, conv.id)).deadline).toBe(LATE);

    t.clock.set(LAST_MINUTE);
    await t.gateway.sweeper.tick();
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('invited');

    t.clock.set(LATE);
    await t.gateway.sweeper.tick();
    expect((await t.sim.nextMessage(to(phone))).text).toContain('Срок ожидания ответа истек');
    await stateReached(t, conv.id, 'expired');
  });

  it('a reply at 30 March 23:59:59 consents; one at 31 March 00:00 is late even before the sweep', async () => {
    t.clock.set(FRIDAY_EVENING);
    const inTime = msisdn();
    const late = msisdn();
    const a = await invite(t, 'home-schooling', inTime, homeSchoolingParams([KASPI]));
    const b = await invite(t, 'home-schooling', late, homeSchoolingParams([KASPI]));
    // Both sent on Friday evening: their deadlines count from then.
    for (const c of [a, b]) expect((await deadlineRuns(t, c.id)).deadline).toBe(LATE);

    t.clock.set(LAST_MINUTE);
    await t.sim.injectReply({ from: inTime, text: '123#3#1' });
    await assignment(t, a.id);

    // No sweep has run: the engine applies the deadline first, so the reply is late.
    t.clock.set(LATE);
    await t.sim.injectReply({ from: late, text: '123#3#1' });
    await stateReached(t, b.id, 'expired');
    await drained(t);
    expect(await t.gateway.core.queues.assignments.getJob(b.id)).toBeUndefined();
    const texts = messagesTo(t, late).map((m) => m.text);
    // Appendix 4 and the "deadline passed" SMS come from one step as two sms-out jobs: any order.
    expect(texts).toHaveLength(3);
    expect(texts.filter((x) => x.includes('Срок ожидания ответа истек'))).toHaveLength(1);
    expect(texts.filter((x) => /Срок ответа истек, ответ не принят/.test(x))).toHaveLength(1);
  });
});
