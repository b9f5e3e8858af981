/**
 * The outside contract (CONTRACT.md) as an acceptance tester checks it: the HTTP API with a system
 * key, the independent Perl SMSC as the carrier (its control port sends the citizens' SMS, its log
 * shows every PDU), and the downstream queues read as a plain BullMQ consumer would. Each service's
 * flow end to end: home-schooling Appendix 2 and its consent, school meals to the mother of three
 * recipients and a refusal, the portal's notice and a reply to it, and a number with nothing open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssignmentJob } from '../../queues/jobs.js';
import type { GatewayHandle } from '../../gateway/gateway.js';
import { HALYK, KASPI } from '../support/core.js';
import { eventually, KEYS } from '../support/gateway.js';
import { startOnPerlSmsc, type PerlGateway } from '../support/perl-gateway.js';
import type { PerlSmsc, SmscLogLine } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';

const skip = missing(perlSmsc);
let smsc: PerlSmsc;
let gateway: GatewayHandle;
let api: PerlGateway['api'];
let running: PerlGateway | undefined;

beforeAll(async () => {
  if (skip) return;
  running = await startOnPerlSmsc({ name: 'contract', env: { SEND_WINDOW: 'always' } });
  ({ smsc, gateway, api } = running);
});
afterAll(async () => {
  await running?.stop();
});

/** The whole SMS the SMSC took for `to` whose text matches `text` (one part, or all of them). */
async function smsTo(to: string, text: RegExp): Promise<SmscLogLine> {
  return smsc.waitFor(
    (l) =>
      l.destination_addr === to &&
      typeof l.text === 'string' &&
      text.test(l.text) &&
      (l.event === 'concat_complete' || (l.dir === 'in' && l.command === 'submit_sm' && l.udh === undefined)),
  );
}

async function reply(from: string, text: string): Promise<void> {
  const answer = await smsc.control({ op: 'mo', from, to: '1414', text });
  expect(answer.statuses).toEqual([0]);
}

const stateOf = async (id: string, wanted: string) =>
  eventually(async () => {
    const { body } = await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent);
    return body.state === wanted;
  }, `state ${wanted}`);

describe.skipIf(skip)('the contract through the Perl SMSC', () => {
  it('home-schooling, Appendix 2: UCS2 parts with UDH and receipts, 123#3#12 consents, one assignments job of the contract shape', async () => {
    const phone = '77071230001';
    const { status, body } = await api('POST', '/v1/invitations', {
      service: 'home-schooling',
      externalId: 'contract-hs-1',
      msisdn: '+7 707 123 00 01',
      language: 'kk',
      params: {
        fullName: 'Айгүл Сейітқызы',
        serviceCode: '123',
        banks: [HALYK, KASPI],
        integratedBanks: [HALYK, KASPI],
      },
    });
    expect(status).toBe(202);
    expect(body).toMatchObject({ state: 'invited', created: true });
    const id = String(body.conversationId);

    const offer = await smsTo(phone, /123 #3#1/);
    expect(offer.text).toContain(KASPI.nameKk);
    const parts = smsc.received('submit_sm').filter((l) => l.destination_addr === phone);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part).toMatchObject({
        data_coding: 8,
        esm_class: 64,
        registered_delivery: 1,
        source_addr: '1414',
        source_addr_ton: 3,
      });
    }

    await reply(phone, '123#3#12');
    await smsTo(phone, new RegExp(KASPI.nameKk));
    await stateOf(id, 'consented');
    const job = await eventually(() => gateway.core.queues.assignments.getJob(id), 'the assignment');
    expect(job.id).toBe(id);
    const data = job.data as AssignmentJob;
    expect(Object.keys(data).sort()).toEqual(
      [
        'bank',
        'consentTemplate',
        'consentedAt',
        'conversationId',
        'externalId',
        'language',
        'msisdn',
        'reply',
        'service',
      ].sort(),
    );
    expect(data).toMatchObject({
      conversationId: id,
      service: 'home-schooling',
      externalId: 'contract-hs-1',
      msisdn: phone,
      language: 'kk',
      bank: KASPI,
      reply: { text: '123#3#12' },
      consentTemplate: { language: 'kk', text: offer.text },
    });
    expect(data.bank).toStrictEqual(KASPI);
    expect(data.consentedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+05:00$/);
    expect(data.consentTemplate.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('school meals go to the mother of three recipients; 3#2 refuses, with one refused outcome', async () => {
    const mother = '77071230012';
    const { body } = await api('POST', '/v1/invitations', {
      service: 'school-meals',
      externalId: 'contract-meals-1',
      language: 'ru',
      recipients: [
        { role: 'guardian', msisdn: '77071230010' },
        { role: 'father', msisdn: '87071230011' },
        { role: 'mother', msisdn: '+7 707 123 00 12' },
      ],
      params: { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' },
    });
    const id = String(body.conversationId);
    await smsTo(mother, /3#1/);
    await reply(mother, '3#2');
    await smsTo(mother, /^Вы отказались от услуги\.$/);
    await stateOf(id, 'refused');
    const refused = await eventually(
      () => gateway.core.queues.outcomes.getJob(`${id}.refused`),
      'the refused outcome',
    );
    expect(refused.data).toMatchObject({
      conversationId: id,
      service: 'school-meals',
      externalId: 'contract-meals-1',
      state: 'refused',
      outcome: 'refused',
    });
    expect(refused.data.at).toMatch(/\+05:00$/);
    expect(
      smsc
        .received('submit_sm')
        .filter((l) => ['77071230010', '77071230011'].includes(String(l.destination_addr))),
    ).toEqual([]);
  });

  it("an UNDELIV receipt makes the invitation undeliverable, with one outcome naming the carrier's stat", async () => {
    const phone = '77071230031';
    await smsc.control({ op: 'set', dlr_stat: 'UNDELIV', dlr_err: '001' });
    try {
      const { body } = await api('POST', '/v1/invitations', {
        service: 'home-schooling',
        externalId: 'contract-hs-undeliv',
        msisdn: phone,
        language: 'ru',
        params: { fullName: 'Айгүл Сейітқызы', serviceCode: '123', banks: [KASPI], integratedBanks: [KASPI] },
      });
      const id = String(body.conversationId);
      await stateOf(id, 'undeliverable');
      const outcome = await eventually(
        () => gateway.core.queues.outcomes.getJob(`${id}.undeliverable`),
        'the undeliverable outcome',
      );
      expect(outcome.data).toMatchObject({
        conversationId: id,
        state: 'undeliverable',
        outcome: 'undeliverable',
        carrier: { stat: 'UNDELIV', err: '001' },
      });
      const read = await api('GET', '/v1/invitations/home-schooling/contract-hs-undeliv');
      expect(read.body).toMatchObject({ state: 'undeliverable', deadline: null });
    } finally {
      await smsc.control({ op: 'set', dlr_stat: 'DELIVRD', dlr_err: '000' });
    }
  });

  it("the portal's notice asks for no reply: a reply to it is told so, and a number with nothing open is told to call 1414", async () => {
    const phone = '77071230021';
    const today = new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 10);
    await api('POST', '/v1/invitations', {
      service: 'social-portal',
      externalId: 'contract-portal-1',
      msisdn: phone,
      language: 'kk',
      params: { fullName: 'Айгүл Сейітқызы', dataReceivedOn: today },
    });
    await smsTo(phone, /Айгүл Сейітқызы/);
    await reply(phone, 'Иә');
    await smsTo(phone, /жауап беру қажет емес/);

    await reply('77071230099', '3#1');
    await smsTo('77071230099', /По этому номеру нет открытых запросов\. Справки: 1414/);
  });
});
