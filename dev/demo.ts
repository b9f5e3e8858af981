/**
 * `npm run demo`: everything on one machine with no configuration — a Redis
 * (the system redis-server on a free port with a temp dir, unless REDIS_URL is
 * set), the carrier simulator with its phone page, and the gateway — then it
 * plays the home-schooling dialogue end to end and prints each SMS and state.
 * Ctrl-C stops everything it started (no orphan redis-server).
 *
 *   npm run demo             # play the dialogue, keep running for the console and the phone page
 *   npm run demo -- --once   # play the dialogue and stop (used by the test suite)
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '../gateway/log.js';
import { assignmentJob } from '../queues/jobs.js';
import { loadConfig } from '../gateway/config.js';
import { startRedisServer, freePort, type RedisServerHandle } from './redis-server.js';
import { startGateway, type GatewayHandle } from '../gateway/gateway.js';
import { CarrierSimulator, startControlServer, type ControlServer } from './simulator/index.js';

const once = process.argv.includes('--once');
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const CITIZEN = '77011234567';
const KASPI = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' };
const HALYK = { code: 'HSBK', nameKk: 'Halyk Bank', nameRu: 'Halyk Bank' };

interface Running {
  redis?: RedisServerHandle;
  sim?: CarrierSimulator;
  control?: ControlServer;
  gateway?: GatewayHandle;
}
const running: Running = {};

async function stopAll(): Promise<void> {
  await running.gateway?.stop().catch(() => undefined);
  await running.control?.close().catch(() => undefined);
  await running.sim?.stop({ graceful: true }).catch(() => undefined);
  await running.redis?.stop();
}

async function httpPort(): Promise<string> {
  if (process.env.HTTP_PORT) return process.env.HTTP_PORT;
  const wanted = 8080;
  const probe = await freePort();
  // Prefer the documented 8080; take any free port when it is busy.
  return (await isFree(wanted)) ? String(wanted) : String(probe);
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  say('1414 gateway demo: Redis + carrier simulator + gateway on this machine');
  if (!process.env.REDIS_URL) {
    running.redis = await startRedisServer({ args: ['--appendonly', 'yes'] });
  }
  const redisUrl = process.env.REDIS_URL ?? running.redis?.url ?? '';
  running.sim = await CarrierSimulator.start({
    port: 0,
    systemId: 'gw',
    password: 'secret',
    receiptDelayMs: 300,
  });
  running.control = await startControlServer(running.sim, {
    port: Number(process.env.SIM_CONTROL_PORT ?? 0),
  });
  const keys = {
    system: `demo-system-${randomBytes(6).toString('hex')}`,
    agent: `demo-agent-${randomBytes(6).toString('hex')}`,
    supervisor: `demo-supervisor-${randomBytes(6).toString('hex')}`,
  };
  const config = loadConfig({
    // The demo shows the dialogue at any hour; SEND_WINDOW=09:00-21:00 shows the window instead.
    SEND_WINDOW: 'always',
    ...process.env,
    REDIS_URL: redisUrl,
    HTTP_PORT: await httpPort(),
    SMPP_HOST: '127.0.0.1',
    SMPP_PORT: String(running.sim.port),
    SMPP_SYSTEM_ID: 'gw',
    SMPP_PASSWORD: 'secret',
    API_KEYS: `system:${keys.system},agent:${keys.agent},supervisor:${keys.supervisor}`,
  });
  running.gateway = await startGateway(config, {
    log: createLogger({ level: process.env.LOG_LEVEL ?? 'warn' }),
  });
  await running.sim.waitForBind(1, 10_000);

  say(
    `  redis      ${redisUrl}${running.redis ? ` (started for the demo, temp dir, pid ${running.redis.process.pid})` : ''}`,
  );
  say(`  simulator  smpp=127.0.0.1:${running.sim.port}  control=${running.control.url}`);
  say(`  gateway    ${running.gateway.httpUrl}  (/healthz /readyz /metrics)`);
  say();
  await play(running.gateway, running.sim, keys);
  say();
  say('Try:');
  say(`  phone page (play the citizen):  ${running.control.url}/phone?msisdn=${CITIZEN}`);
  say(`  agent console:                  ${running.gateway.httpUrl}/console/   (agent key: ${keys.agent})`);
  say(`  curl -s ${running.gateway.httpUrl}/readyz`);
  say(
    `  curl -s -H 'Authorization: Bearer ${keys.agent}' '${running.gateway.httpUrl}/v1/conversations?msisdn=${CITIZEN}'`,
  );
  say(`  curl -s -X POST ${running.control.url}/mo -d '{"from":"77017654321","text":"Иә"}'`);
}

type Keys = Record<'system' | 'agent' | 'supervisor', string>;

async function call(url: string, key: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The home-schooling dialogue through the public API, as an upstream system and the carrier would play it. */
async function play(gateway: GatewayHandle, sim: CarrierSimulator, keys: Keys): Promise<void> {
  const base = gateway.httpUrl;
  const show = async (label: string): Promise<void> => {
    const sms = await sim.nextMessage((m) => m.destination === CITIZEN, 10_000);
    say(
      `--- SMS to ${sms.destination} (${sms.parts.length} part(s), data_coding ${sms.dataCoding}) ${label}`,
    );
    say(sms.text.replace(/^/gm, '    '));
  };
  const stateOf = async (id: string): Promise<string> =>
    String((await call(`${base}/v1/conversations/${id}`, keys.agent)).state);

  say(`>>> POST /v1/invitations: home-schooling, two banks, Russian, to ${CITIZEN}`);
  const invited = await call(`${base}/v1/invitations`, keys.system, {
    service: 'home-schooling',
    externalId: `demo-${Date.now()}`,
    msisdn: `+7 ${CITIZEN.slice(1, 4)} ${CITIZEN.slice(4)}`,
    language: 'ru',
    params: {
      fullName: 'Айгүл Сейітқызы',
      serviceCode: '123',
      banks: [HALYK, KASPI],
      integratedBanks: [HALYK, KASPI],
    },
  });
  const id = String(invited.conversationId);
  await show('(Appendix 2)');
  say(`state: ${await stateOf(id)}`);
  say('>>> the citizen answers "123#3#12" (bank no. 2)');
  await sim.injectReply({ from: CITIZEN, text: '123#3#12' });
  await show('(acknowledgement)');
  const job = await waitFor(() => gateway.core.queues.assignments.getJob(id));
  const data = assignmentJob.parse(job.data);
  say(
    `state: ${await stateOf(id)}; assignments job ${job.id}: bank ${data.bank?.code ?? '-'}, ` +
      `template ${data.consentTemplate.id} sha256 ${data.consentTemplate.sha256.slice(0, 12)}…`,
  );
  say('>>> POST /v1/events: downstream decides, payment assigned');
  await call(`${base}/v1/events`, keys.system, {
    type: 'decision',
    conversationId: id,
    outcome: 'assigned',
    params: {},
  });
  await show('(Appendix 5)');
  say(`state: ${await stateOf(id)}`);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let stopping = false;
const shutdown = (code: number): void => {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  void stopAll().then(() => process.exit(code));
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

main()
  .then(() => {
    if (once) shutdown(0);
    else say('\nRunning. Ctrl-C stops everything.');
  })
  .catch((err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    shutdown(1);
  });
