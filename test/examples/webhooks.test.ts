/**
 * Webhooks: examples/webhook-receiver.mjs receives signed outcomes; a receiver that fails is
 * retried and ends in the dead letters an operator lists and replays through the API, without
 * holding up another system's deliveries. Start-up refuses a bad WEBHOOKS_FILE.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, verifySignature } from '../../examples/webhook-receiver.mjs';
import { parseWebhooks } from '../../gateway/webhooks/config.js';
import { WEBHOOK_ATTEMPTS, webhookBackoffMs, Webhooks } from '../../gateway/webhooks/delivery.js';
import { sign } from '../../gateway/webhooks/signing.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../../gateway/http/app.js';
import { api } from '../../gateway/http/api.js';
import type { OutcomeJob } from '../../queues/outcomes.js';
import { createTestCore, type TestCore } from '../support/core.js';
import { eventually } from '../support/gateway.js';
import { redisClient } from '../support/redis.js';
import { bearer, KEYS } from '../http/harness.js';

const SECRET = 'a-secret-of-at-least-32-bytes-long!!';
const outcome = (conversationId: string, o = 'refused'): OutcomeJob =>
  ({
    v: 1,
    conversationId,
    service: 'school-meals',
    externalId: `ext-${conversationId}`,
    state: o,
    outcome: o,
    at: '2026-11-24T11:00:00+05:00',
  }) as OutcomeJob;

let core: TestCore;
let webhooks: Webhooks;
let good: Server;
let bad: Server;
let badAnswers = 500;
const received: Array<{ id: string; outcome: Record<string, unknown> }> = [];
const workerRedis = redisClient();
const queueRedis = redisClient();

const url = (s: Server): string => `http://127.0.0.1:${(s.address() as { port: number }).port}/hook`;

beforeAll(async () => {
  core = await createTestCore();
  good = await startWebhookReceiver({
    secret: SECRET,
    onEvent: (o, id) => {
      received.push({ id, outcome: o });
    },
  });
  bad = await startWebhookReceiver({
    secret: SECRET,
    onEvent: () => {
      if (badAnswers >= 500) throw new Error('down');
    },
  });
  webhooks = new Webhooks({
    hooks: parseWebhooks([
      { name: 'esobes', url: url(good), secret: SECRET },
      { name: 'broken', url: url(bad), secret: SECRET, outcomes: ['refused'] },
    ]),
    redis: queueRedis,
    workerRedis,
    prefix: core.queuePrefix,
    log: pino({ level: 'silent' }),
    attempts: 1,
  });
  core.outcomes.listen(webhooks.fanOut);
});
afterAll(async () => {
  await webhooks?.close();
  await workerRedis.quit();
  await queueRedis.quit();
  good?.close();
  bad?.close();
  await core?.close();
});

describe('webhooks', () => {
  it("deliver each outcome signed to the system's URL once, while another system's receiver fails", async () => {
    await core.outcomes.emit([outcome('wh1'), outcome('wh1', 'sent')]);
    await core.outcomes.emit([outcome('wh1')]);
    await eventually(
      () => Promise.resolve(received.filter((r) => r.id.startsWith('wh1.')).length === 2 || undefined),
      'two deliveries',
    );
    expect(received.map((r) => r.id).sort()).toEqual(['wh1.refused', 'wh1.sent']);
    expect(received.find((r) => r.id === 'wh1.refused')?.outcome).toMatchObject({ externalId: 'ext-wh1' });
  });

  it('a delivery that failed every attempt is a dead letter an operator lists and replays', async () => {
    const app = buildApp({
      log: pino({ level: 'silent' }),
      metrics: new Registry(),
      probes: [],
      ...api({
        core,
        apiKeys: Object.entries(KEYS).map(([role, key]) => ({ role: role as keyof typeof KEYS, key })),
        metrics: new Registry(),
        webhooks,
      }),
    });
    const list = () =>
      request(app).get('/v1/webhooks/broken/dead-letters').set('Authorization', bearer('supervisor'));
    const dead = await eventually(async () => {
      const res = await list();
      return (res.body.deadLetters as Array<{ id: string }>).find((d) => d.id === 'wh1.refused');
    }, 'the dead letter');
    expect(dead).toMatchObject({ attempts: 1, failedReason: 'broken answered 500' });
    expect(
      (await request(app).get('/v1/webhooks/broken/dead-letters').set('Authorization', bearer('system')))
        .status,
    ).toBe(403);
    expect(
      (
        await list().then(() =>
          request(app).get('/v1/webhooks/nope/dead-letters').set('Authorization', bearer('supervisor')),
        )
      ).status,
    ).toBe(404);

    badAnswers = 204;
    const replay = await request(app)
      .post('/v1/webhooks/broken/dead-letters/wh1.refused/replay')
      .set('Authorization', bearer('supervisor'));
    expect(replay.status).toBe(202);
    await eventually(
      async () => ((await list()).body.deadLetters.length === 0 ? true : undefined),
      'the replay',
    );
    // Off the dead-letter list as soon as it is retried; completed once the endpoint took it.
    const job = await webhooks.queues.get('broken')?.getJob('wh1.refused');
    await eventually(async () => ((await job?.isCompleted()) ? true : undefined), 'the replayed delivery');
  });

  it('retries with backoff for more than 72 hours before giving up', () => {
    let total = 0;
    for (let n = 1; n < WEBHOOK_ATTEMPTS; n++) total += webhookBackoffMs(n);
    expect(total).toBeGreaterThan(72 * 3_600_000);
    expect(webhookBackoffMs(1)).toBe(30_000);
    expect(webhookBackoffMs(40)).toBe(3_600_000);
  });

  it("the receiver's check accepts the gateway's signature and refuses a changed body or an old timestamp", () => {
    const now = 1_800_000_000;
    const body = JSON.stringify(outcome('x'));
    const sig = sign(SECRET, now, body);
    expect(verifySignature(SECRET, String(now), body, sig, now)).toBe(true);
    expect(verifySignature(SECRET, String(now), body.replace('x', 'y'), sig, now)).toBe(false);
    expect(verifySignature(SECRET, String(now), body, sig, now + 301)).toBe(false);
    expect(verifySignature('another-secret-of-32-bytes-or-more!', String(now), body, sig, now)).toBe(false);
  });

  it.each([
    [
      'a URL that is not https',
      { url: 'http://example.org/hook' },
      'WEBHOOKS_FILE 0.url must be an https URL',
    ],
    ['a short secret', { secret: 'short' }, 'WEBHOOKS_FILE 0.secret must be at least 32 bytes'],
    ['an unknown outcome', { outcomes: ['vanished'] }, 'WEBHOOKS_FILE 0.outcomes.0 must be one of'],
    [
      'an unknown service',
      { services: ['school-meals', 'home-school'] },
      'WEBHOOKS_FILE 0.services.1 must be one of home-schooling, school-meals, social-portal',
    ],
  ])('stop start-up on %s with one line naming it', (_label, change, message) => {
    const hook = { name: 'x', url: 'https://example.org/hook', secret: SECRET, ...change };
    expect(() => parseWebhooks([hook])).toThrow(message);
  });

  it('accept plain http to a loopback receiver', () => {
    expect(parseWebhooks([{ name: 'x', url: 'http://localhost:9/h', secret: SECRET }])).toHaveLength(1);
  });
});
