import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditListSchema, conversationListSchema, conversationSchema } from '../../gateway/http/schemas.js';
import { homeSchoolingParams, markSent } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
let id: string;
let mealsId: string;
const MSISDN = '77014445566';
const MEALS_PARAMS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };

beforeAll(async () => {
  t = await createTestApp();
  const { conversation } = await t.core.conversations.invite({
    service: 'home-schooling',
    externalId: 'look-1',
    msisdn: MSISDN,
    language: 'ru',
    params: homeSchoolingParams(),
  });
  id = conversation.id;
  await markSent(t.core, id);
  t.core.clock.advance(5 * 60_000);
  await t.core.store.append(id, {
    at: t.core.clock.now(),
    kind: 'sms-status',
    smsId: '0.0',
    status: 'delivered',
  });
  t.core.clock.advance(60_000);
  const meals = await t.core.conversations.invite({
    service: 'school-meals',
    externalId: 'look-2',
    msisdn: MSISDN,
    language: 'kk',
    params: MEALS_PARAMS,
  });
  mealsId = meals.conversation.id;
  await markSent(t.core, mealsId);
});
afterAll(async () => {
  await t.close();
});

const get = (path: string, role: Parameters<typeof bearer>[0] = 'agent') =>
  request(t.app).get(path).set('Authorization', bearer(role));

describe('GET /v1/conversations/:id', () => {
  it('shows an agent the state, the deadline and the timeline in Almaty time, with number and name masked', async () => {
    const res = await get(`/v1/conversations/${id}`);
    expect(res.status).toBe(200);
    const body = conversationSchema.parse(res.body);
    expect(body).toMatchObject({
      id,
      service: 'home-schooling',
      state: 'invited',
      msisdn: '7701***5566',
      masked: true,
    });
    // Invited Tuesday 24 Nov 2026, 11:00 Almaty; 3 working days → late from 28 Nov 00:00 (003, item 9).
    expect(body.createdAt).toBe('2026-11-24T11:00:00+05:00');
    expect(body.deadline).toBe('2026-11-28T00:00:00+05:00');
    expect(body.nextStep.ru).toBe('Ожидается ответ 123#3#1 или 123#3#0 до 27 ноября 23:59.');
    expect(body.nextStep.kk).toContain('27 қараша 23:59');
    const sms = body.timeline.find((e) => e.kind === 'sms');
    expect(sms).toMatchObject({
      templateId: 'home-schooling.offer-one-bank',
      status: 'delivered',
      statusAt: '2026-11-24T11:05:00+05:00',
    });
    expect(sms?.text).toContain('123 #3#1');
    // Which act and version the SMS followed (templates/sets/).
    const act = { number: expect.stringContaining('№ 42'), date: '2024-02-16', appendix: expect.any(String) };
    expect(sms?.templateSet).toMatchObject({
      id: 'home-schooling.2024-02-16',
      act,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      changed: false,
      wording: 'verbatim',
    });
    expect(body.templateSet).toMatchObject({
      id: 'home-schooling.2024-02-16',
      act,
      inForce: { from: '2024-02-16' },
    });
    expect(JSON.stringify(body)).not.toContain(MSISDN);
    expect(body.timeline.map((e) => e.kind)).toEqual(['transition', 'sms', 'sms-status']);
  });

  it('masks the names inside SMS texts for an agent (school-meals names parent and child)', async () => {
    const body = conversationSchema.parse((await get(`/v1/conversations/${mealsId}`)).body);
    const text = String(body.timeline.find((e) => e.kind === 'sms')?.text);
    // Both the parent (Айгүл Сейітқызы) and the child (Арман Серікұлы) read as `А*** С***`.
    expect(text.split('А*** С***').length - 1).toBe(2);
    for (const word of ['Айгүл', 'Сейітқызы', 'Арман', 'Серікұлы'])
      expect(JSON.stringify(body)).not.toContain(word);
  });

  it('masks the names and numbers a citizen typed in a reply for an agent, not for an unmasking supervisor', async () => {
    const typed = 'Меня зовут Данияр Ахметов, удостоверение 045123456, звоните 87051234567';
    await t.core.store.append(mealsId, {
      at: t.core.clock.now(),
      kind: 'reply',
      text: typed,
      meaning: '',
      accepted: false,
    });
    const reply = (body: unknown) =>
      conversationSchema.parse(body).timeline.find((e) => e.kind === 'reply')?.text;
    expect(reply((await get(`/v1/conversations/${mealsId}`)).body)).toBe(
      'Меня зовут Д*** А***, удостоверение *******56, звоните *******4567',
    );
    const unmasked = await get(`/v1/conversations/${mealsId}?unmask=true&reason=citizen-call`, 'supervisor');
    expect(reply(unmasked.body)).toBe(typed);
  });

  it('a supervisor without unmask sees the masked view too', async () => {
    const res = await get(`/v1/conversations/${id}`, 'supervisor');
    expect(res.body).toMatchObject({ msisdn: '7701***5566', masked: true });
  });

  it('a supervisor who gives a reason sees the number and the names, and the unmasking is audited', async () => {
    const res = await get(
      `/v1/conversations/${mealsId}?unmask=true&reason=citizen called 1414, ticket 881`,
      'supervisor',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ msisdn: MSISDN, masked: false });
    const text = conversationSchema.parse(res.body).timeline.find((e) => e.kind === 'sms')?.text;
    expect(text).toContain('Айгүл Сейітқызы');
    expect(text).toContain('Арман Серікұлы');
    const audit = auditListSchema.parse((await get('/v1/audit?limit=5', 'supervisor')).body);
    expect(audit.entries[0]).toMatchObject({
      action: 'unmask',
      conversationId: mealsId,
      msisdn: '7701***5566',
      reason: 'citizen called 1414, ticket 881',
      role: 'supervisor',
    });
  });

  it.each([
    ['an agent asking to unmask', 'agent', '?unmask=true&reason=citizen-call', 403],
    ['a supervisor without a reason', 'supervisor', '?unmask=true', 400],
    ['a supervisor with a reason too short', 'supervisor', '?unmask=true&reason=why', 400],
    ['a bad unmask value', 'supervisor', '?unmask=yes&reason=citizen-call', 400],
  ] as const)('refuses %s', async (_name, role, query, status) => {
    const res = await get(`/v1/conversations/${id}${query}`, role);
    expect(res.status).toBe(status);
    expect(res.body).not.toHaveProperty('msisdn');
  });

  it('an unknown or malformed id is 404, and the attempt is audited', async () => {
    expect((await get('/v1/conversations/nosuchid00')).status).toBe(404);
    expect((await get('/v1/conversations/%E2%80%A8..%2F')).status).toBe(404);
    const audit = await get('/v1/audit?limit=2', 'supervisor');
    expect(audit.body.entries[1]).toMatchObject({
      action: 'view',
      conversationId: 'nosuchid00',
      role: 'agent',
    });
  });
});

