/**
 * School meals end to end (002, Algorithm items 8-11, Appendix 1): `3#1` consents and sends the
 * wallet link, `3#2` refuses, silence brings the request once more after 3 calendar days and
 * closes the conversation 3 days after that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const msisdn = numbers('703');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
const PARAMS = { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' };
const meals = (phone: string) => invite(t, 'school-meals', phone, PARAMS);
/** Midnight in Almaty (UTC+5) at the start of a day of November/December 2026, as epoch ms. */
const almatyMidnight = (month: number, day: number) => Date.UTC(2026, month - 1, day) - 5 * 3600_000;

describe('school-meals end to end', () => {
  it('3#1 consents: a job in assignments and the reply with the Social Wallet link', async () => {
    const phone = msisdn();
    const conv = await meals(phone);
    const request = await t.sim.nextMessage(to(phone));
    expect(request.text).toContain('3#1');
    expect(request.text).toContain(PARAMS.childFullName);
    expect((await t.sim.injectReply({ from: phone, text: '3#1' })).statuses).toEqual([0]);
    const job = await assignment(t, conv.id);
    expect(job.data).toMatchObject({ service: 'school-meals', msisdn: phone, bank: null });
    expect(job.data.consentTemplate.text).toBe(request.text);
    const consented = await t.sim.nextMessage(to(phone));
    expect(consented.text).toContain('https://egovmobile.page.link/socwallet');
    await stateReached(t, conv.id, 'consented');
  });

  it('3#2 refuses: the refusal SMS, state refused, no job', async () => {
    const phone = msisdn();
    const conv = await meals(phone);
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#2' });
    expect((await t.sim.nextMessage(to(phone))).text).toBe('Вы отказались от услуги.');
    await stateReached(t, conv.id, 'refused');
    await drained(t);
    expect(await t.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();
  });

  it('a change of mind after refusing gets the "no open request, call 1414" SMS once a day; the refusal stands', async () => {
    const phone = msisdn();
    const conv = await meals(phone);
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#2' });
    await stateReached(t, conv.id, 'refused');
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    expect((await t.sim.nextMessage(to(phone))).text).toBe(
      'По этому номеру нет открытых запросов. Справки: 1414 (бесплатно).',
    );
    await t.sim.injectReply({ from: phone, text: 'Иә, келісемін' });
    await drained(t);
    // The request, the refusal, one "no open request" SMS; no consent.
    expect(messagesTo(t, phone)).toHaveLength(3);
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('refused');
    expect(await t.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();
  });

  it('no reply: the same request again after 3 calendar days, then closed 3 days later with no SMS', async () => {
    // Tuesday 24 November 2026, 11:00 Almaty. Calendar days are not moved off weekends (002 item 10).
    t.clock.set(almatyMidnight(11, 24) + 11 * 3600_000);
    const phone = msisdn();
    const conv = await meals(phone);
    const first = await t.sim.nextMessage(to(phone));
    // Days 25, 26, 27 November: late from 28 November 00:00.
    expect((await deadlineRuns(t, conv.id)).deadline).toBe(almatyMidnight(11, 28));

    t.clock.set(almatyMidnight(11, 28) - 1);
    await t.gateway.sweeper.tick();
    t.clock.set(almatyMidnight(11, 28));
    await t.gateway.sweeper.tick();
    const repeat = await t.sim.nextMessage(to(phone));
    expect(repeat.text).toBe(first.text);
    const again = await deadlineRuns(t, conv.id);
    expect(again.stage).toBe('repeat');
    // The repeat is sent on 28 November: days 29, 30 November and 1 December.
    expect(again.deadline).toBe(almatyMidnight(12, 2));

    t.clock.set(almatyMidnight(12, 2));
    await t.gateway.sweeper.tick();
    await stateReached(t, conv.id, 'closed');
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(2);
    // Both requests read back whole, the first after the sweep's step named the repeat instead.
    const sms = (await t.gateway.core.store.timeline(conv.id)).filter((e) => e.kind === 'sms');
    expect(sms.map((e) => e.kind === 'sms' && e.text)).toEqual([first.text, repeat.text]);
    expect(await t.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();
  });

  it('3#1 after the repeat still consents, with the repeated request as the consent record', async () => {
    const phone = msisdn();
    const conv = await meals(phone);
    await t.sim.nextMessage(to(phone));
    t.clock.set((await deadlineRuns(t, conv.id)).deadline);
    await t.gateway.sweeper.tick();
    const repeat = await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    const job = await assignment(t, conv.id);
    expect(job.data.consentTemplate.text).toBe(repeat.text);
  });
});
