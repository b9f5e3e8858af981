/**
 * One number, several requests (CONTRACT.md, "Replies that match no open conversation"): a reply
 * without a service code reaches the one request that asks without a code, a portal notice takes
 * no reply and blocks none, and a reply that still fits several gets one "which request?" SMS
 * naming each with the exact text to send. Against real Redis and the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
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
    await t.sim.injectReply({ from: phone, text: '3#1', messageReference: 1 });
    const firstJob = await assignment(t, first.id);
    const secondSms = await t.sim.nextMessage((m) => m.destination === phone && m.text.includes('Айгерим'));
    await stateReached(t, second.id, 'invited');
    // The SMSC retransmits the first 3#1 (its deliver_sm_resp was lost): the same SMS, nothing new.
    await t.sim.injectReply({ from: phone, text: '3#1', messageReference: 1 });
    await drained(t);
    expect((await t.gateway.core.conversations.get(second.id))?.state).toBe('invited');
    // Her own second 3#1, minutes later, for the second child.
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

  it('a coded offer never waits behind school meals', async () => {
    const phone = msisdn();
    await meals(phone, 'Нұрлан');
    const offer = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    expect(offer.state).toBe('invited');
  });
});
