/**
 * Builds and wires the whole gateway from a Config: Redis, the core, the SMPP
 * transport, the workers, the deadline sweeper and the HTTP app. Used by
 * main.ts, the demo and the end-to-end tests (in-process, on port 0).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, type Worker } from 'bullmq';
import type express from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { QUEUES } from '../queues/names.js';
import { connectRedis, redisReady, type RedisClient } from '../store/redis.js';
import type { Config } from './config.js';
import { createInboundHandler } from './core/inbound.js';
import { createCoreMetrics } from './core/metrics.js';
import { createCore, type Core } from './core/runtime.js';
import { DEFAULT_SENDER_CONCURRENCY, startSender } from './core/sender.js';
import { SMS_BATCH_MAX } from './core/sms-handover.js';
import { createSweeper, type Sweeper } from './core/sweeper.js';
import type { StalledJobs } from './core/stalled.js';
import { startInboundWorker } from './core/workers.js';
import { api } from './http/api.js';
import { buildApp } from './http/app.js';
import { listenLimited } from './http/server.js';
import { registerReplyLimitMetrics } from './core/reply-limits.js';
import type { Logger } from './log.js';
import { createTransport, type CarrierRouter } from './smpp/carriers.js';
import { PortabilityFile } from './smpp/portability-file.js';
import type { BindTuning } from './smpp/routes.js';

export interface GatewayHandle {
  readonly httpUrl: string;
  readonly core: Core;
  readonly transport: CarrierRouter;
  readonly metrics: Registry;
  readonly sweeper: Sweeper;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log: Logger;
  /** Injectable clock (tests move it to fire deadlines). Default Date.now. */
  readonly now?: () => number;
  /** Key and queue prefixes (tests isolate themselves). Defaults `gw`, `bull`. */
  readonly keyPrefix?: string;
  readonly queuePrefix?: string;
  /** SMPP timings for tests and tuning. */
  readonly smpp?: BindTuning;
  /** Fire deadlines this long after they pass (gateway/core/sweeper.ts). Default 2 minutes. */
  readonly deadlineGraceMs?: number;
  /** Deadline sweep period; 0 = never on its own (tests call `sweeper.tick()`). Default 1000. */
  readonly sweepIntervalMs?: number;
  /**
   * How soon jobs a killed process was running are retried (BullMQ's lock and stalled check);
   * BullMQ's defaults (30 s each) when absent. The SIGKILL test shortens them.
   */
  readonly stalledJobs?: StalledJobs;
  /** How often PORTABILITY_FILE is checked for a change. Default 10 s. */
  readonly portabilityPollMs?: number;
  /** Extra routers mounted after the API (tests, tools). */
  readonly routers?: (core: Core) => ReadonlyArray<express.Router>;
}

/**
 * Sender jobs in flight. A batch job (up to `SMS_BATCH_MAX` SMS, sms-handover.ts) submits all
 * its SMS at once; enough batches to hold four windows' worth of SMS keep every window full
 * between jobs. More would only queue SMS behind the windows, where a lone SMS (a reply's
 * acknowledgement) would wait behind them; at least `DEFAULT_SENDER_CONCURRENCY` (8). Batches
 * carry a BullMQ priority, so a lone SMS is taken before the next batch (sms-handover.ts).
 */
export function senderConcurrency(config: Pick<Config, 'carriers'>): number {
  const windows = config.carriers.reduce(
    (sum, c) => sum + c.binds.reduce((n, b) => n + (b.window ?? c.window) * b.count, 0),
    0,
  );
  return Math.max(DEFAULT_SENDER_CONCURRENCY, Math.ceil((4 * windows) / SMS_BATCH_MAX));
}

/** Inbound jobs at once in a `GATEWAY_ROLE=workers` process (workers.ts says why the default is 8). */
const WORKERS_ONLY_CONCURRENCY = 32;

/** The API's server, with its timeouts and connection caps (gateway/http/server.ts). */
async function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return (await listenLimited(app, host, port)).server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The deadline sweeper; it sweeps on its own only in a process that decides (not GATEWAY_ROLE=edge). */
function startSweeper(core: Core, options: StartOptions, sweeps: boolean): Sweeper {
  return createSweeper({
    core,
    log: options.log,
    intervalMs: sweeps ? (options.sweepIntervalMs ?? 1000) : 0,
    ...(options.deadlineGraceMs !== undefined ? { graceMs: options.deadlineGraceMs } : {}),
  });
}

/** What every gateway process starts with: metrics, its Redis connections, the core. */
async function openProcess(
  config: Config,
  options: StartOptions,
): Promise<{
  metrics: Registry;
  redis: RedisClient;
  workerRedis: RedisClient;
  clients: RedisClient[];
  core: Core;
}> {
  const { log } = options;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const redis = connectRedis(config.redis, { name: 'gateway' });
  const workerRedis = connectRedis(config.redis, { name: 'gateway-workers' });
  const clients: RedisClient[] = [redis, workerRedis];
  for (const c of clients)
    c.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  const core = await createCore({
    redis,
    log,
    now: options.now ?? Date.now,
    retentionDays: config.retentionDays,
    calendarFile: config.calendarFile,
    carriers: config.carriers,
    carrierMemoryDays: config.carrierMemoryDays,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
  });
  return { metrics, redis, workerRedis, clients, core };
}

