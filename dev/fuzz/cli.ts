/**
 * `npm run fuzz`: random HTTP requests and random deliver_sm against a running gateway, then what
 * it owes as `name=value` lines (dev/fuzz/run.ts). By default it starts everything itself: a
 * throwaway redis-server, the carrier simulator as the SMSC, and the gateway as its own process
 * (`gateway/main.ts`, configured by environment as in production), and stops them after.
 *
 *   npm run fuzz                                   # 100,000 + 100,000, a new seed (printed)
 *   npm run fuzz -- --seed 1414 --http 2000 --smpp 2000
 *   npm run fuzz -- --target http://127.0.0.1:8080 --smsc-port 2775 --redis redis://127.0.0.1:6379 \
 *                   --keys system:…,agent:…,supervisor:…
 *
 * With `--target`, the fuzzer listens as the SMSC on `--smsc-port` (system id/password from
 * `--smsc-system-id`/`--smsc-password`, default `fuzz`/`fuzzpass`) and the gateway there must be
 * configured to bind to it; `--queue-prefix` and `--key-prefix` name its BullMQ and key prefixes
 * (default `bull`, `gw`). Exit status 0 when every check passed, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServerHandle } from '../redis-server.js';
import { CarrierSimulator } from '../simulator/index.js';
import type { ApiKeys } from './http.js';
import { newSeed } from './random.js';
import { reportLines, runFuzz } from './run.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string' },
    http: { type: 'string', default: '100000' },
    smpp: { type: 'string', default: '100000' },
    invitations: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '16' },
    window: { type: 'string', default: '10' },
    target: { type: 'string' },
    'smsc-port': { type: 'string', default: '0' },
    'smsc-system-id': { type: 'string', default: 'fuzz' },
    'smsc-password': { type: 'string', default: 'fuzzpass' },
    redis: { type: 'string' },
    keys: { type: 'string' },
    'queue-prefix': { type: 'string', default: 'bull' },
    'key-prefix': { type: 'string', default: 'gw' },
    log: { type: 'string' },
  },
});

const say = (line: string): void => void process.stderr.write(`fuzz: ${line}\n`);
const int = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${value}`);
  return n;
};

function parseKeys(spec: string): ApiKeys {
  const found = new Map(
    spec.split(',').map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)]),
  );
  const key = (role: string): string => {
    const k = found.get(role);
    if (!k) throw new Error(`--keys needs a ${role} key (role:key,role:key)`);
    return k;
  };
  return { system: key('system'), agent: key('agent'), supervisor: key('supervisor') };
}

/** The gateway as a process of its own, logging to `logPath`; resolves once /healthz answers and it is bound. */
async function startGateway(
  env: NodeJS.ProcessEnv,
  httpUrl: string,
  sim: CarrierSimulator,
  logPath: string,
): Promise<ChildProcess> {
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', 'gateway/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the gateway exited with ${child.exitCode} at start-up (log: ${logPath})`);
    const up = await fetch(`${httpUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline)
      throw new Error(`the gateway did not answer /healthz within 60 s (log: ${logPath})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await sim.waitForBind(1, 60_000);
  return child;
}

/** Lines of the gateway's log, and those that are not one JSON object each. */
async function logCounts(path: string): Promise<{ lines: number; notJson: number; errors: number }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => l.length > 0);
  let notJson = 0;
  let errors = 0;
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: unknown };
      if (
        entry.level === 'error' ||
        entry.level === 'fatal' ||
        (typeof entry.level === 'number' && entry.level >= 50)
      )
        errors++;
    } catch {
      notJson++;
    }
  }
  return { lines: lines.length, notJson, errors };
}

async function main(): Promise<number> {
  const seed = args.seed !== undefined ? int('seed', args.seed) : newSeed();
  say(`seed ${seed} (repeat the run with --seed ${seed})`);
  const sim = await CarrierSimulator.start({
    port: int('smsc-port', args['smsc-port']),
    systemId: args['smsc-system-id'],
    password: args['smsc-password'],
    receiptDelayMs: 20,
    waitTimeoutMs: 60_000,
  });
  let redisServer: RedisServerHandle | undefined;
  let gateway: ChildProcess | undefined;
  let redis: Redis | undefined;
  const logPath = args.log ?? join(tmpdir(), `gateway-1414-fuzz-${seed}.log`);
  try {
    let httpUrl: string;
    let keys: ApiKeys;
    let redisUrl: string;
    if (args.target) {
      if (!args.redis || !args.keys) throw new Error('--target needs --redis and --keys');
      httpUrl = args.target;
      keys = parseKeys(args.keys);
      redisUrl = args.redis;
      say(`SMSC listening on ${sim.port}; waiting for the gateway to bind`);
      await sim.waitForBind(1, 120_000);
    } else {
      redisServer = await startRedisServer();
      redisUrl = redisServer.url;
      httpUrl = `http://127.0.0.1:${await freePort()}`;
      keys = {
        system: 'fuzz-system-key-0123456789',
        agent: 'fuzz-agent-key-01234567890',
        supervisor: 'fuzz-supervisor-key-012345',
      };
      const env = {
        ...process.env,
        REDIS_URL: redisUrl,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: new URL(httpUrl).port,
        SMPP_HOST: '127.0.0.1',
        SMPP_PORT: String(sim.port),
        SMPP_SYSTEM_ID: args['smsc-system-id'],
        SMPP_PASSWORD: args['smsc-password'],
        API_KEYS: `system:${keys.system},agent:${keys.agent},supervisor:${keys.supervisor}`,
        SEND_WINDOW: process.env.SEND_WINDOW ?? 'always',
        SMPP_TPS: process.env.SMPP_TPS ?? '500',
        SMPP_WINDOW: process.env.SMPP_WINDOW ?? '20',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      };
      say(`starting redis-server, the gateway (log: ${logPath}) and the SMSC`);
      gateway = await startGateway(env, httpUrl, sim, logPath);
    }
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const child = gateway;
    const report = await runFuzz(
      {
        httpUrl,
        keys,
        sim,
        redis,
        queuePrefix: args['queue-prefix'],
        keyPrefix: args['key-prefix'],
        exited: () =>
          child && (child.exitCode !== null || child.signalCode !== null)
            ? `exit ${child.exitCode ?? child.signalCode}`
            : undefined,
      },
      {
        seed,
        http: int('http', args.http),
        smpp: int('smpp', args.smpp),
        invitations: int('invitations', args.invitations),
        httpConcurrency: int('concurrency', args.concurrency),
        smppWindow: int('window', args.window),
        progress: say,
      },
    );
    const lines = reportLines(report);
    if (gateway) {
      const log = await logCounts(logPath);
      lines.push(
        `gateway_log_lines=${log.lines}`,
        `gateway_log_not_json=${log.notJson}`,
        `gateway_log_errors=${log.errors}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return report.passed ? 0 : 1;
  } finally {
    await redis?.quit().catch(() => undefined);
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway?.once('exit', r));
      gateway.kill('SIGTERM');
      await exited;
    }
    await sim.stop();
    await redisServer?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
