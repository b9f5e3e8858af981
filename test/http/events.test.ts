import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey } from '../../gateway/http/events.js';
import { eventResultSchema, errorSchema } from '../../gateway/http/schemas.js';
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

describe('POST /v1/events', () => {
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
      eventKey({ type: 'decision', conversationId: 'x', outcome: 'refused' }),
    );
  });
});
