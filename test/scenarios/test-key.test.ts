/**
 * A `test` key (docs/integration.md, "Test keys"): the whole flow — invitation, delivery, the
 * citizen's reply, the decision — without reaching a carrier, every outcome marked `test`, nothing
 * in `assignments` or in the counts of real traffic, and no way across to real conversations.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitationReadSchema } from '../../gateway/http/schemas.js';
import { homeSchoolingParams } from '../support/core.js';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  drained,
  invite,
  messagesTo,
  numbers,
  outcomeReached as reached,
  outcomesOf as outcomesOfJobs,
} from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('718');
const auth = (role: keyof typeof KEYS) => `Bearer ${KEYS[role]}`;
const post = (path: string, role: keyof typeof KEYS, body: unknown) =>
  request(t.gateway.httpUrl)
    .post(path)
    .set('Authorization', auth(role))
    .send(body as object);
const MEALS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };

const outcomesOf = (id: string) => outcomesOfJobs(t, id);
const outcomeReached = (id: string, outcome: string) => reached(t, id, outcome);

async function smsMetric(outcome: string): Promise<number> {
  const metric = await t.gateway.metrics.getSingleMetric('gateway_sms_total')?.get();
  return metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

describe('a test key', () => {
  it('runs invitation, delivery, reply and decision without a carrier, every outcome marked test', async () => {
    const phone = msisdn();
    const countsBefore = await t.gateway.core.stateCounts.all();
    const started = await post('/v1/invitations', 'test', {
      service: 'home-schooling',
      externalId: 'esobes-test-1',
      msisdn: phone,
      language: 'ru',
      params: homeSchoolingParams(),
    });
    expect(started.status).toBe(202);
    expect(started.body.created).toBe(true);
    const id = started.body.conversationId as string;

    expect(await outcomeReached(id, 'sent')).toMatchObject({ test: true, externalId: 'esobes-test-1' });
    expect(await outcomeReached(id, 'delivered')).toMatchObject({
      test: true,
      carrier: { stat: 'DELIVRD', err: '000' },
    });

    const replied = await post('/v1/test/replies', 'test', { conversationId: id, text: '123#3#1' });
    expect(replied.status).toBe(200);
    expect(replied.body).toMatchObject({ conversationId: id, state: 'consented', result: 'applied' });
    expect(await outcomeReached(id, 'consented')).toMatchObject({ test: true, bank: { code: 'CASP' } });

    const decided = await post('/v1/events', 'test', {
      type: 'decision',
      conversationId: id,
      outcome: 'assigned',
    });
    expect(decided.status).toBe(200);
    expect(await outcomeReached(id, 'assigned')).toMatchObject({ test: true, state: 'assigned' });
    await drained(t, 15_000);

    // The acknowledgement and the assignment notice were "delivered" too, never by a carrier.
    expect(messagesTo(t, phone)).toEqual([]);
    expect(await smsMetric('simulated')).toBeGreaterThanOrEqual(3);
    const processed = await t.gateway.metrics.getSingleMetric('gateway_inbound_processed_total')?.get();
    const receipts = (result: string) =>
      processed?.values.find((v) => v.labels.name === 'receipt.v1' && v.labels.result === result)?.value ?? 0;
    expect(receipts('test-delivered')).toBeGreaterThanOrEqual(3);
    const all = await outcomesOf(id);
    expect(all.map((o) => o.outcome).sort()).toEqual(['assigned', 'consented', 'delivered', 'sent']);
    expect(all.every((o) => o.test === true)).toBe(true);
    // No decision system hears of a test consent, and the counts of real traffic did not move.
    expect(await t.gateway.core.queues.assignments.getJob(id)).toBeUndefined();
    expect(await t.gateway.core.stateCounts.all()).toEqual(countsBefore);

    const read = await request(t.gateway.httpUrl)
      .get('/v1/invitations/home-schooling/esobes-test-1')
      .set('Authorization', auth('test'));
    expect(read.status).toBe(200);
    const body = invitationReadSchema.parse(read.body);
    expect(body.outcomes.map((o) => o.outcome)).toEqual(['sent', 'delivered', 'consented', 'assigned']);
  });

  it('makes the invitation to its failing test number undeliverable, as a carrier would', async () => {
    const started = await post('/v1/invitations', 'test', {
      service: 'school-meals',
      externalId: 'meals-undelivered-1',
      msisdn: '+7 700 900 00 02',
      language: 'ru',
      params: MEALS,
    });
    expect(started.status).toBe(202);
    const id = started.body.conversationId as string;
    expect(await outcomeReached(id, 'undeliverable')).toMatchObject({
      test: true,
      state: 'undeliverable',
      carrier: { stat: 'UNDELIV', err: '001' },
    });
    await drained(t, 15_000);
    expect((await outcomesOf(id)).map((o) => o.outcome).sort()).toEqual(['sent', 'undeliverable']);
    expect(messagesTo(t, '77009000002')).toEqual([]);
  });

  it('keeps its invitations apart from real ones of the same reference', async () => {
    const phone = msisdn();
    const body = {
      service: 'school-meals',
      externalId: 'meals-shared-1',
      msisdn: phone,
      language: 'ru',
      params: MEALS,
    };
    const real = await post('/v1/invitations', 'system', body);
    const test = await post('/v1/invitations', 'test', body);
    expect([real.status, test.status]).toEqual([202, 202]);
    expect([real.body.created, test.body.created]).toEqual([true, true]);
    expect(test.body.conversationId).not.toBe(real.body.conversationId);
    const again = await post('/v1/invitations', 'test', body);
    expect(again.body).toMatchObject({ conversationId: test.body.conversationId, created: false });

    const readAs = (role: keyof typeof KEYS) =>
      request(t.gateway.httpUrl)
        .get('/v1/invitations/school-meals/meals-shared-1')
        .set('Authorization', auth(role));
    expect((await readAs('system')).body.conversationId).toBe(real.body.conversationId);
    expect((await readAs('test')).body.conversationId).toBe(test.body.conversationId);
    // The real outcomes carry no test mark.
    expect((await outcomeReached(real.body.conversationId as string, 'sent')).test).toBeUndefined();
  });

  it("is never reached by the number's real replies, and a test reply never reaches a real conversation", async () => {
    const phone = msisdn();
    const test = await post('/v1/invitations', 'test', {
      service: 'school-meals',
      externalId: 'meals-apart-1',
      msisdn: phone,
      language: 'ru',
      params: MEALS,
    });
    const testId = test.body.conversationId as string;
    await outcomeReached(testId, 'delivered');
    // The citizen's real SMS finds no open request of theirs: the test one is not theirs.
    await t.sim.injectReply({ from: phone, text: '3#1' });
    await t.sim.nextMessage((m) => m.destination === phone);
    await drained(t, 15_000);
    expect((await t.gateway.core.conversations.get(testId))?.state).toBe('invited');

    const realPhone = msisdn();
    const real = await invite(t, 'school-meals', realPhone, MEALS);
    const refused = await post('/v1/test/replies', 'test', { conversationId: real.id, text: '3#1' });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('GW_NOT_FOUND');
    expect((await t.gateway.core.conversations.get(real.id))?.state).toBe('invited');
  });

  it('cannot touch a real conversation, nor a system key a test one; bad input names the field', async () => {
    const real = await invite(t, 'school-meals', msisdn(), MEALS);
    const test = await post('/v1/invitations', 'test', {
      service: 'school-meals',
      externalId: 'meals-guard-1',
      msisdn: msisdn(),
      language: 'ru',
      params: MEALS,
    });
    const testId = test.body.conversationId as string;
    const decision = (conversationId: string) => ({ type: 'decision', conversationId, outcome: 'assigned' });

    const cases = [
      { res: await post('/v1/events', 'test', decision(real.id)), status: 404, code: 'GW_NOT_FOUND' },
      { res: await post('/v1/events', 'system', decision(testId)), status: 404, code: 'GW_NOT_FOUND' },
      {
        res: await post('/v1/test/replies', 'system', { conversationId: testId, text: '3#1' }),
        status: 403,
        code: 'GW_FORBIDDEN',
      },
      {
        res: await request(t.gateway.httpUrl)
          .get(`/v1/conversations/${real.id}`)
          .set('Authorization', auth('test')),
        status: 403,
        code: 'GW_FORBIDDEN',
      },
    ];
    for (const c of cases) {
      expect(c.res.status).toBe(c.status);
      expect(c.res.body.error.code).toBe(c.code);
    }

    const campaign = await post('/v1/invitations', 'test', {
      service: 'school-meals',
      externalId: 'meals-guard-2',
      msisdn: msisdn(),
      language: 'ru',
      params: MEALS,
      campaign: 'c-test',
    });
    expect(campaign.status).toBe(400);
    expect(campaign.body.error.details).toEqual([expect.objectContaining({ path: 'campaign' })]);
    const empty = await post('/v1/test/replies', 'test', { conversationId: testId, text: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([expect.objectContaining({ path: 'text' })]);
    expect((await t.gateway.core.conversations.get(real.id))?.state).toBe('invited');
  });
});
