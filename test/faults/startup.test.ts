/**
 * Start-up never waits on its dependencies: with Redis and the carrier both down, HTTP listens at
 * once, /healthz answers, /readyz names what is missing, and the API answers 503; the gateway comes
 * up by itself when they do, and the log says so in two lines instead of one per reconnect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, type GatewayHandle } from '../../gateway/gateway.js';
import { KEYS, eventually } from '../support/gateway.js';
import { captureLog } from '../support/log-lines.js';
import { testPrefix } from '../support/redis.js';

let redis: RedisServerHandle | undefined;
let sim: CarrierSimulator | undefined;
let gateway: GatewayHandle | undefined;
afterEach(async () => {
  await gateway?.stop();
  await sim?.stop();
  await redis?.stop();
  gateway = sim = redis = undefined;
});

async function readyz(url: string): Promise<{ status: number; body: { missing: string[] } }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { missing: string[] } };
}

describe('start-up with Redis and every bind down', () => {
  it('answers health at once, says what is missing, and comes up by itself when they do', async () => {
    const [redisPort, smppPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      HTTP_PORT: '0',
      SMPP_PORT: String(smppPort),
      SMPP_SYSTEM_ID: 'gw',
      SMPP_PASSWORD: 'secret',
      API_KEYS: `system:${KEYS.system}`,
    });
    const out = captureLog('info');
    let listening: (url: string) => void = () => undefined;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const prefix = testPrefix('startup');
    const started = startGateway(config, {
      log: out.log,
      onListening: listening,
      keyPrefix: `gw-${prefix}`,
      queuePrefix: `{bull-${prefix}}`,
      sweepIntervalMs: 0,
      smpp: { overrides: { reconnect: { initialMs: 50, maxMs: 200 } } },
    });
    const base = await url;

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(await readyz(base)).toEqual({
      status: 503,
      body: expect.objectContaining({ missing: ['redis', 'smpp'] }),
    });
    const refused = await fetch(`${base}/v1/invitations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.system}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('GW_REDIS_UNAVAILABLE');
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    // Several reconnect attempts have failed by now (50 ms apart at first).
    await out.waitFor((l) => l.msg === 'redis unreachable', 'redis unreachable');

    redis = await startRedisServer({ port: redisPort });
    gateway = await started;
    expect(gateway.httpUrl).toBe(base);
    expect((await readyz(base)).body.missing).toEqual(['smpp']);

    await out.waitFor((l) => l.msg === 'bind connecting -> disconnected', 'a failed bind attempt');
    sim = await CarrierSimulator.start({ port: smppPort, systemId: 'gw', password: 'secret' });
    await eventually(async () => (await readyz(base)).status === 200, 'ready');

    const back = await out.waitFor((l) => l.msg === 'redis reachable again', 'redis reachable again');
    expect(back.errors).toBeGreaterThan(1);
    const lines = out.lines();
    expect(lines.filter((l) => l.msg === 'redis unreachable')).toHaveLength(1);
    const bound = lines.find((l) => l.msg === 'bind binding -> bound');
    expect(bound?.reason).toMatch(/after \d+ failed attempts/);
    // One line for the first failed attempt; the retries until the bind came up only at debug.
    expect(lines.filter((l) => l.msg === 'bind connecting -> disconnected')).toHaveLength(1);
  });
});
