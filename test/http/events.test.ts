import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey } from '../../gateway/http/events.js';
import { eventResultSchema, errorSchema } from '../../gateway/http/schemas.js';
import { parseReply } from '../../parsers/reply.js';
import { HALYK, homeSchoolingParams } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const send = (body: unknown) =>
  request(t.app)
    .post('/v1/events')
    .set('Authorization', bearer('system'))
    .send(body as object);

/** A home-schooling conversation with no bank yet: awaiting_account (003, Appendix 3). */
async function awaitingAccount(externalId: string): Promise<string> {
  const { conversation } = await t.core.conversations.invite({
    service: 'home-schooling',
    externalId,
    msisdn: '77013330000',
    language: 'ru',
    params: homeSchoolingParams([]),
  });
  expect(conversation.state).toBe('awaiting_account');
  return conversation.id;
}

/** A conversation whose citizen agreed (`123#3#1`, `3#1`): consented, waiting for a decision. */
async function consented(service: 'home-schooling' | 'school-meals', externalId: string): Promise<string> {
  const params =
    service === 'home-schooling'
      ? homeSchoolingParams()
      : { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };
  const { conversation } = await t.core.conversations.invite({
    service,
    externalId,
    msisdn: '77013330001',
    language: 'ru',
    params,
  });
  const text = service === 'home-schooling' ? '123#3#1' : '3#1';
  const reply = { text, receivedAt: t.core.now(), smscMessageId: `mo-${externalId}` };
  const applied = await t.core.conversations.apply(conversation.id, {
    type: 'reply',
    parsed: parseReply(text),
    reply,
  });
  expect(applied.status === 'applied' && applied.conversation.state).toBe('consented');
  return conversation.id;
}

const smsTemplates = async (id: string): Promise<string[]> =>
  (await t.core.store.timeline(id)).flatMap((e) =>
    e.kind === 'sms' && typeof e.templateId === 'string' ? [e.templateId] : [],
  );

