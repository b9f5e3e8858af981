/**
 * The sending window and deadlines from the moment of sending (CONTRACT.md, `SEND_WINDOW` and the
 * state `waiting`): an invitation outside 09:00-21:00 Almaty on a working day waits for the next
 * opening, a notice the citizen did not ask for is held until the morning, and a stage's deadline
 * counts from the SMSC's acceptance of its SMS (003 item 10). Real Redis, the simulator, a clock
 * the test moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { metricValue } from '../smpp/helpers.js';
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
  t = await startTestGateway({ env: { SEND_WINDOW: '09:00-21:00' } });
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('716');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
/** A wall-clock time in Almaty (UTC+5), as epoch ms. */
const almaty = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 5, mi);
const offer = (phone: string) => invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
/** An offer to a new number, once the carrier has refused its first submit (a fault set before). */
async function refusedOffer() {
  const phone = msisdn();
  const conv = await offer(phone);
  await eventually(
    () => Promise.resolve(t.sim.submits.some((s) => s.destination === phone)),
    'a refused submit',
  );
  return { phone, conv };
}

describe('the sending window', () => {
  it.each([
    ['Tuesday 20:59: sent at once', almaty(2026, 11, 24, 20, 59), null],
    ['Tuesday 21:00: waits for Wednesday 09:00', almaty(2026, 11, 24, 21), almaty(2026, 11, 25, 9)],
    ['Wednesday 03:00: waits for 09:00 the same day', almaty(2026, 11, 25, 3), almaty(2026, 11, 25, 9)],
    ['Friday evening: waits for Monday 09:00', almaty(2026, 11, 27, 21, 30), almaty(2026, 11, 30, 9)],
    [
      'the evening before Independence Day (16 December): waits for 17 December',
      almaty(2026, 12, 15, 22),
      almaty(2026, 12, 17, 9),
    ],
    [
      'Friday 20 March before Nauryz and the days off moved to 24-25 March: waits for 26 March',
      almaty(2026, 3, 20, 21),
      almaty(2026, 3, 26, 9),
    ],
  ])('an invitation posted %s', async (_label, at, opening) => {
    t.clock.set(at);
    const phone = msisdn();
    const conv = await offer(phone);
    if (opening === null) {
      expect(conv.state).toBe('invited');
      await t.sim.nextMessage(to(phone));
      expect((await deadlineRuns(t, conv.id)).deadlineFrom).toBe(at);
      return;
    }
    expect(conv).toMatchObject({ state: 'waiting', deadline: null });
    expect(await t.gateway.core.holds.waitingUntil(conv.id)).toBe(opening);
    t.clock.set(opening - 60_000);
    await t.gateway.sweeper.tick();
    await drained(t);
    expect(messagesTo(t, phone)).toEqual([]);
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('waiting');

    t.clock.set(opening);
    await t.gateway.sweeper.tick();
    await t.sim.nextMessage(to(phone));
    // Its 3 working days count from the morning it was sent, not from the evening it was posted.
    expect((await deadlineRuns(t, conv.id)).deadlineFrom).toBe(opening);
    const timeline = await t.gateway.core.store.timeline(conv.id);
    expect(timeline.filter((e) => e.kind === 'transition').map((e) => e.to)).toEqual(['waiting', 'invited']);
  });

  it("a reply with the code of an invitation still waiting for the window is not the invitation's: 'no open request' at once, and the invitation's own sent outcome later", async () => {
    t.clock.set(almaty(2026, 11, 24, 22));
    const phone = msisdn();
    const conv = await offer(phone);
    expect(conv.state).toBe('waiting');
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    const told = await t.sim.nextMessage(to(phone));
    expect(told.text).toContain('По этому номеру нет открытых запросов');
    await drained(t);
    const waiting = await t.gateway.core.conversations.get(conv.id);
    expect(waiting?.state).toBe('waiting');
    expect(waiting?.invitationSmsId ?? null).toBeNull();
    expect(await t.gateway.core.queues.outcomes.getJob(`${conv.id}.sent`)).toBeUndefined();

    t.clock.set(almaty(2026, 11, 25, 9));
    await t.gateway.sweeper.tick();
    const invitation = await t.sim.nextMessage(to(phone));
    expect(invitation.text).toContain('123 #3#1');
    await stateReached(t, conv.id, 'invited');
    const sent = await eventually(() => t.gateway.core.queues.outcomes.getJob(`${conv.id}.sent`), 'sent');
    expect(sent.data).toMatchObject({ outcome: 'sent', state: 'invited' });
  });

  it('the deadline SMS is held until the morning; an answer to the citizen goes at once at night', async () => {
    t.clock.set(almaty(2026, 11, 24, 11));
    const phone = msisdn();
    const conv = await offer(phone);
    await t.sim.nextMessage(to(phone));
    const { deadline } = await deadlineRuns(t, conv.id);
    // Late from Saturday 28 November 00:00: Appendix 4 waits for Monday 30 November 09:00.
    expect(deadline).toBe(almaty(2026, 11, 28, 0));
    t.clock.set(deadline);
    await t.gateway.sweeper.tick();
    await stateReached(t, conv.id, 'expired');
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(1);

    // The citizen writes on Saturday night: the "too late" answer goes at once, Appendix 4 still waits.
    t.clock.set(almaty(2026, 11, 28, 2));
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    const late = await t.sim.nextMessage(to(phone));
    expect(late.text).toMatch(/ответ не принят/);
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(2);

    // Held as a notice the citizen did not ask for: its validity will end with the window.
    const held = await t.gateway.core.holds.dueSms(almaty(2026, 11, 30, 9), 1000);
    expect(held.find((h) => h.sms.to === phone)?.sms).toMatchObject({ notice: true, asksConsent: false });
    t.clock.set(almaty(2026, 11, 30, 9));
    await t.gateway.sweeper.tick();
    expect((await t.sim.nextMessage(to(phone))).text).toContain('Срок ожидания ответа истек');
  });

  it.each([
    ['an invitation', undefined],
    ["a campaign's invitation", 'hs-2026-11'],
  ])(
    'the integrated banks the citizen asks for with 123#3#0 at night, after %s, go at once, though they ask for consent (003, Appendix 2)',
    async (_label, campaign) => {
      t.clock.set(almaty(2026, 11, 24, 11));
      const phone = msisdn();
      await invite(
        t,
        'home-schooling',
        phone,
        homeSchoolingParams([KASPI]),
        campaign === undefined ? {} : { campaign },
      );
      await t.sim.nextMessage(to(phone));
      // Tuesday 23:00: the answer to the citizen's own SMS is not held for the morning.
      t.clock.set(almaty(2026, 11, 24, 23));
      await t.sim.injectReply({ from: phone, text: '123#3#0' });
      const list = await t.sim.nextMessage(to(phone));
      expect(list.text).toContain('Народный банк (Halyk)');
    },
  );
});

