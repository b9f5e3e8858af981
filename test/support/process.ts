/**
 * The gateway as a child process (test/faults/gateway-process.ts), for tests that SIGKILL it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ALWAYS } from '../../dialogue/window.js';
import { createCore, type Core } from '../../gateway/core/runtime.js';
import { freePort } from '../../dev/redis-server.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { redisClient } from './redis.js';

const ENTRY = fileURLToPath(new URL('../faults/gateway-process.ts', import.meta.url));

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** Its HTTP API, as it printed it (HTTP_PORT=0 picks a free port). */
  readonly httpUrl: string;
  /** SIGKILL: no shutdown hook runs, sockets are reset, jobs stay locked until their lock expires. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown of main.ts. */
  stop(): Promise<void>;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

/**
 * The environment of a gateway child process bound to the test's simulator and sharing the
 * test's Redis prefixes, with a 1 s job lock so jobs a killed process held come back quickly.
 */
export function gatewayProcessEnv(options: {
  redisUrl: string;
  smppPort: number;
  prefix: string;
  apiKey: string;
  tps: number;
  window: number;
}): Record<string, string> {
  return {
    REDIS_URL: options.redisUrl,
    HTTP_PORT: '0',
    SMPP_HOST: '127.0.0.1',
    SMPP_PORT: String(options.smppPort),
    SMPP_SYSTEM_ID: 'gw',
    SMPP_PASSWORD: 'secret',
    SMPP_TPS: String(options.tps),
    SMPP_WINDOW: String(options.window),
    API_KEYS: `system:${options.apiKey}`,
    GW_KEY_PREFIX: `gw-${options.prefix}`,
    GW_QUEUE_PREFIX: `bull-${options.prefix}`,
    GW_STALLED_LOCK_MS: '1000',
    // The fault tests must not depend on the hour they run at.
    SEND_WINDOW: 'always',
  };
}

/**
 * Starts the gateway process and resolves once it prints "ready" (bound), or kills it and rejects
 * after `timeoutMs`: on a loaded machine tsx's first compile alone can take 15 s, and a process
 * left running would bind later and be taken for another test's.
 */
export async function spawnGateway(env: Record<string, string>, timeoutMs = 40_000): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const httpUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway process not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve(/^http (\S+)$/m.exec(out)?.[1] ?? '');
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway process exited before ready (code ${code}, signal ${signal})`));
    });
  });
  return {
    child,
    httpUrl,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/**
 * What the tests of gateway child processes run beside them: the carrier simulator and a core on
 * the test's Redis under `prefix` (the processes' GW_KEY_PREFIX / GW_QUEUE_PREFIX, as
 * {@link gatewayProcessEnv} sets them), through which they invite and count.
 */
export interface ProcessRig {
  readonly sim: CarrierSimulator;
  readonly core: Core;
  /** The simulator's connection ids that bound, in order. */
  bindConnections(): number[];
  close(): Promise<void>;
}

export async function startProcessRig(prefix: string): Promise<ProcessRig> {
  const redis = redisClient();
  const sim = await CarrierSimulator.start({
    port: 0,
    systemId: 'gw',
    password: 'secret',
    receiptDelayMs: 0,
  });
  const core = await createCore({
    redis,
    log: pino({ level: 'silent' }),
    keyPrefix: `gw-${prefix}`,
    queuePrefix: `bull-${prefix}`,
    // Invitations go out at whatever hour the test runs.
    sendWindow: ALWAYS,
  });
  return {
    sim,
    core,
    bindConnections: () => sim.pdus.filter((p) => p.command === 'bind_transceiver').map((p) => p.connection),
    async close() {
      await sim.stop();
      await core.close();
      await redis.quit();
    },
  };
}

const MAIN = fileURLToPath(new URL('../../gateway/main.ts', import.meta.url));

/** `gateway/main.ts` (what `npm start` runs) in a process of its own, as an operator starts it. */
export interface MainProcess {
  readonly child: ChildProcess;
  /** Its HTTP API (HTTP_PORT is set to a free port). */
  readonly url: string;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (main.ts's graceful shutdown), then its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts main.ts given nothing but `env` (and PATH), with HTTP_PORT on a free port, and resolves
 * once /readyz answers 200 (Redis and a bind up), or rejects after `timeoutMs` with its output.
 */
export async function startMain(env: Record<string, string>, timeoutMs = 20_000): Promise<MainProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HTTP_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const ready = async (): Promise<boolean> =>
    (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway/main.ts not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      return child.exitCode;
    },
  };
}
