/**
 * The log tells the story of a conversation without personal data: one line per business event
 * (invitation accepted, SMS submitted, its receipt, reply decided, consent enqueued, deadline
 * fired) naming the conversation, service and campaign, the HTTP request's id on the lines that
 * request caused, an access line per request (refusals too), and levels by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { deadlineRuns } from '../support/scenario.js';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLog, type CapturedLog, type LogLine } from '../support/log-lines.js';

let t: TestGateway;
let out: CapturedLog;
beforeAll(async () => {
  out = captureLog('info');
  t = await startTestGateway({ log: out.log });
});
afterAll(async () => {
  await t?.stop();
});

const TO = '77015550711';
const FULL_NAME = 'Айгүл Сейітқызы';

async function post(path: string, body: unknown, key: string, requestId?: string): Promise<Response> {
  return fetch(`${t.gateway.httpUrl}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/json',
      ...(requestId ? { 'X-Request-Id': requestId } : {}),
    },
    body: JSON.stringify(body),
  });
}

const invitation = (externalId: string, msisdn: string) => ({
  service: 'home-schooling',
  externalId,
  msisdn,
  language: 'ru' as const,
  params: { ...homeSchoolingParams([KASPI]), fullName: FULL_NAME },
  campaign: 'story-2026',
});

const event = (name: string, conversationId: string) => (l: LogLine) =>
  l.event === name && l.conversationId === conversationId;

describe('the story of one conversation in the log', () => {
  it('invitation, submit, receipt, reply and consent each have a line with the conversation, service and campaign', async () => {
    const res = await post('/v1/invitations', invitation('story-1', TO), KEYS.system, 'req-story-1');
    expect(res.status).toBe(202);
    const { conversationId } = (await res.json()) as { conversationId: string };

    const accepted = await out.waitFor(event('invitation.accepted', conversationId), 'invitation.accepted');
    expect(accepted).toMatchObject({
      level: 'info',
      msg: 'invitation accepted',
      requestId: 'req-story-1',
      service: 'home-schooling',
      campaign: 'story-2026',
      state: 'invited',
    });
    const submitted = await out.waitFor(event('sms.submitted', conversationId), 'sms.submitted');
    expect(submitted).toMatchObject({ level: 'info', campaign: 'story-2026', smsId: '0.0' });
    expect(submitted.parts).toBeGreaterThan(1);
    const receipt = await out.waitFor(event('sms.receipt', conversationId), 'sms.receipt');
    expect(receipt).toMatchObject({ status: 'delivered', stat: 'DELIVRD', smsId: '0.0' });

    await t.sim.nextMessage((m) => m.destination === TO);
    await t.sim.injectReply({ from: TO, text: '123#3#1' });
    const decided = await out.waitFor(event('reply.decided', conversationId), 'reply.decided');
    expect(decided).toMatchObject({
      msg: 'reply decided',
      service: 'home-schooling',
      campaign: 'story-2026',
      from: 'invited',
      state: 'consented',
    });
    const consent = await out.waitFor(event('consent.enqueued', conversationId), 'consent.enqueued');
    const published = await out.waitFor(
      (l) =>
        l.event === 'outcome.published' && l.conversationId === conversationId && l.outcome === 'consented',
      'outcome.published',
    );
    expect(published).toMatchObject({ service: 'home-schooling', msg: 'outcome published' });
    expect(consent).toMatchObject({
      queue: 'assignments',
      service: 'home-schooling',
      campaign: 'story-2026',
    });

    // Personal data stays out: neither the number, the name nor the reply's text.
    const raw = out.raw();
    expect(raw).not.toContain(TO);
    expect(raw).not.toContain('Айгүл');
    expect(raw).not.toContain('123#3#1');
  });

  it('a deadline that fires has its line', async () => {
    const to = '77015550712';
    const { conversation } = await t.gateway.core.conversations.invite(invitation('story-2', to));
    t.clock.set((await deadlineRuns(t, conversation.id)).deadline + 1);
    await t.gateway.sweeper.tick();
    const fired = await out.waitFor(event('deadline.fired', conversation.id), 'deadline.fired');
    expect(fired).toMatchObject({
      msg: 'deadline fired',
      from: 'invited',
      state: 'expired',
      campaign: 'story-2026',
    });
  });
});

describe('the access log', () => {
  it('has one line per request with route, status and duration, refusals included, and never the query', async () => {
    const base = t.gateway.httpUrl;
    expect((await fetch(`${base}/v1/conversations?msisdn=77015550799`)).status).toBe(401);
    expect((await post('/v1/invitations', invitation('story-3', TO), KEYS.agent, 'req-403')).status).toBe(
      403,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const res = await fetch(`${base}/v1/conversations/nope${i}`, {
        headers: { Authorization: `Bearer ${KEYS.agent}`, 'X-Request-Id': `req-lookup-${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.at(-1)).toBe(429);

    const http = () => out.lines().filter((l) => l.event === 'http');
    const unauthenticated = http().find((l) => l.status === 401);
    expect(unauthenticated).toMatchObject({ level: 'info', method: 'GET', route: '/v1/conversations' });
    expect(typeof unauthenticated?.ms).toBe('number');
    expect(http().find((l) => l.requestId === 'req-403')).toMatchObject({
      status: 403,
      route: '/v1/invitations',
      method: 'POST',
    });
    expect(http().find((l) => l.requestId === 'req-lookup-60')).toMatchObject({
      status: 429,
      route: '/v1/conversations/{id}',
    });
    expect(out.raw()).not.toContain('77015550799');
  });

  it('counts requests by route and status in /metrics', async () => {
    const metrics = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /gateway_http_requests_total\{method="GET",route="\/v1\/conversations\/\{id\}",status="429"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /gateway_http_request_duration_seconds_count\{method="POST",route="\/v1\/invitations"\} [1-9]/,
    );
  });
});