describe('a reply while the school-meals repeat is held for the night (002, item 10)', () => {
  it("consents to the first request: the agent's view says so, the repeat is shown never sent, and it does not go in the morning", async () => {
    t.clock.set(almaty(2026, 11, 24, 11));
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, {
      parentFullName: 'Сәуле Маратқызы',
      childFullName: 'Ерасыл Маратұлы',
    });
    const first = await t.sim.nextMessage(to(phone));
    const { deadline } = await deadlineRuns(t, conv.id);
    // Late from Saturday 28 November 00:00: the repeat waits for Monday 30 November 09:00.
    expect(deadline).toBe(almaty(2026, 11, 28, 0));
    t.clock.set(deadline);
    await t.gateway.sweeper.tick();
    const held = await eventually(async () => {
      const due = await t.gateway.core.holds.dueSms(almaty(2026, 11, 30, 9), 1000);
      return due.find((h) => h.sms.to === phone);
    }, 'the repeat held for the morning');
    expect(held.sms).toMatchObject({ templateId: 'school-meals.request', asksConsent: true });

    // Saturday 02:00: the mother answers the first request.
    t.clock.set(almaty(2026, 11, 28, 2));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await stateReached(t, conv.id, 'consented');
    expect((await t.sim.nextMessage(to(phone))).text).toContain('socwallet');
    await drained(t);

    const res = await fetch(`${t.gateway.httpUrl}/v1/conversations/${conv.id}`, {
      headers: { authorization: `Bearer ${KEYS.agent}` },
    });
    expect(res.status).toBe(200);
    const view = (await res.json()) as { timeline: Array<Record<string, unknown>> };
    expect(JSON.stringify(view.timeline)).not.toContain('after the repeat');
    const replies = view.timeline.filter((e) => e.kind === 'reply');
    expect(replies).toEqual([
      expect.objectContaining({
        text: '3#1',
        meaning: 'agrees to free meals (3#1)',
        accepted: true,
        says: { kk: 'тегін тамақтануға келісім', ru: 'согласие на бесплатное питание' },
      }),
    ]);
    // The first request was sent and delivered; the repeat, held, was never sent.
    const sms = view.timeline.filter((e) => e.kind === 'sms' && e.templateId === 'school-meals.request');
    expect(sms.map((e) => [e.smsId, e.status])).toEqual([
      ['0.0', 'delivered'],
      [held.sms.smsId, 'not-sent'],
    ]);
    const notes = view.timeline.filter((e) => e.kind === 'note');
    expect(notes).toEqual([
      expect.objectContaining({
        says: {
          kk: '«келісім қайта сұралды» кезеңінің SMS-і жіберілмеді: азамат алдыңғы SMS-ке жауап беріп қойған',
          ru: 'SMS этапа «повторный запрос согласия» не отправлено: гражданин уже ответил на предыдущее SMS',
        },
      }),
    ]);

    // Monday 09:00: the held repeat is released and dropped, not sent.
    const skipped = async () =>
      (await metricValue(t.gateway.metrics, 'gateway_sms_total', { outcome: 'skipped' })) ?? 0;
    const skippedBefore = await skipped();
    t.clock.set(almaty(2026, 11, 30, 9));
    await t.gateway.sweeper.tick();
    await eventually(async () => (await skipped()) > skippedBefore, 'the released repeat to be skipped');
    await drained(t);
    expect(messagesTo(t, phone).map((m) => m.text)).toEqual([
      first.text,
      expect.stringContaining('socwallet'),
    ]);
    const job = await assignment(t, conv.id);
    expect(job.data.consentTemplate.text).toBe(first.text);
  });
});

