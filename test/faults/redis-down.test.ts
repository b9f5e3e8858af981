/**
 * Redis stopped: a deliver_sm gets ESME_RX_T_APPN (0x64, SMPP 3.4 §5.1.3) so the SMSC retries
 * later, instead of an acknowledgement for a reply that was never stored (CONTRACT.md, "SMPP
 * behaviour"). Once Redis is back (same port, same append-only file), the retransmitted reply
 * is acknowledged and consents. A redis-server of its own: stopping the run's would break the
 * other test files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { STATUS } from '../../gateway/smpp/status.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { assignment, invite, stateReached } from '../support/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'gw1414-redis-down-'));
const redisArgs = ['--appendonly', 'yes', '--appendfsync', 'always'];
let redis: RedisServerHandle;
let t: TestGateway;

beforeAll(async () => {
  redis = await startRedisServer({ dir, args: redisArgs });
  t = await startTestGateway({ env: { REDIS_URL: redis.url } });
});
afterAll(async () => {
  await t?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis down while a reply arrives', () => {
  it('answers 0x64 while Redis is stopped, then 0 once it is back, and the consent is processed', async () => {
    const phone = '77090000001';
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);

    await redis.stop();
    const refused = await t.sim.injectReply({ from: phone, text: '123#3#1' });
    expect(refused.statuses).toEqual([STATUS.temporaryAppError]);

    redis = await startRedisServer({ dir, port: redis.port, args: redisArgs });
    // As the SMSC does: retransmit until acknowledged. The gateway's connection needs a moment
    // to reconnect; until then it keeps answering 0x64, never 0 for a reply it did not store.
    const accepted = await eventually(
      async () => {
        const result = await t.sim.injectReply({ from: phone, text: '123#3#1' });
        expect(result.statuses.every((s) => s === STATUS.ok || s === STATUS.temporaryAppError)).toBe(true);
        return result.statuses[0] === STATUS.ok ? result : undefined;
      },
      'the reply to be acknowledged after Redis restarted',
      15_000,
    );
    expect(accepted.statuses).toEqual([STATUS.ok]);

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
