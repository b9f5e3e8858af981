/**
 * One number, several requests (CONTRACT.md, "Replies that match no open conversation"): a reply
 * without a service code reaches the one request that asks without a code, a portal notice takes
 * no reply and blocks none, and a reply that still fits several gets one "which request?" SMS
 * naming each with the exact text to send. Against real Redis and the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { NEXT_QUESTION_AFTER_MS } from '../../gateway/core/conversations.js';
import { REPLY_JOB_NAME, repliesOfJob } from '../../queues/jobs.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { WHICH_REQUEST_MAX_PARTS } from '../../gateway/core/reply-limits.js';
import { metricValue } from '../smpp/helpers.js';
import { assignment, drained, invite, messagesTo, numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('715');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
/** What the reply worker decided for each SMS from `phone`, in the order received. */
async function decided(phone: string): Promise<string[]> {
  const jobs = await t.gateway.core.queues.inbound.getJobs(['completed']);
  // A batch job's i-th result is its i-th reply's decision.
  return jobs
    .sort((a, b) => Number(a.id) - Number(b.id))
    .flatMap((j) => {
      const results: unknown[] = j.name === REPLY_JOB_NAME ? [j.returnvalue] : (j.returnvalue as unknown[]);
      return repliesOfJob(j).flatMap((reply, i) => (reply.from === phone ? [String(results[i])] : []));
    });
}
const meals = (phone: string, child: string, externalId = `meals-${child}-${phone}`) =>
  invite(
    t,
    'school-meals',
    phone,
    { parentFullName: 'Сәуле Маратқызы', childFullName: child },
    { externalId },
  );