describe('POST /v1/events, decisions', () => {
  it('home-schooling assigned: state assigned, the Appendix 5 SMS goes out (003, item 13)', async () => {
    const id = await consented('home-schooling', 'dec-1');
    const res = await send({ type: 'decision', conversationId: id, outcome: 'assigned' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'assigned', result: 'applied' });
    expect((await smsTemplates(id)).at(-1)).toBe('home-schooling.assigned');
  });

  it.each([['home-schooling' as const], ['school-meals' as const]])(
    '%s rejected with a reason: state rejected, no SMS (no act prescribes one), the reason recorded',
    async (service) => {
      const id = await consented(service, `dec-rej-${service}`);
      const before = await smsTemplates(id);
      const body = {
        type: 'decision',
        conversationId: id,
        outcome: 'rejected',
        params: { reason: 'not-eligible' },
      };
      const res = await send(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ state: 'rejected', result: 'applied' });
      expect(await smsTemplates(id)).toEqual(before);
      const conv = await t.core.conversations.get(id);
      expect(conv?.decision).toMatchObject({ outcome: 'rejected', reason: 'not-eligible' });
      expect((await send(body)).body).toMatchObject({ state: 'rejected', result: 'unchanged' });
    },
  );

  it('a rejection whose reason is text, not a code, is recorded as `other` and the answer says so', async () => {
    const id = await consented('school-meals', 'dec-text');
    const body = {
      type: 'decision',
      conversationId: id,
      outcome: 'rejected',
      params: { reason: 'доход семьи выше порога' },
    };
    const res = await send(body);
    expect(res.status).toBe(200);
    expect(eventResultSchema.parse(res.body)).toEqual({
      conversationId: id,
      state: 'rejected',
      result: 'applied',
      reason: 'other',
    });
    expect((await t.core.conversations.get(id))?.decision).toMatchObject({
      outcome: 'rejected',
      reason: 'other',
    });
    expect((await send(body)).body).toMatchObject({ result: 'unchanged', reason: 'other' });
  });

  it('a repeated rejection naming another reason answers the reason recorded first', async () => {
    const id = await consented('school-meals', 'dec-again');
    const first = {
      type: 'decision',
      conversationId: id,
      outcome: 'rejected',
      params: { reason: 'доход выше' },
    };
    expect((await send(first)).body).toMatchObject({ result: 'applied', reason: 'other' });
    const again = await send({ ...first, params: { reason: 'not-eligible' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ result: 'unchanged', reason: 'other' });
    expect((await t.core.conversations.get(id))?.decision).toMatchObject({ reason: 'other' });
  });

  it('school-meals assigned closes the conversation without an SMS (002 prescribes none)', async () => {
    const id = await consented('school-meals', 'dec-2');
    const before = await smsTemplates(id);
    const res = await send({ type: 'decision', conversationId: id, outcome: 'assigned' });
    expect(res.body).toMatchObject({ state: 'assigned', result: 'applied' });
    expect(await smsTemplates(id)).toEqual(before);
  });

  it('a rejection after an assignment is 409: the first decision stands', async () => {
    const id = await consented('school-meals', 'dec-3');
    await send({ type: 'decision', conversationId: id, outcome: 'assigned' });
    const res = await send({
      type: 'decision',
      conversationId: id,
      outcome: 'rejected',
      params: { reason: 'other' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.details).toEqual({ state: 'assigned' });
  });

  it.each([
    ['a rejection without a reason', { outcome: 'rejected' }, 'params.reason'],
    [
      'a rejection whose reason is not one line of text',
      { outcome: 'rejected', params: { reason: 'income\nabove the threshold' } },
      'params.reason',
    ],
    [
      'a rejection whose reason is not text',
      { outcome: 'rejected', params: { reason: 42 } },
      'params.reason',
    ],
    ['an assignment with a reason', { outcome: 'assigned', params: { reason: 'other' } }, 'params.reason'],
    ['an unknown outcome', { outcome: 'refused' }, 'outcome'],
  ])('refuses %s with 400 naming the field', async (_label, extra, path) => {
    const res = await send({ type: 'decision', conversationId: 'abc', ...extra });
    expect(res.status).toBe(400);
    const details = errorSchema.parse(res.body).error.details as Array<{ path: string }>;
    expect(details.map((d) => d.path)).toContain(path);
  });
});

describe('POST /v1/events', () => {
  it("account-opened may name the bank by its code: one of the invitation's integratedBanks; another code is a 400 naming bank", async () => {
    const id = await awaitingAccount('ev-code');
    const unknown = await send({ type: 'account-opened', conversationId: id, bank: 'NOPE' });
    expect(unknown.status).toBe(400);
    expect(errorSchema.parse(unknown.body).error.details).toEqual([
      { path: 'bank', message: "is no code of the invitation's integratedBanks" },
    ]);
    const res = await send({ type: 'account-opened', conversationId: id, bank: HALYK.code });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'invited', result: 'applied' });
    const offer = (await t.core.store.timeline(id)).filter((e) => e.kind === 'sms').at(-1);
    expect(offer).toMatchObject({ templateId: 'home-schooling.offer-one-bank' });
    expect(String((offer as { text?: unknown }).text)).toContain(HALYK.nameRu);
    // The same fact again, given whole this time, changes nothing.
    expect((await send({ type: 'account-opened', conversationId: id, bank: HALYK })).body).toMatchObject({
      result: 'unchanged',
    });
    expect((await send({ type: 'account-opened', conversationId: 'nosuch', bank: 'HSBK' })).status).toBe(404);
  });

  it('account-opened offers the new bank: 200 applied, then the same event again is unchanged', async () => {
    const id = await awaitingAccount('ev-1');
    const body = { type: 'account-opened', conversationId: id, bank: HALYK };
    const first = await send(body);
    expect(first.status).toBe(200);
    expect(eventResultSchema.parse(first.body)).toEqual({
      conversationId: id,
      state: 'invited',
      result: 'applied',
    });
    const again = await send(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ conversationId: id, state: 'invited', result: 'unchanged' });
    const sms = (await t.core.store.timeline(id)).filter((e) => e.kind === 'sms');
    expect(sms).toHaveLength(2);
  });

  it('an event that does not apply in the current state is 409 with the reason and the state', async () => {
    const id = await awaitingAccount('ev-2');
    const res = await send({ type: 'decision', conversationId: id, outcome: 'assigned', params: {} });
    expect(res.status).toBe(409);
    const { error } = errorSchema.parse(res.body);
    expect(error.code).toBe('GW_CONFLICT');
    expect(error.message).toMatch(/decision does not apply/);
    expect(error.details).toEqual({ state: 'awaiting_account' });
  });

  it('an unknown conversation is 404', async () => {
    const res = await send({ type: 'supplier-chosen', conversationId: 'zzzz0000nothere' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it.each([
    ['an unknown type', { type: 'birthday', conversationId: 'abc' }, 'type'],
    ['account-opened without a bank', { type: 'account-opened', conversationId: 'abc' }, 'bank'],
    [
      'a bank without its names',
      { type: 'account-opened', conversationId: 'abc', bank: { code: 'X' } },
      'bank.nameKk',
    ],
    ['decision without an outcome', { type: 'decision', conversationId: 'abc' }, 'outcome'],
    [
      'a conversation id of the wrong type',
      { type: 'decision', conversationId: 42, outcome: 'assigned' },
      'conversationId',
    ],
    [
      'a conversation id with odd characters',
      { type: 'decision', conversationId: '../../x', outcome: 'assigned' },
      'conversationId',
    ],
  ])('refuses %s with 400', async (_name, body, path) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    const details = errorSchema.parse(res.body).error.details as Array<{ path: string }>;
    expect(details.map((d) => d.path)).toContain(path);
  });

  it('keys tell apart different facts and agree on the same one', () => {
    const a = eventKey({ type: 'account-opened', conversationId: 'x', bank: HALYK });
    expect(eventKey({ type: 'account-opened', conversationId: 'y', bank: { ...HALYK } })).toBe(a);
    expect(
      eventKey({ type: 'account-opened', conversationId: 'x', bank: { ...HALYK, code: 'CASP' } }),
    ).not.toBe(a);
    expect(eventKey({ type: 'decision', conversationId: 'x', outcome: 'assigned' })).not.toBe(
      eventKey({ type: 'decision', conversationId: 'x', outcome: 'rejected', params: { reason: 'other' } }),
    );
  });
});