describe('GET /v1/conversations?msisdn=', () => {
  it('finds the conversations of a number in any spelling, newest first, and audits the search', async () => {
    const res = await get(`/v1/conversations?msisdn=${encodeURIComponent('8 (701) 444-55-66')}`);
    expect(res.status).toBe(200);
    const body = conversationListSchema.parse(res.body);
    expect(body.conversations.map((c) => c.id)).toEqual([mealsId, id]);
    expect(body.conversations[0]?.nextStep.ru).toBe('Ожидается ответ 3#1 или 3#2 до 27 ноября 23:59.');
    const audit = await get('/v1/audit?limit=1', 'supervisor');
    expect(audit.body.entries[0]).toMatchObject({ action: 'search', msisdn: '7701***5566', count: 2 });
  });

  it("a supervisor's unmasked search is audited with the reason and the conversations it showed in full", async () => {
    const res = await get(`/v1/conversations?msisdn=${MSISDN}&unmask=true&reason=complaint`, 'supervisor');
    expect(res.status).toBe(200);
    expect(conversationListSchema.parse(res.body).conversations[0]?.msisdn).toBe(MSISDN);
    const audit = auditListSchema.parse((await get('/v1/audit?limit=1', 'supervisor')).body);
    expect(audit.entries[0]).toMatchObject({
      action: 'unmask',
      role: 'supervisor',
      msisdn: '7701***5566',
      reason: 'complaint',
      count: 2,
      conversationIds: [mealsId, id],
    });
    // A masked search names none: its summaries showed no number or name in full.
    await get(`/v1/conversations?msisdn=${MSISDN}`);
    expect(
      auditListSchema.parse((await get('/v1/audit?limit=1', 'supervisor')).body).entries[0],
    ).not.toHaveProperty('conversationIds');
  });

  it('invitations started in the same millisecond (one batch) are listed newest first too', async () => {
    const phone = '77014445599';
    // Two children's requests: the second waits for the first's turn and is committed before it.
    const entry = (externalId: string, childFullName: string) => ({
      service: 'school-meals',
      externalId,
      msisdn: phone,
      language: 'ru',
      params: { ...MEALS_PARAMS, childFullName },
    });
    const started = await request(t.app)
      .post('/v1/invitations')
      .set('Authorization', bearer('system'))
      .send({ invitations: [entry('look-same-ms-1', 'Арман'), entry('look-same-ms-2', 'Дана')] });
    const ids = (started.body as { results: Array<{ conversationId: string }> }).results.map(
      (r) => r.conversationId,
    );
    const body = conversationListSchema.parse((await get(`/v1/conversations?msisdn=${phone}`)).body);
    expect(new Set(body.conversations.map((c) => c.createdAt)).size).toBe(1);
    expect(body.conversations.map((c) => c.id)).toEqual([...ids].reverse());
  });

  it('a number with no conversations answers an empty list', async () => {
    expect((await get('/v1/conversations?msisdn=77009998877')).body).toEqual({ conversations: [] });
  });

  it.each([
    ['?msisdn=12345'],
    ['?msisdn=+44 20 7946 0958'],
    [''],
    ['?msisdn=77014445566&msisdn=77014445567'],
  ])('refuses the query %s with 400', async (query) => {
    const res = await get(`/v1/conversations${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('msisdn');
  });
});

describe('GET /v1/audit', () => {
  it('is for supervisors only and validates its paging', async () => {
    expect((await get('/v1/audit', 'agent')).status).toBe(403);
    expect((await get('/v1/audit', 'system')).status).toBe(403);
    expect((await get('/v1/audit?limit=0', 'supervisor')).status).toBe(400);
    expect((await get('/v1/audit?limit=abc', 'supervisor')).status).toBe(400);
  });

  it('answers who saw one conversation, and what one person did, a page at a time', async () => {
    expect((await get(`/v1/conversations/${id}`)).status).toBe(200);
    expect(
      (await get(`/v1/conversations?msisdn=${MSISDN}&unmask=true&reason=complaint`, 'supervisor')).status,
    ).toBe(200);
    expect((await get(`/v1/conversations/${mealsId}`)).status).toBe(200);
    const about = auditListSchema.parse(
      (await get(`/v1/audit?conversationId=${id}&limit=1000`, 'supervisor')).body,
    );
    expect(about.next).toBeNull();
    expect(about.entries.length).toBeGreaterThanOrEqual(2);
    // A view of it, and the unmasked search that showed it, whatever else the log holds.
    for (const e of about.entries)
      expect(e.conversationId === id || e.conversationIds?.includes(id)).toBe(true);
    expect(about.entries.slice(0, 2).map((e) => e.action)).toEqual(['unmask', 'view']);

    const firstPage = auditListSchema.parse(
      (await get(`/v1/audit?conversationId=${id}&limit=1`, 'supervisor')).body,
    );
    expect(firstPage.entries).toEqual([about.entries[0]]);
    const second = auditListSchema.parse(
      (await get(`/v1/audit?conversationId=${id}&limit=1&offset=${firstPage.next ?? -1}`, 'supervisor')).body,
    );
    expect(second.entries).toEqual([about.entries[1]]);

    const supervisor = about.entries[0]?.actor ?? '';
    const theirs = auditListSchema.parse(
      (await get(`/v1/audit?actor=${encodeURIComponent(supervisor)}&limit=1000`, 'supervisor')).body,
    );
    expect(theirs.entries.length).toBeGreaterThan(0);
    for (const e of theirs.entries) expect(e.actor).toBe(supervisor);
  });
});

describe('rate limit on lookups', () => {
  it('answers 429 with Retry-After once a key has spent its burst, and other keys are not affected', async () => {
    const limited = await createTestApp({ lookupLimit: { burst: 3, perSecond: 0.5 } });
    try {
      const look = (role: 'agent' | 'supervisor') =>
        request(limited.app).get('/v1/conversations?msisdn=77010000000').set('Authorization', bearer(role));
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await look('agent')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await look('agent');
      expect(refused.body.error.code).toBe('GW_RATE_LIMITED');
      expect(refused.headers['retry-after']).toBe('2');
      expect((await look('supervisor')).status).toBe(200);
      limited.core.clock.advance(2_000);
      expect((await look('agent')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