describe('replies among the open requests of one number', () => {
  it('school meals and a home-schooling offer open together: 3#1 and 123#3#1 each reach their own', async () => {
    const phone = msisdn();
    const offer = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    const request = await meals(phone, 'Ерасыл');
    await t.sim.nextMessage(to(phone));
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    const mealsJob = await assignment(t, request.id);
    expect(mealsJob.data.service).toBe('school-meals');
    expect((await t.gateway.core.conversations.get(offer.id))?.state).toBe('invited');
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    await stateReached(t, offer.id, 'consented');
    await drained(t);
    expect(messagesTo(t, phone).some((m) => m.text.includes('несколько запросов'))).toBe(false);
  });

  it('school meals next to a portal notice: the notice takes no reply, 3#1 consents to school meals', async () => {
    const phone = msisdn();
    const notice = await invite(t, 'social-portal', phone, {
      fullName: 'Сәуле Маратқызы',
      dataReceivedOn: '2026-11-20',
    });
    const request = await meals(phone, 'Айгерим');
    await t.sim.nextMessage(to(phone));
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await assignment(t, request.id);
    expect((await t.gateway.core.conversations.get(notice.id))?.state).toBe('invited');
  });

  it('a reply that fits two offers: one "which request?" SMS with the exact text for each, kept on both timelines', async () => {
    const phone = msisdn();
    const first = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    const second = await invite(
      t,
      'home-schooling',
      phone,
      { ...homeSchoolingParams([KASPI]), serviceCode: '456' },
      { externalId: `second-${phone}` },
    );
    await t.sim.nextMessage(to(phone));
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: '3#1' });
    const which = await t.sim.nextMessage(to(phone));
    expect(which.text).toContain('выплата за обучение на дому — 123#3#1');
    expect(which.text).toContain('выплата за обучение на дому — 456#3#1');
    for (const c of [first, second]) {
      expect((await t.gateway.core.conversations.get(c.id))?.state).toBe('invited');
      expect(await t.gateway.core.store.timeline(c.id)).toContainEqual(
        expect.objectContaining({ kind: 'reply', text: '3#1', accepted: false }),
      );
    }
    // With the code, the reply goes to that request only.
    await t.sim.injectReply({ from: phone, text: '456#3#1' });
    await stateReached(t, second.id, 'consented');
    expect((await t.gateway.core.conversations.get(first.id))?.state).toBe('invited');
  });

  it('a reply that fits nothing with an offer and school meals open: which, naming both', async () => {
    const phone = msisdn();
    await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await meals(phone, 'Дана');
    await t.sim.nextMessage(to(phone));
    await t.sim.nextMessage(to(phone));
    await t.sim.injectReply({ from: phone, text: 'что это?' });
    const which = await t.sim.nextMessage(to(phone));
    expect(which.text).toContain('123#3#1');
    expect(which.text).toContain('бесплатное питание (Дана) — 3#1');
  });

  it.each([
    [
      'kk',
      'Сізде бірнеше сұрау бар',
      /^Қалған сұраулар \((\d+)\) SMS-ке сыймады\. Анықтама: 1414 \(тегін\)\.$/,
    ],
    [
      'ru',
      'У Вас несколько запросов',
      /^Остальные запросы \((\d+)\) не вошли в SMS\. Справки: 1414 \(бесплатно\)\.$/,
    ],
  ] as const)(
    'a reply that fits many open requests (%s): one "which request?" SMS within its part limit, the oldest that fit, then how many are left and the call centre',
    async (language, header, rest) => {
      const phone = msisdn();
      const open = 12;
      const shortenedBefore =
        (await metricValue(t.gateway.metrics, 'gateway_reply_sms_shortened_total', {
          template: 'gateway.which-request',
        })) ?? 0;
      for (let i = 0; i < open; i++) {
        await invite(
          t,
          'home-schooling',
          phone,
          { ...homeSchoolingParams([KASPI]), serviceCode: String(201 + i) },
          { externalId: `many-${i}-${phone}`, language },
        );
      }
      for (let i = 0; i < open; i++) await t.sim.nextMessage(to(phone));
      await t.sim.injectReply({ from: phone, text: '3#1' });
      const which = await t.sim.nextMessage((m) => to(phone)(m) && m.text.startsWith(header));
      expect(which.parts.length).toBeLessThanOrEqual(WHICH_REQUEST_MAX_PARTS);
      const lines = which.text.split('\n');
      const listed = lines.slice(1, -1);
      expect(listed.length).toBeGreaterThan(1);
      // Oldest first, each with the exact text to send for it.
      expect(listed.map((l) => l.replace(/^.* — /, ''))).toEqual(listed.map((_, i) => `${201 + i}#3#1`));
      expect(Number(rest.exec(lines.at(-1) ?? '')?.[1])).toBe(open - listed.length);
      await drained(t);
      expect(
        await metricValue(t.gateway.metrics, 'gateway_reply_sms_shortened_total', {
          template: 'gateway.which-request',
        }),
      ).toBe(shortenedBefore + 1);
    },
  );

  it('two children of one mother: the second request waits, goes out when the first is answered, and each 3#1 consents to its own', async () => {
    const phone = msisdn();
    const first = await meals(phone, 'Ерасыл');
    const second = await meals(phone, 'Айгерим');
    expect(second).toMatchObject({ state: 'waiting', deadline: null });
    const firstSms = await t.sim.nextMessage(to(phone));
    expect(firstSms.text).toContain('Ерасыл');
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(1);

    // The handset numbers each SMS it sends (TP-MR); the SMSC relays it as user_message_reference.
    const answered = t.clock.now();
    await t.sim.injectReply({ from: phone, text: '3#1', messageReference: 1 });
    const firstJob = await assignment(t, first.id);
    await drained(t);
    // The second question goes once the first answer can no longer be retransmitted.
    expect(await t.gateway.core.holds.waitingUntil(second.id)).toBe(answered + NEXT_QUESTION_AFTER_MS);
    t.clock.set(answered + NEXT_QUESTION_AFTER_MS);
    await t.gateway.sweeper.tick();
    const secondSms = await t.sim.nextMessage((m) => m.destination === phone && m.text.includes('Айгерим'));
    await stateReached(t, second.id, 'invited');
    // Her own second 3#1, for the second child.
    await t.sim.injectReply({ from: phone, text: '3#1', messageReference: 2 });
    const secondJob = await assignment(t, second.id);
    expect(firstJob.data.consentTemplate.text).toBe(firstSms.text);
    expect(secondJob.data.consentTemplate.text).toBe(secondSms.text);
    // Each carries its own record: the template's hash and the text that child's request said.
    for (const job of [firstJob, secondJob])
      expect(job.data.consentTemplate.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(firstSms.text).not.toBe(secondSms.text);
    expect(firstJob.data.reply.smscMessageId).not.toBe(secondJob.data.reply.smscMessageId);
  });

  it('two children, an SMSC that relays no message reference: retransmissions of the first 3#1 within and after 15 minutes change nothing, her second 3#1 consents for the second child', async () => {
    const phone = msisdn();
    const start = t.clock.now();
    const first = await meals(phone, 'Әлихан');
    const second = await meals(phone, 'Томирис');
    await t.sim.nextMessage(to(phone));

    await t.sim.injectReply({ from: phone, text: '3#1' });
    await assignment(t, first.id);
    await drained(t);
    const sentAfterFirst = messagesTo(t, phone).length;
    expect(await t.gateway.core.holds.waitingUntil(second.id)).toBe(start + NEXT_QUESTION_AFTER_MS);

    // Its deliver_sm_resp lost, the SMSC sends the same 3#1 again a few minutes later: one SMS.
    t.clock.set(start + 5 * 60_000);
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await drained(t);
    expect(await decided(phone)).toEqual(['applied', 'retransmission']);
    // And once more after 15 minutes, before the second question exists: a reply to the first
    // request, which has its consent already; the second question waits 16 minutes from it.
    const late = start + 15 * 60_000 + 30_000;
    t.clock.set(late);
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await drained(t);
    t.clock.set(start + NEXT_QUESTION_AFTER_MS);
    await t.gateway.sweeper.tick();
    await drained(t);
    expect((await t.gateway.core.conversations.get(second.id))?.state).toBe('waiting');
    expect(await t.gateway.core.holds.waitingUntil(second.id)).toBe(late + NEXT_QUESTION_AFTER_MS);
    expect(await decided(phone)).toEqual(['applied', 'retransmission', 'applied']);

    t.clock.set(late + NEXT_QUESTION_AFTER_MS);
    await t.gateway.sweeper.tick();
    const secondSms = await t.sim.nextMessage((m) => m.destination === phone && m.text.includes('Томирис'));
    await stateReached(t, second.id, 'invited');
    // A minute later she answers for Томирис with the very same text.
    t.clock.set(late + NEXT_QUESTION_AFTER_MS + 60_000);
    await t.sim.injectReply({ from: phone, text: '3#1' });
    const secondJob = await assignment(t, second.id);
    expect(secondJob.data.consentTemplate.text).toBe(secondSms.text);
    // And the SMSC retransmits that one too: still one consent each.
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await drained(t);

    const consents = await t.gateway.core.queues.assignments.getJobs([
      'waiting',
      'prioritized',
      'active',
      'completed',
    ]);
    expect(
      consents
        .filter((j) => j.data.msisdn === phone)
        .map((j) => j.id)
        .sort(),
    ).toEqual([first.id, second.id].sort());
    for (const c of [first, second]) {
      const timeline = await t.gateway.core.store.timeline(c.id);
      expect(timeline.filter((e) => e.kind === 'transition' && e.to === 'consented')).toHaveLength(1);
      expect(timeline.filter((e) => e.kind === 'reply' && e.accepted === true)).toHaveLength(1);
    }
    expect(messagesTo(t, phone).length).toBeGreaterThanOrEqual(sentAfterFirst + 2);
  });

  it('a coded offer never waits behind school meals', async () => {
    const phone = msisdn();
    await meals(phone, 'Нұрлан');
    const offer = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    expect(offer.state).toBe('invited');
  });
});
