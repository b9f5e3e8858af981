/**
 * The call centre's work beyond lookups: search by the inviting system's reference, worklists
 * read from their day's index, a supervisor's resend of an undelivered SMS and notes.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditListSchema,
  conversationListSchema,
  conversationSchema,
  keyCreatedSchema,
  worklistSchema,
} from '../../gateway/http/schemas.js';
import { MAX_NOTES } from '../../gateway/http/agent.js';
import { parseReply } from '../../parsers/reply.js';
import { homeSchoolingParams, markSent } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
const MEALS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };
beforeAll(async () => {
  t = await createTestApp({ lookupLimit: { burst: 10_000, perSecond: 100 } });
});
afterAll(async () => {
  await t.close();
});

const get = (path: string, auth = bearer('agent')) => request(t.app).get(path).set('Authorization', auth);
const post = (path: string, body: object, auth = bearer('supervisor')) =>
  request(t.app).post(path).set('Authorization', auth).send(body);

async function invite(service: string, externalId: string, msisdn: string) {
  const params = service === 'school-meals' ? MEALS : homeSchoolingParams();
  const { conversation } = await t.core.conversations.invite({
    service,
    externalId,
    msisdn,
    language: 'ru',
    params,
  });
  // The SMSC accepts the invitation: its deadline counts from now (003 item 10, 002 item 10).
  await markSent(t.core, conversation.id);
  return conversation.id;
}

/** The carrier reports the invitation (smsId 0.0) undelivered, as a receipt would. */
async function undeliver(id: string) {
  await t.core.store.append(id, {
    at: t.core.clock.now(),
    kind: 'sms-status',
    smsId: '0.0',
    status: 'failed',
  });
  const conv = await t.core.conversations.get(id);
  if (conv) await t.core.worklists.undelivered(conv, t.core.clock.now());
  await t.core.conversations.apply(id, {
    type: 'delivery-failed',
    templateId: conv?.consentTemplate?.id ?? '',
    status: 'UNDELIV',
  });
}

describe('search by reference and by id', () => {
  it("finds a conversation by the inviting system's (service, externalId), and nothing for another service", async () => {
    const id = await invite('home-schooling', 'ref-77', '77016660001');
    const found = conversationListSchema.parse(
      (await get('/v1/conversations?service=home-schooling&externalId=ref-77')).body,
    );
    expect(found.conversations.map((c) => c.id)).toEqual([id]);
    const none = await get('/v1/conversations?service=school-meals&externalId=ref-77');
    expect(none.body.conversations).toEqual([]);
    const half = await get('/v1/conversations?service=home-schooling');
    expect(half.status).toBe(400);
    expect(JSON.stringify(half.body.error.details)).toContain('externalId');
    const both = await get('/v1/conversations?msisdn=77016660001&service=home-schooling&externalId=ref-77');
    expect(both.status).toBe(400);
  });

  it('a key limited to one service sees only that service, in a search, a view and a worklist', async () => {
    const meals = await invite('school-meals', 'scope-1', '77016660002');
    const home = await invite('home-schooling', 'scope-2', '77016660002');
    const created = await post('/v1/keys', {
      person: 'meals.agent',
      role: 'agent',
      services: ['school-meals'],
    });
    const key = `Bearer ${keyCreatedSchema.parse(created.body).key}`;
    const list = conversationListSchema.parse((await get('/v1/conversations?msisdn=77016660002', key)).body);
    expect(list.conversations.map((c) => c.id)).toEqual([meals]);
    expect((await get(`/v1/conversations/${home}`, key)).status).toBe(404);
    expect((await get(`/v1/conversations/${meals}`, key)).status).toBe(200);
    const today = worklistSchema.parse((await get('/v1/worklists/deadlines-tomorrow?limit=200', key)).body);
    expect(today.conversations.every((c) => c.service === 'school-meals')).toBe(true);
  });
});

