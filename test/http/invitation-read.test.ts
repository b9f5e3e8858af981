import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitationReadSchema } from '../../gateway/http/schemas.js';
import { parseReply } from '../../parsers/reply.js';
import { markSent } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const MEALS = {
  service: 'school-meals',
  msisdn: '77014440001',
  language: 'ru',
  params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
};
const read = (path: string, role: Parameters<typeof bearer>[0] = 'system') =>
  request(t.app).get(path).set('Authorization', bearer(role));

describe('GET /v1/invitations/{service}/{externalId}', () => {
  it('answers the state, deadline and outcomes on the Almaty clock, without texts, number or names', async () => {
    const started = await request(t.app)
      .post('/v1/invitations')
      .set('Authorization', bearer('system'))
      .send({ ...MEALS, externalId: 'read-1' });
    expect(started.status).toBe(202);
    const id = started.body.conversationId as string;
    const reply = { text: '3#2', receivedAt: t.core.now(), smscMessageId: 'mo-read-1' };
    await t.core.conversations.apply(id, { type: 'reply', parsed: parseReply('3#2'), reply }, 'k');

    const res = await read('/v1/invitations/school-meals/read-1');
    expect(res.status).toBe(200);
    const body = invitationReadSchema.parse(res.body);
    expect(body).toMatchObject({
      conversationId: id,
      externalId: 'read-1',
      state: 'refused',
      deadline: null,
    });
    expect(body.outcomes.map((o) => o.outcome)).toEqual(['refused']);
    expect(body.outcomes[0]?.at).toMatch(/\+05:00$/);
    const json = JSON.stringify(res.body);
    for (const secret of ['77014440001', 'Айгүл', 'Арман', '3#2']) expect(json).not.toContain(secret);
  });

  it('shows an open invitation with its deadline', async () => {
    await request(t.app)
      .post('/v1/invitations')
      .set('Authorization', bearer('system'))
      .send({ ...MEALS, externalId: 'read-2' });
    // The SMSC accepts the request: its 3 days count from now (no SMSC in this test).
    const id = await t.core.store.claimExternalId('school-meals', 'read-2', 'unused');
    await markSent(t.core, id);
    const body = invitationReadSchema.parse((await read('/v1/invitations/school-meals/read-2')).body);
    expect(body.state).toBe('invited');
    expect(body.deadline).toMatch(/\+05:00$/);
    expect(body.outcomes).toEqual([]);
  });

  it('is 404 for an externalId never invited, 400 for an unknown service, 403 for an agent', async () => {
    expect((await read('/v1/invitations/school-meals/never')).status).toBe(404);
    const unknown = await read('/v1/invitations/no-such/x');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe('service');
    expect((await read('/v1/invitations/school-meals/read-1', 'agent')).status).toBe(403);
  });
});
