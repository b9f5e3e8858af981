/**
 * Home-schooling without a bank account (003, Algorithm items 9.3 and 10, Appendix 3-5): the
 * account-opened event, its deadline, the decision, repeated events, and a Kazakh conversation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HALYK, homeSchoolingParams, KASPI, OTBASY } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  applied,
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

const msisdn = numbers('702');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
const hs = (phone: string, banks: unknown[], language: 'kk' | 'ru' = 'ru') =>
  invite(t, 'home-schooling', phone, homeSchoolingParams(banks), { language });

describe('home-schooling, no account: Appendix 3 → account-opened → Appendix 1 → consent → decision', () => {
  it('goes from Appendix 3 to a consent with the bank the event names, then to Appendix 5 and assigned', async () => {
    const phone = msisdn();
    const conv = await hs(phone, []);
    expect(conv.state).toBe('awaiting_account');
    const appendix3 = await t.sim.nextMessage(to(phone));
    // Appendix 3 lists the integrated banks to open an account in.
    for (const bank of [HALYK, KASPI, OTBASY]) expect(appendix3.text).toContain(bank.nameRu);

    const opened = await t.gateway.core.conversations.upstream(conv.id, 'account-opened', {
      bank: HALYK,
      key: 'evt-account-1',
    });
    expect(opened.status).toBe('applied');
    expect(applied(opened).state).toBe('invited');
    const appendix1 = await t.sim.nextMessage(to(phone));
    expect(appendix1.text).toContain(HALYK.nameRu);
    expect(appendix1.text).toContain('123 #3#1');

    expect((await t.sim.injectReply({ from: phone, text: '123#3#1' })).statuses).toEqual([0]);
    const job = await assignment(t, conv.id);
    expect(job.data.bank).toEqual(HALYK);
    expect(job.data.consentTemplate.text).toBe(appendix1.text);
    expect((await t.sim.nextMessage(to(phone))).text).toContain(HALYK.nameRu);
    await stateReached(t, conv.id, 'consented');

    const decided = await t.gateway.core.conversations.upstream(conv.id, 'decision', {
      outcome: 'assigned',
      key: 'evt-decision-1',
    });
    expect(applied(decided).state).toBe('assigned');
    const appendix5 = await t.sim.nextMessage(to(phone));
    expect(appendix5.text).toContain('Айгүл Сейітқызы');
    expect(appendix5.text).toContain(`в ${HALYK.nameRu}`);
  });

  it('the same event twice changes nothing the second time: no second SMS, no second transition', async () => {
    const phone = msisdn();
    const conv = await hs(phone, []);
    const body = { bank: KASPI, key: 'evt-account-2' };
    expect((await t.gateway.core.conversations.upstream(conv.id, 'account-opened', body)).status).toBe(
      'applied',
    );
    const again = await t.gateway.core.conversations.upstream(conv.id, 'account-opened', body);
    expect(again.status).toBe('unchanged');
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    await assignment(t, conv.id);
    const decision = { outcome: 'assigned', key: 'evt-decision-2' };
    expect((await t.gateway.core.conversations.upstream(conv.id, 'decision', decision)).status).toBe(
      'applied',
    );
    expect((await t.gateway.core.conversations.upstream(conv.id, 'decision', decision)).status).toBe(
      'unchanged',
    );
    await drained(t);
    // Appendix 3, Appendix 1 (Kaspi), the acknowledgement, Appendix 5: once each.
    expect(messagesTo(t, phone)).toHaveLength(4);
    const transitions = (await t.gateway.core.store.timeline(conv.id)).filter((e) => e.kind === 'transition');
    expect(transitions.map((e) => e.to)).toEqual(['awaiting_account', 'invited', 'consented', 'assigned']);
  });

  it('a decision before any consent is refused (409 at the API), and the conversation stays as it was', async () => {
    const phone = msisdn();
    const conv = await hs(phone, [KASPI]);
    const result = await t.gateway.core.conversations.upstream(conv.id, 'decision', {
      outcome: 'assigned',
      key: 'evt-early',
    });
    expect(result.status).toBe('rejected');
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('invited');
  });

  it('no account-opened event within 3 working days: Appendix 4, expired, and a late event is refused', async () => {
    const phone = msisdn();
    const conv = await hs(phone, []);
    await t.sim.nextMessage(to(phone));
    const { deadline } = await deadlineRuns(t, conv.id);
    t.clock.set(deadline - 1);
    await t.gateway.sweeper.tick();
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('awaiting_account');
    t.clock.set(deadline);
    await t.gateway.sweeper.tick();
    const appendix4 = await t.sim.nextMessage(to(phone));
    expect(appendix4.text).toContain('Срок ожидания ответа истек');
    await stateReached(t, conv.id, 'expired');
    const late = await t.gateway.core.conversations.upstream(conv.id, 'account-opened', {
      bank: HALYK,
      key: 'evt-late',
    });
    expect(late.status).toBe('rejected');
    expect(await t.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();
  });
});

describe('a Kazakh-language conversation', () => {
  it('sends every SMS in Kazakh: the offer, and the acknowledgement rendered from the kk template', async () => {
    const phone = msisdn();
    const conv = await hs(phone, [KASPI], 'kk');
    const offer = await t.sim.nextMessage(to(phone));
    expect(offer.text).toMatch(/^Құрметті азамат!/);
    expect(offer.text).toContain('123 #3#1');
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    expect((await assignment(t, conv.id)).data.consentTemplate.language).toBe('kk');
    const ack = await t.sim.nextMessage(to(phone));
    const kk = t.gateway.core.renderer.render('home-schooling.consent-accepted', 'kk', { bank: KASPI });
    const ru = t.gateway.core.renderer.render('home-schooling.consent-accepted', 'ru', { bank: KASPI });
    expect(ack.text).toBe(kk.text);
    expect(ack.text).not.toBe(ru.text);
  });
});