describe('worklists', () => {
  it("lists today's undelivered SMS and replies not understood, and the deadlines ending on a day", async () => {
    const lost = await invite('home-schooling', 'wl-1', '77016660011');
    const confused = await invite('home-schooling', 'wl-2', '77016660012');
    const meals = await invite('school-meals', 'wl-3', '77016660013');
    await undeliver(lost);
    const reply = { text: 'да', receivedAt: t.core.clock.now(), smscMessageId: 'mo-wl-2' };
    await t.core.conversations.apply(
      confused,
      { type: 'reply', parsed: parseReply('да'), reply },
      'reply:mo-wl-2',
    );

    const undelivered = worklistSchema.parse((await get('/v1/worklists/undelivered')).body);
    expect(undelivered.day).toBe('2026-11-24');
    expect(undelivered.conversations.map((c) => c.id)).toContain(lost);
    expect(undelivered.conversations.map((c) => c.id)).not.toContain(confused);
    const notUnderstood = worklistSchema.parse((await get('/v1/worklists/not-understood')).body);
    expect(notUnderstood.conversations.map((c) => c.id)).toEqual([confused]);
    // school-meals: 3 calendar days from Tuesday 24 November → the last day is Friday 27 (002, item 10);
    // home-schooling: 3 working days → also 27 November; nothing ends today or tomorrow.
    expect(worklistSchema.parse((await get('/v1/worklists/deadlines-today')).body).conversations).toEqual([]);
    t.core.clock.advance(2 * 86_400_000);
    const tomorrow = worklistSchema.parse((await get('/v1/worklists/deadlines-tomorrow?limit=200')).body);
    expect(tomorrow.day).toBe('2026-11-27');
    expect(tomorrow.conversations.map((c) => c.id)).toEqual(expect.arrayContaining([confused, meals]));
    expect(tomorrow.conversations.map((c) => c.id)).not.toContain(lost);
    t.core.clock.advance(-2 * 86_400_000);
  });

  it('pages through a list with its cursor, each conversation once', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await invite('school-meals', `page-${i}`, `7701666010${i}`));
    t.core.clock.advance(2 * 86_400_000);
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 20; pages++) {
      const page = worklistSchema.parse(
        (await get(`/v1/worklists/deadlines-tomorrow?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body,
      );
      expect(page.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...page.conversations.map((c) => c.id));
      cursor = page.next;
    }
    t.core.clock.advance(-2 * 86_400_000);
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
  });

  it("lists a day's deadlines across services a page at a time, and only a key's own services", async () => {
    const meals: string[] = [];
    const home: string[] = [];
    for (let i = 0; i < 4; i++) {
      meals.push(await invite('school-meals', `across-m${i}`, `7701666020${i}`));
      home.push(await invite('home-schooling', `across-h${i}`, `7701666021${i}`));
    }
    const created = await post('/v1/keys', {
      person: 'meals.only',
      role: 'agent',
      services: ['school-meals'],
    });
    const mealsKey = `Bearer ${keyCreatedSchema.parse(created.body).key}`;
    const readAll = async (auth: string) => {
      const seen: string[] = [];
      let cursor: string | null = '';
      for (let pages = 0; cursor !== null && pages < 50; pages++) {
        const page = worklistSchema.parse(
          (await get(`/v1/worklists/deadlines-tomorrow?limit=3${cursor ? `&cursor=${cursor}` : ''}`, auth))
            .body,
        );
        expect(page.day).toBe('2026-11-27');
        expect(page.conversations.length).toBeLessThanOrEqual(3);
        seen.push(...page.conversations.map((c) => c.id));
        cursor = page.next;
      }
      expect(cursor).toBeNull();
      return seen;
    };
    t.core.clock.advance(2 * 86_400_000);
    const all = await readAll(bearer('agent'));
    const mine = await readAll(mealsKey);
    const malformed = worklistSchema.parse(
      (await get('/v1/worklists/deadlines-tomorrow?limit=200&cursor=not.a.cursor')).body,
    );
    t.core.clock.advance(-2 * 86_400_000);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining([...meals, ...home]));
    expect(new Set(mine).size).toBe(mine.length);
    expect(mine).toEqual(expect.arrayContaining(meals));
    expect(mine.some((id) => home.includes(id))).toBe(false);
    expect(malformed.conversations.map((c) => c.id)).toEqual(expect.arrayContaining([...meals, ...home]));
  });

  it('an unknown list is 404, a bad limit 400, and reading a list is audited', async () => {
    expect((await get('/v1/worklists/everything')).status).toBe(404);
    expect((await get('/v1/worklists/undelivered?limit=1000')).status).toBe(400);
    expect((await get('/v1/worklists/undelivered')).status).toBe(200);
    const audit = auditListSchema.parse((await get('/v1/audit?limit=5', bearer('supervisor'))).body);
    expect(audit.entries.some((e) => e.action === 'worklist' && e.list === 'undelivered')).toBe(true);
  });
});

describe("a supervisor's actions", () => {
  it('resends an undelivered invitation with the same text and template version, reopens it, and audits the reason', async () => {
    const id = await invite('home-schooling', 'resend-1', '77016660021');
    await undeliver(id);
    expect((await t.core.conversations.get(id))?.state).toBe('undeliverable');

    expect((await post(`/v1/conversations/${id}/resend`, { smsId: '0.0', reason: 'ok' })).status).toBe(400);
    expect(
      (
        await post(
          `/v1/conversations/${id}/resend`,
          { smsId: '0.0', reason: 'number checked' },
          bearer('agent'),
        )
      ).status,
    ).toBe(403);
    const res = await post(`/v1/conversations/${id}/resend`, {
      smsId: '0.0',
      reason: 'number checked with the citizen',
    });
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('invited');

    const body = conversationSchema.parse((await get(`/v1/conversations/${id}`, bearer('supervisor'))).body);
    const sms = body.timeline.filter((e) => e.kind === 'sms');
    expect(sms).toHaveLength(2);
    expect(sms[1]).toMatchObject({
      resendOf: '0.0',
      templateId: sms[0]?.templateId,
      sha256: sms[0]?.sha256,
      text: sms[0]?.text,
    });
    expect(body.deadline).not.toBeNull();
    expect(body.script.replies.length).toBeGreaterThan(0);
    const audit = auditListSchema.parse((await get('/v1/audit?limit=3', bearer('supervisor'))).body);
    expect(audit.entries.find((e) => e.action === 'resend')).toMatchObject({
      conversationId: id,
      smsId: '0.0',
      reason: 'number checked with the citizen',
    });
    // Delivered or not yet reported: nothing to resend.
    expect(
      (await post(`/v1/conversations/${id}/resend`, { smsId: String(res.body.smsId), reason: 'once more' }))
        .status,
    ).toBe(409);
  });

  it('annotates a conversation: the note is in the timeline with its author, in words in both languages', async () => {
    const id = await invite('school-meals', 'note-1', '77016660031');
    expect(
      (await post(`/v1/conversations/${id}/notes`, { text: 'Перезвонили' }, bearer('agent'))).status,
    ).toBe(403);
    expect((await post(`/v1/conversations/${id}/notes`, { text: '' })).status).toBe(400);
    expect(
      (await post(`/v1/conversations/${id}/notes`, { text: 'Перезвонили, ответит сегодня' })).status,
    ).toBe(201);
    const body = conversationSchema.parse((await get(`/v1/conversations/${id}`)).body);
    const note = body.timeline.find((e) => e.kind === 'note');
    expect(note).toMatchObject({
      text: 'Перезвонили, ответит сегодня',
      says: { ru: 'заметка супервайзера' },
    });
    expect(String(note?.by)).toMatch(/^API_KEYS:/);
  });

  it('keeps at most MAX_NOTES notes per conversation, then answers 409', async () => {
    const id = await invite('school-meals', 'note-2', '77016660032');
    for (let i = 0; i < MAX_NOTES; i++) {
      expect((await post(`/v1/conversations/${id}/notes`, { text: `note ${i}` })).status).toBe(201);
    }
    const refused = await post(`/v1/conversations/${id}/notes`, { text: 'one too many' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('GW_CONFLICT');
  });

  it("the version changes when the conversation's timeline does, and tells nothing else", async () => {
    const id = await invite('school-meals', 'version-1', '77016660041');
    const first = await get(`/v1/conversations/${id}/version`);
    expect(first.status).toBe(200);
    expect(Object.keys(first.body as object).sort()).toEqual(['id', 'version']);
    await t.core.store.append(id, {
      at: t.core.clock.now(),
      kind: 'sms-status',
      smsId: '0.0',
      status: 'delivered',
    });
    const second = await get(`/v1/conversations/${id}/version`);
    expect(second.body.version).not.toBe(first.body.version);
    expect((await get('/v1/conversations/nope0000/version')).status).toBe(404);
  });
});
