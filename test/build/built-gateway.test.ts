/**
 * The built gateway (`npm start`, the Docker image's CMD) finds everything it reads at run time
 * beside its modules in dist/: templates, services, Lua scripts, the console's static files.
 * `.ci/run` builds before the tests; a developer's `npm test` builds here when dist/ is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/redis-server.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { eventually, KEYS } from '../support/gateway.js';
import { redisUrl } from '../support/redis.js';

let sim: CarrierSimulator;
beforeAll(() => {
  if (!existsSync('dist/gateway/main.js')) {
    const built = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  }
}, 120_000);
afterAll(async () => {
  await sim?.stop();
});

describe('node dist/gateway/main.js', () => {
  it('starts from the build, binds, serves the API, the console and OpenAPI, and stops cleanly on SIGTERM', async () => {
    sim = await CarrierSimulator.start({ port: 0 });
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/gateway/main.js'], {
      env: {
        ...process.env,
        REDIS_URL: redisUrl(),
        HTTP_PORT: String(port),
        SMPP_PORT: String(sim.port),
        SMPP_SYSTEM_ID: 'gw',
        SMPP_PASSWORD: 'secret',
        API_KEYS: `agent:${KEYS.agent}`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200,
      `readyz:\n${out}`,
      20_000,
    );
    expect((await fetch(`${base}/console/`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    const lookup = await fetch(`${base}/v1/conversations?msisdn=77010000000`, {
      headers: { authorization: `Bearer ${KEYS.agent}` },
    });
    expect(lookup.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).not.toMatch(/"level":(50|60)/);
  }, 60_000);
});
