import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HALYK, homeSchoolingParams, KASPI, OTBASY } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { deadlineRuns } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

let n = 0;
function msisdn(): string {
  n += 1;
  return `7701555${String(n).padStart(4, '0')}`;
}

async function invite(to: string, banks: unknown[], language: 'kk' | 'ru' = 'ru') {
  const { conversation } = await t.gateway.core.conversations.invite({
    service: 'home-schooling',
    externalId: `hs-${to}`,
    msisdn: to,
    language,
    params: homeSchoolingParams(banks),
  });
  return conversation;
}

const assignment = (id: string) =>
  eventually(() => t.gateway.core.queues.assignments.getJob(id), `assignment ${id}`);
const state = (id: string, wanted: string) =>
  eventually(async () => {
    const c = await t.gateway.core.conversations.get(id);
    return c?.state === wanted ? c : undefined;
  }, `state ${wanted}`);

describe('home-schooling end to end: invitation → SMSC → reply → consent → assignments', () => {
  it('one bank: Appendix 1 reaches the SMSC in UCS2 parts, 123#3#1 consents once, and the citizen is told', async () => {
    const to = msisdn();
    const conv = await invite(to, [KASPI]);
    const offer = await t.sim.nextMessage((m) => m.destination === to);
    expect(offer.text).toBe(conv.consentTemplate?.text);
    expect(offer.dataCoding).toBe(8);
    expect(offer.parts.length).toBeGreaterThan(1);
    expect(offer.text).toContain('123 #3#1');

    const result = await t.sim.injectReply({ from: to, text: '123#3#1' });
    expect(result.statuses).toEqual([0]);
    const job = await assignment(conv.id);
    expect(job.data).toMatchObject({
      conversationId: conv.id,
      bank: KASPI,
      msisdn: to,
      service: 'home-schooling',
    });
    expect(job.data.consentTemplate.text).toBe(offer.text);
    // A consumer that throws gets the consent again (docs/integration.md, "Acking").
    expect(job.opts).toMatchObject({ attempts: 15, backoff: { type: 'exponential', delay: 5_000 } });
    const ack = await t.sim.nextMessage((m) => m.destination === to);
    expect(ack.text).toContain('Kaspi Bank');
    await state(conv.id, 'consented');
  });

  it('several banks: 123#3#12 consents with bank no. 2; an out-of-range number gets help and stays open', async () => {
    const to = msisdn();
    const conv = await invite(to, [HALYK, KASPI]);
    await t.sim.nextMessage((m) => m.destination === to);
    await t.sim.injectReply({ from: to, text: '123#3#17' });
    const help = await t.sim.nextMessage((m) => m.destination === to);
    expect(help.text).toContain('123#3#12');
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('invited');
    await t.sim.injectReply({ from: to, text: '123#3#12' });
    const job = await assignment(conv.id);
    expect(job.data.bank).toEqual(KASPI);
  });

  it('123#3#0 sends the integrated banks; 123#3#13 consents with the third', async () => {
    const to = msisdn();
    const conv = await invite(to, [HALYK], 'kk');
    await t.sim.nextMessage((m) => m.destination === to);
    await t.sim.injectReply({ from: to, text: '123#3#0' });
    const list = await t.sim.nextMessage((m) => m.destination === to);
    expect(list.text).toContain(OTBASY.nameKk);
    await t.sim.injectReply({ from: to, text: '123 # 3 # 13' });
    expect((await assignment(conv.id)).data.bank).toEqual(OTBASY);
  });

  it("an integrated bank's account link stays out of the assignments job: its bank is { code, nameKk, nameRu }", async () => {
    const to = msisdn();
    const FREEDOM = { code: 'FRHC', nameKk: 'Freedom Bank', nameRu: 'Freedom Bank' };
    const { conversation: conv } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: `hs-${to}`,
      msisdn: to,
      language: 'ru',
      params: {
        ...homeSchoolingParams([HALYK]),
        integratedBanks: [HALYK, { ...FREEDOM, link: 'https://bank.example/open' }],
      },
    });
    await t.sim.nextMessage((m) => m.destination === to);
    await t.sim.injectReply({ from: to, text: '123#3#0' });
    await t.sim.nextMessage((m) => m.destination === to);
    await t.sim.injectReply({ from: to, text: '123#3#12' });
    expect((await assignment(conv.id)).data.bank).toStrictEqual(FREEDOM);
  });

  it('the same deliver_sm twice is one reply: one consent, one acknowledgement', async () => {
    const to = msisdn();
    const conv = await invite(to, [KASPI]);
    await t.sim.nextMessage((m) => m.destination === to);
    const result = await t.sim.injectReply({ from: to, text: '123#3#1', duplicate: 2 });
    expect(result.statuses).toEqual([0, 0]);
    await assignment(conv.id);
    await t.sim.nextMessage((m) => m.destination === to);
    const timeline = await t.gateway.core.store.timeline(conv.id);
    expect(timeline.filter((e) => e.kind === 'reply')).toHaveLength(1);
  });

  it('a 3-part reply arriving 3-1-2 is read as one reply', async () => {
    const to = msisdn();
    const conv = await invite(to, [KASPI]);
    await t.sim.nextMessage((m) => m.destination === to);
    const text = '123#3#1 ' + 'рахмет көп '.repeat(14);
    const result = await t.sim.injectReply({ from: to, text, parts: 3, order: [3, 1, 2], encoding: 'ucs2' });
    expect(result.statuses).toEqual([0, 0, 0]);
    const job = await assignment(conv.id);
    expect(job.data.reply.text).toBe(text);
  });

  it('no reply in 3 working days: Appendix 4 with the name, expired; a reply after it gets the deadline-passed SMS and no job', async () => {
    const to = msisdn();
    const conv = await invite(to, [KASPI]);
    await t.sim.nextMessage((m) => m.destination === to);
    t.clock.set((await deadlineRuns(t, conv.id)).deadline);
    await t.gateway.sweeper.tick();
    const expired = await t.sim.nextMessage((m) => m.destination === to);
    expect(expired.text).toContain('Айгүл Сейітқызы');
    expect(expired.text).toContain('Срок ожидания ответа истек');
    await state(conv.id, 'expired');
    await t.sim.injectReply({ from: to, text: '123#3#1' });
    const late = await t.sim.nextMessage((m) => m.destination === to);
    expect(late.text).toMatch(/Срок ответа истек/);
    expect(await t.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();
  });

  it('a reply from a number with nothing open gets "no open request" once a day', async () => {
    const to = msisdn();
    await t.sim.injectReply({ from: to, text: '123#3#1' });
    const told = await t.sim.nextMessage((m) => m.destination === to);
    expect(told.text).toContain('1414');
    await t.sim.injectReply({ from: to, text: '123#3#1 ' });
    await expect(t.sim.nextMessage((m) => m.destination === to, 500)).rejects.toThrow();
  });
  it('an operator sees the stored replies, the multipart reassembly and what the workers decided in /metrics', async () => {
    const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
    const value = (line: string): number =>
      Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('gateway_inbound_stored_total{kind="reply"}')).toBeGreaterThanOrEqual(8);
    expect(value('gateway_inbound_stored_total{kind="receipt"}')).toBeGreaterThan(0);
    expect(value('gateway_reply_parts_total{outcome="completed"}')).toBe(1);
    expect(value('gateway_reply_parts_total{outcome="stored"}')).toBe(3);
    expect(value('gateway_inbound_processed_total{name="reply.v1",result="applied"}')).toBeGreaterThanOrEqual(
      5,
    );
  });
});