describe('a notice its carrier would not take before the window closed', () => {
  it('waits for the next opening instead of going at night; the 3 working days count from the morning', async () => {
    t.clock.set(almaty(2026, 11, 24, 20, 59));
    // ESME_RSYSERR: a temporary refusal, tried again with backoff.
    t.sim.setFaults({ rejectStatus: 0x08 });
    const deferred = async () =>
      (await metricValue(t.gateway.metrics, 'gateway_sms_total', { outcome: 'deferred' })) ?? 0;
    try {
      const { phone, conv } = await refusedOffer();
      const before = await deferred();
      // 21:01: the carrier takes SMS again, the window has closed.
      t.clock.set(almaty(2026, 11, 24, 21, 1));
      t.sim.setFaults({ rejectStatus: 0 });
      const job = await eventually(async () => {
        const found = await t.gateway.core.queues.smsOut.getJob(`${conv.id}.0.0`);
        return (await deferred()) > before && (await found?.getState()) === 'delayed' && found;
      }, 'the offer deferred to the opening');
      expect(t.sim.submits.filter((s) => s.destination === phone && s.status === 0)).toEqual([]);

      // Wednesday 09:00 (its delay, on BullMQ's own clock, is brought forward to the test's).
      const opening = almaty(2026, 11, 25, 9);
      t.clock.set(opening);
      await job.promote();
      await t.sim.nextMessage(to(phone), 15_000);
      const running = await deadlineRuns(t, conv.id);
      expect(running.deadlineFrom).toBe(opening);
    } finally {
      t.sim.setFaults({ rejectStatus: 0 });
    }
  });
});

describe('deadlines from the moment of sending', () => {
  it('the SMSC accepts the offer two days late: the citizen still has 3 whole working days from then', async () => {
    const posted = almaty(2026, 11, 24, 11);
    t.clock.set(posted);
    // The carrier refuses every submit (throttled) until it comes back two days later.
    t.sim.setFaults({ throttleEvery: 1 });
    try {
      const { phone, conv } = await refusedOffer();
      expect(await t.gateway.core.conversations.get(conv.id)).toMatchObject({
        state: 'invited',
        deadline: null,
      });
      const accepted = almaty(2026, 11, 26, 11);
      t.clock.set(accepted);
      t.sim.setFaults({ throttleEvery: 0 });
      await t.sim.nextMessage(to(phone), 15_000);
      const running = await deadlineRuns(t, conv.id);
      expect(running.deadlineFrom).toBe(accepted);
      // Thursday 26 November: working days 27, 30 November and 1 December; late from 2 December.
      expect(running.deadline).toBe(almaty(2026, 12, 2, 0));
    } finally {
      t.sim.setFaults({ throttleEvery: 0 });
    }
  });
});
