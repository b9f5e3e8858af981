import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignCounter } from '../../gateway/http/campaigns.js';
import { campaignSchema } from '../../gateway/http/schemas.js';
import { parseReply } from '../../parsers/reply.js';
import { homeSchoolingParams } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const invite = (externalId: string, campaign?: string) =>
  request(t.app)
    .post('/v1/invitations')
    .set('Authorization', bearer('system'))
    .send({
      service: 'home-schooling',
      externalId,
      msisdn: '77016660000',
      language: 'kk',
      params: homeSchoolingParams(),
      ...(campaign ? { campaign } : {}),
    });

describe('campaign progress', () => {
  it('counts each new invitation once as queued, and the steps the sender and receipts report', async () => {
    await invite('c-1', 'nov-2026');
    await invite('c-2', 'nov-2026');
    await invite('c-1', 'nov-2026');
    await invite('c-3');
    await campaignCounter(t.core, 'nov-2026', 'sent');
    await campaignCounter(t.core, 'nov-2026', 'delivered');
    await campaignCounter(t.core, null, 'replied');
    const res = await request(t.app).get('/v1/campaigns/nov-2026').set('Authorization', bearer('agent'));
    expect(res.status).toBe(200);
    expect(campaignSchema.parse(res.body)).toEqual({
      id: 'nov-2026',
      progress: {
        queued: 2,
        sent: 1,
        delivered: 1,
        failed: 0,
        replied: 0,
        consented: 0,
        unknown: 0,
        states: { invited: 2 },
        // No SMSC accepted an invitation here (the counters were set by hand).
        carriers: {},
      },
      pace: null,
      paused: false,
      remaining: 1,
      forecastEnd: null,
    });
  });

  it('counts conversations by their state now: a refusal moves one from invited to refused', async () => {
    const started = await request(t.app)
      .post('/v1/invitations')
      .set('Authorization', bearer('system'))
      .send({
        service: 'school-meals',
        externalId: 'states-1',
        msisdn: '77016660001',
        language: 'ru',
        params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
        campaign: 'states',
      });
    const id = started.body.conversationId as string;
    await invite('states-2', 'states');
    const reply = { text: '3#2', receivedAt: t.core.now(), smscMessageId: 'mo-states-1' };
    await t.core.conversations.apply(id, { type: 'reply', parsed: parseReply('3#2'), reply }, 'r');
    const res = await request(t.app).get('/v1/campaigns/states').set('Authorization', bearer('system'));
    expect(campaignSchema.parse(res.body).progress.states).toEqual({ invited: 1, refused: 1 });
  });

  it('shows in /metrics as gateway_campaign_progress, read from Redis when scraped', async () => {
    await campaignCounter(t.core, 'metrics-camp', 'consented');
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('gateway_campaign_progress{campaign="nov-2026",stage="queued"} 2');
    expect(res.text).toContain('gateway_campaign_progress{campaign="metrics-camp",stage="consented"} 1');
  });

  it('an unknown campaign is 404 and a malformed id 400', async () => {
    const get = (id: string) =>
      request(t.app).get(`/v1/campaigns/${id}`).set('Authorization', bearer('supervisor'));
    expect((await get('never-ran')).status).toBe(404);
    expect((await get('bad%20id')).status).toBe(400);
  });
});

describe('console assets', () => {
  it('serves the page with a strict Content-Security-Policy, redirecting /console to /console/', async () => {
    const redirect = await request(t.app).get('/console');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/console/');
    const page = await request(t.app).get('/console/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('console.js');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await request(t.app).get('/console/console.js')).status).toBe(200);
  });

  it('serves the console vocabulary per language, with the service names', async () => {
    const ru = await request(t.app).get('/console/i18n/ru');
    const kk = await request(t.app).get('/console/i18n/kk');
    expect(ru.body.console.state.invited).toBe('Ожидается ответ');
    expect(kk.body.console.state.invited).toBe('Жауап күтілуде');
    expect(ru.body.services['school-meals']).toMatch(/питания/);
    expect((await request(t.app).get('/console/i18n/en')).status).toBe(404);
  });
});
