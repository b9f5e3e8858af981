/**
 * `npm start`'s process (gateway/main.ts) while Redis is down: every line it writes is one JSON log
 * line (BullMQ's and ioredis's connection errors included, no multi-line stacks), and SIGTERM exits
 * within the drain time instead of waiting for Redis with the bind still up.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';

const MAIN = fileURLToPath(new URL('../../gateway/main.ts', import.meta.url));
let redis: RedisServerHandle;
let sim: CarrierSimulator;

beforeAll(async () => {
  redis = await startRedisServer();
  sim = await CarrierSimulator.start({ port: 0, systemId: 'gw', password: 'secret', receiptDelayMs: 0 });
});
afterAll(async () => {
  await sim?.stop();
  await redis?.stop();
});

describe('main.ts with Redis gone', () => {
  it('logs one JSON line per event and exits on SIGTERM within its drain time', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        HTTP_PORT: '0',
        SMPP_PORT: String(sim.port),
        SMPP_SYSTEM_ID: 'gw',
        SMPP_PASSWORD: 'secret',
        API_KEYS: 'system:system-key-0123456789abcdef',
        // The workers' connection errors, folded into the outage's two lines, are written at debug.
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const waiters: Array<[RegExp, () => void]> = [];
    const check = (): void => {
      for (const [i, [pattern, resolve]] of waiters.entries()) {
        if (pattern.test(out)) {
          waiters.splice(i, 1);
          resolve();
        }
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      check();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const logged = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        waiters.push([pattern, resolve]);
        check();
      });
    const exit = once(child, 'exit');

    await logged(/"gateway started"/);
    await sim.waitForBind();
    await redis.stop();
    await logged(/"redis unreachable"/);
    await logged(/"sms-out worker error"/);
    const started = performance.now();
    child.kill('SIGTERM');
    const [code] = (await exit) as [number | null];
    console.log(`exited ${String(code)} ${Math.round(performance.now() - started)} ms after SIGTERM`);

    const lines = out.split('\n').filter((l) => l !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('shutting down');
    expect(err).toBe('');
  }, 30_000);
});