export async function startGateway(config: Config, options: StartOptions): Promise<GatewayHandle> {
  const { log } = options;
  const { metrics, redis, workerRedis, clients, core } = await openProcess(config, options);
  // The deliver_sm path must fail at once while Redis is down: the SMSC then retries.
  const fastRedis = connectRedis(config.redis, { name: 'gateway-inbound', failFast: true });
  fastRedis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
  clients.push(fastRedis);
  const inboundFast = new Queue(QUEUES.inbound, { connection: fastRedis, prefix: core.queuePrefix });
  // Without a listener BullMQ prints the error's stack to stderr, outside the JSON log.
  inboundFast.on('error', (err: Error) => log.warn({ err: err.message }, 'inbound queue error'));
  const portability = config.portabilityFile
    ? await new PortabilityFile({
        path: config.portabilityFile,
        carriers: config.carriers,
        logger: log,
        registry: metrics,
        ...(options.portabilityPollMs !== undefined ? { pollMs: options.portabilityPollMs } : {}),
      }).start()
    : undefined;
  const transport = createTransport(config, {
    logger: log,
    registry: metrics,
    ...options.smpp,
    ...(portability ? { portability: () => portability.table } : {}),
  });
  const coreMetrics = createCoreMetrics(metrics);
  registerReplyLimitMetrics(metrics, core.conversations.limits);
  transport.onInbound(
    createInboundHandler({
      inbound: inboundFast,
      store: core.store,
      log,
      now: core.now,
      metrics: coreMetrics,
    }),
  );

  const stalled = options.stalledJobs ? { stalled: options.stalledJobs } : {};
  const sender = startSender({
    core,
    transport,
    connection: workerRedis,
    log,
    concurrency: senderConcurrency(config),
    metrics: coreMetrics,
    ...stalled,
  });
  // While no bind is up, leave SMS in the queue instead of burning their retries.
  const followBinds = (): void => {
    if (transport.ready()) void sender.resume();
    else void sender.pause(true);
  };
  transport.on('state', followBinds);
  followBinds();
  // GATEWAY_ROLE=edge leaves replies and deadlines to a `workers` process (startWorkerProcess).
  const decides = config.role !== 'edge';
  const inboundWorker = decides
    ? startInboundWorker({ core, connection: workerRedis, log, metrics: coreMetrics, ...stalled }).worker
    : undefined;
  const sweeper = startSweeper(core, options, decides);

  const http = api({ core, apiKeys: config.apiKeys, metrics, log });
  const app = buildApp({
    log,
    metrics,
    probes: [
      { name: 'redis', check: () => redisReady(redis) },
      { name: 'smpp', check: () => Promise.resolve(transport.ready()) },
    ],
    guards: http.guards,
    routers: [...http.routers, ...(options.routers?.(core) ?? [])],
  });
  const server = await listen(app, config.http.host, config.http.port);
  const address = server.address() as AddressInfo;

  const workers: Worker[] = inboundWorker ? [sender, inboundWorker] : [sender];
  return {
    httpUrl: `http://${config.http.host}:${address.port}`,
    core,
    transport,
    metrics,
    sweeper,
    async stop() {
      // Stop taking work, drain, unbind, close workers, close Redis (STYLE.md, "composition root").
      await closeServer(server);
      await sweeper.stop();
      await sender.close();
      portability?.close();
      await transport.close();
      await Promise.all(workers.map((w) => w.close()));
      await inboundFast.close();
      await core.close();
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

export interface WorkerProcessHandle {
  readonly httpUrl: string;
  readonly core: Core;
  readonly sweeper: Sweeper;
  stop(): Promise<void>;
}

/**
 * GATEWAY_ROLE=workers: reply processing and deadlines only, no bind and no API (health and
 * metrics stay). Run beside `edge` processes so that the event loop that answers the SMSC's
 * deliver_sm does not also decide the replies (docs/scaling.md).
 */
export async function startWorkerProcess(
  config: Config,
  options: StartOptions,
): Promise<WorkerProcessHandle> {
  const { log } = options;
  const { metrics, redis, workerRedis, clients, core } = await openProcess(config, options);
  const stalled = options.stalledJobs ? { stalled: options.stalledJobs } : {};
  const metricsOfCore = createCoreMetrics(metrics);
  const { worker } = startInboundWorker({
    core,
    connection: workerRedis,
    log,
    metrics: metricsOfCore,
    // No deliver_sm to answer in this process: decide as many replies at once as Redis allows.
    concurrency: WORKERS_ONLY_CONCURRENCY,
    ...stalled,
  });
  const sweeper = startSweeper(core, options, true);
  const app = buildApp({ log, metrics, probes: [{ name: 'redis', check: () => redisReady(redis) }] });
  const server = await listen(app, config.http.host, config.http.port);
  const address = server.address() as AddressInfo;
  return {
    httpUrl: `http://${config.http.host}:${address.port}`,
    core,
    sweeper,
    async stop() {
      await closeServer(server);
      await sweeper.stop();
      await worker.close();
      await core.close();
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
