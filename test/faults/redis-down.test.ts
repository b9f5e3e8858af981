/**
 * Redis stopped: a deliver_sm gets ESME_RX_T_APPN (0x64, SMPP 3.4 §5.1.3) so the SMSC retries
 * later, instead of an acknowledgement for a reply that was never stored (CONTRACT.md, "SMPP
 * behaviour"). Once Redis is back (same port, same append-only file), the retransmitted reply
 * is acknowledged and consents. A redis-server of its own, with the persistence the documents
 * prescribe (compose.yaml, docs/scaling.md: AOF, fsync every second): stopping the run's would
 * break the other test files.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { STATUS } from '../../gateway/smpp/status.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { KEYS, eventually, scraped, startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLog, type LogLine } from '../support/log-lines.js';
import { assignment, invite, stateReached } from '../support/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'gw1414-redis-down-'));
const redisArgs = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'];
let redis: RedisServerHandle;
let t: TestGateway;
/** The gateway's log, at debug: what an outage writes between its two lines. */
const captured = captureLog('debug');

beforeAll(async () => {
  redis = await startRedisServer({ dir, args: redisArgs });
  // A system's webhook, for its queue's and worker's connections: only decisions' outcomes, which
  // these tests make none of.
  const webhooks = join(dir, 'webhooks.json');
  writeFileSync(
    webhooks,
    JSON.stringify([
      {
        name: 'esobes',
        url: 'http://127.0.0.1:9/hook',
        secret: 'a-secret-of-at-least-32-bytes-long!!',
        outcomes: ['assigned'],
      },
    ]),
  );
  t = await startTestGateway({ env: { REDIS_URL: redis.url, WEBHOOKS_FILE: webhooks }, log: captured.log });
});
afterAll(async () => {
  await t?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * As the SMSC does: the reply retransmitted until acknowledged. The gateway's connection needs a
 * moment to reconnect; until then it keeps answering 0x64, never 0 for a reply it did not store.
 */
function retransmittedUntilAcked(phone: string) {
  return eventually(
    async () => {
      const result = await t.sim.injectReply({ from: phone, text: '123#3#1' });
      expect(result.statuses.every((s) => s === STATUS.ok || s === STATUS.temporaryAppError)).toBe(true);
      return result.statuses[0] === STATUS.ok ? result : undefined;
    },
    'the reply to be acknowledged after Redis restarted',
    15_000,
  );
}

describe('Redis down while a reply arrives', () => {
  it('answers 0x64 while Redis is stopped, then 0 once it is back, and the consent is processed', async () => {
    const phone = '77090000001';
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);

    await redis.stop();
    const refused = await t.sim.injectReply({ from: phone, text: '123#3#1' });
    expect(refused.statuses).toEqual([STATUS.temporaryAppError]);

    redis = await startRedisServer({ dir, port: redis.port, args: redisArgs });
    expect((await retransmittedUntilAcked(phone)).statuses).toEqual([STATUS.ok]);

    const job = await assignment(t, conv.id);
    expect(job.data.reply.text).toBe('123#3#1');
    await stateReached(t, conv.id, 'consented');
  });
});

/** One HTTP call with a bound, so a hang fails the test instead of stalling it; prints how long it took. */
async function timed(label: string, url: string, init: RequestInit = {}) {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  const body = await res.text();
  console.log(`${label}: ${res.status} in ${Math.round(performance.now() - started)} ms`);
  return { res, body };
}

describe('Redis down while the API is called', () => {
  it('answers 503 with Retry-After and the catalogue code, /metrics from memory, /readyz naming redis', async () => {
    const url = t.gateway.httpUrl;
    const auth = (role: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[role]}` });
    const before = await timed('/metrics before', `${url}/metrics`);
    expect(before.body).toMatch(/^gateway_sms_held \d+$/m);
    await redis.stop();
    try {
      const invitation = await timed('POST /v1/invitations', `${url}/v1/invitations`, {
        method: 'POST',
        headers: { ...auth('system'), 'content-type': 'application/json' },
        body: JSON.stringify({
          service: 'social-portal',
          externalId: 'while-down',
          msisdn: '77090000002',
          language: 'ru',
          params: { fullName: 'Айгүл Сейітқызы', dataReceivedOn: '2026-11-20' },
        }),
      });
      expect(invitation.res.status).toBe(503);
      expect(invitation.res.headers.get('retry-after')).toBe('5');
      expect(JSON.parse(invitation.body)).toMatchObject({ error: { code: 'GW_REDIS_UNAVAILABLE' } });

      for (const path of ['/v1/conversations?msisdn=77090000002', '/v1/audit', '/v1/campaigns/x']) {
        const lookup = await timed(path, `${url}${path}`, { headers: auth('supervisor') });
        expect(lookup.res.status).toBe(503);
        expect(lookup.res.headers.get('retry-after')).toBe('5');
      }
      const metrics = await timed('/metrics', `${url}/metrics`);
      expect(metrics.res.status).toBe(200);
      expect(metrics.body).toMatch(/process_cpu_seconds_total/);
      // The gauges read from Redis keep their last figures.
      expect(metrics.body).toMatch(/^gateway_sms_held \d+$/m);
      expect(metrics.body).toMatch(/^gateway_conversations_waiting \d+$/m);
      const ready = await timed('/readyz', `${url}/readyz`);
      expect(ready.res.status).toBe(503);
      expect(JSON.parse(ready.body)).toMatchObject({ checks: { redis: false } });
    } finally {
      redis = await startRedisServer({ dir, port: redis.port, args: redisArgs });
    }
    // And it recovers on its own once Redis is back.
    await eventually(
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      'the gateway to be ready again',
      15_000,
    );
    const after = await timed('lookup after', `${url}/v1/conversations?msisdn=77090000002`, {
      headers: auth('supervisor'),
    });
    expect(after.res.status).toBe(200);
  });
});

describe('Redis killed (SIGKILL) and started again on its files', () => {
  it('refuses replies with 0x64 while it is away, and /readyz and /metrics say so until it is back', async () => {
    const phone = '77090000003';
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);
    const refusedReply = { kind: 'reply', status: 'ESME_RX_T_APPN' };
    const refusedBefore = (await scraped(t, 'smpp_deliver_sm_total', refusedReply)) ?? 0;
    const temporaryBefore =
      (await scraped(t, 'gateway_inbound_temporary_errors_total', { kind: 'reply' })) ?? 0;
    // Every connection of the gateway back from the test before (readiness needs only one).
    await eventually(
      async () => ((await scraped(t, 'gateway_redis_up')) === 1 ? true : undefined),
      'gateway_redis_up 1',
    );

    const killedAt = Date.now();
    const since = (line: LogLine) => Date.parse(String(line.time)) >= killedAt;
    redis.process.kill('SIGKILL');
    if (redis.process.exitCode === null && redis.process.signalCode === null)
      await once(redis.process, 'exit');
    const refused = await t.sim.injectReply({ from: phone, text: '123#3#1' });
    expect(refused.statuses).toEqual([STATUS.temporaryAppError]);
    // What the alerts GatewayNotReady and RepliesRefusedTemporarily read (ops/prometheus/rules.yml).
    await eventually(
      async () => ((await scraped(t, 'gateway_redis_up')) === 0 ? true : undefined),
      'gateway_redis_up 0',
    );
    expect(await scraped(t, 'smpp_deliver_sm_total', refusedReply)).toBe(refusedBefore + 1);
    expect(await scraped(t, 'gateway_inbound_temporary_errors_total', { kind: 'reply' })).toBe(
      temporaryBefore + 1,
    );
    // The workers' connections fail too, again at each reconnect attempt: counted in the outage's
    // two lines, at debug, not an error line each (docs/operations.md, "Logs").
    for (const worker of ['sms-out worker', 'inbound worker', 'webhook esobes worker'])
      await captured.waitFor((l) => since(l) && l.msg === `${worker} error` && l.level === 'debug', worker);
    const down = await fetch(`${t.gateway.httpUrl}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ checks: { redis: false, smpp: true }, missing: ['redis'] });

    redis = await startRedisServer({ dir, port: redis.port, args: redisArgs });
    expect((await retransmittedUntilAcked(phone)).statuses).toEqual([STATUS.ok]);
    // The conversation written before the kill came back from the append-only file and consents once.
    await stateReached(t, conv.id, 'consented');
    expect((await assignment(t, conv.id)).data.reply.text).toBe('123#3#1');
    await eventually(
      async () => ((await fetch(`${t.gateway.httpUrl}/readyz`)).status === 200 ? true : undefined),
      'the gateway to be ready again',
      15_000,
    );
    await eventually(
      async () => ((await scraped(t, 'gateway_redis_up')) === 1 ? true : undefined),
      'gateway_redis_up 1 again',
    );
    await captured.waitFor((l) => since(l) && l.msg === 'redis reachable again', 'redis reachable again');
    const loud = captured.lines().filter((l) => since(l) && (l.level === 'warn' || l.level === 'error'));
    expect(loud.map((l) => l.msg)).not.toContain('sms-out worker error');
    expect(loud.map((l) => l.msg)).not.toContain('inbound worker error');
    expect(loud.map((l) => l.msg)).not.toContain('webhook worker error');
    expect(loud.map((l) => l.msg)).not.toContain('webhook queue error');
    expect(loud.filter((l) => l.msg === 'redis unreachable').length).toBeGreaterThanOrEqual(1);
  });
});
