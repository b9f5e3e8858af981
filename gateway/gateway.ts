/**
 * Builds and wires the whole gateway from a Config: Redis, the core, the SMPP
 * transport, the workers, the deadline sweeper and the HTTP app. Used by
 * main.ts, the demo and the end-to-end tests (in-process, on port 0).
 * Longer than 300 lines: the composition root, every part wired in start-up and shutdown order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { Queue, type Worker } from 'bullmq';
import type express from 'express';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { QUEUES } from '../queues/names.js';
import { connectRedis, redisReady, type RedisClient } from '../store/connection.js';
import { registerBuildInfo } from './build-info.js';
import type { Config } from './config.js';
import { connectionLog, type ConnectionLog } from './connection-log.js';
import { createInboundHandler } from './core/inbound.js';
import {
  createCoreMetrics,
  registerConversationMetrics,
  registerHoldMetrics,
  registerOutboxMetrics,
  registerOutboxSetAsideMetric,
  type CoreMetrics,
} from './core/metrics.js';
import { registerQueueMetrics } from './core/queue-metrics.js';
import { createCore, type Core } from './core/runtime.js';
import { DEFAULT_SENDER_CONCURRENCY, startSender, type SmsLifetime } from './core/sender.js';
import { SMS_BATCH_MAX } from './core/sms-handover.js';
import { createSweeper, type Sweeper } from './core/sweeper.js';
import type { StalledJobs } from './core/stalled.js';
import { startInboundWorker } from './core/workers.js';
import { api } from './http/api.js';
import { Webhooks } from './webhooks/delivery.js';
import { buildApp, type HealthProbe } from './http/app.js';
import { listenEarly, metricsApp, startingApp, type EarlyServer } from './http/startup.js';
import { registerReplyLimitMetrics } from './core/reply-limits.js';
import type { Logger } from './log.js';
import { createTransport, type CarrierRouter } from './smpp/carriers.js';
import { PortabilityFile } from './smpp/portability-file.js';
import type { BindTuning } from './smpp/routes.js';

/** How long a stop waits for the SMS being submitted before the binds unbind (under main.ts's 10 s). */
const SENDER_DRAIN_MS = 3_000;

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
  /** SMS validity, window bound and maximum age beyond the configuration's (tests: a short maximum age). */
  readonly smsLifetime?: Partial<SmsLifetime>;
  /** The pauses before each new try of a failed outbox hand-over (tests: shorter). Default `HANDOVER_RETRY_MS`. */
  readonly handOverRetryMs?: readonly number[];
  /** How often PORTABILITY_FILE is checked for a change. Default 10 s. */
  readonly portabilityPollMs?: number;
  /**
   * Called as soon as the HTTP server listens, before Redis is reached and any bind is up
   * (/healthz and /readyz answer from then on), with its URL.
   */
  readonly onListening?: (url: string) => void;
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

/**
 * Inbound jobs at once in a `GATEWAY_ROLE=workers` process (workers.ts says why the default is 8),
 * so 512 replies decided at once: the more steps a turn commits and hands over together, the
 * fewer calls each reply costs Redis (docs/scaling.md).
 */
const WORKERS_ONLY_CONCURRENCY = 128;

/** The deadline sweeper; it sweeps on its own only in a process that decides (not GATEWAY_ROLE=edge). */
function startSweeper(
  core: Core,
  options: StartOptions,
  sweeps: boolean,
  metrics?: Pick<CoreMetrics, 'deliveryUnknown' | 'deadlines'>,
): Sweeper {
  return createSweeper({
    core,
    log: options.log,
    ...(metrics ? { deliveryUnknown: metrics.deliveryUnknown, deadlines: metrics.deadlines } : {}),
    intervalMs: sweeps ? (options.sweepIntervalMs ?? 1000) : 0,
    ...(options.deadlineGraceMs !== undefined ? { graceMs: options.deadlineGraceMs } : {}),
  });
}

function urlOf(config: Config, http: EarlyServer): string {
  return `http://${config.http.host}:${(http.server.address() as AddressInfo).port}`;
}

/** A Redis connection whose errors and recoveries go to the process's one connection log. */
function watched(config: Config, redisLog: ConnectionLog, name: string, failFast = false): RedisClient {
  const client = connectRedis(config.redis, { name, failFast });
  client.on('error', (err: Error) => redisLog.clientError(name, err));
  client.on('ready', () => redisLog.ready(name));
  return client;
}

/**
 * What every gateway process starts with: metrics, its Redis connections, the HTTP server (at
 * once: /healthz and /readyz answer while Redis is still out of reach), then the core, which
 * waits for Redis as long as it takes.
 */
async function openProcess(
  config: Config,
  options: StartOptions,
  later: readonly string[],
): Promise<{
  metrics: Registry;
  redis: RedisClient;
  workerRedis: RedisClient;
  clients: RedisClient[];
  redisLog: ConnectionLog;
  http: EarlyServer;
  /** /metrics on METRICS_PORT, when set. */
  metricsServer: EarlyServer | undefined;
  core: Core;
  /** WEBHOOKS_FILE's deliveries: every process delivers, and fans its outcomes out to them. */
  webhooks: Webhooks;
}> {
  const { log } = options;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  registerBuildInfo(metrics);
  const redisLog = connectionLog(log, 'redis');
  new Gauge({
    name: 'gateway_redis_up',
    help: '1 while every Redis connection of this process is up, 0 from its first error until it is back',
    registers: [metrics],
    collect() {
      this.set(redisLog.up ? 1 : 0);
    },
  });
  const redis = watched(config, redisLog, 'gateway');
  const workerRedis = watched(config, redisLog, 'gateway-workers');
  const clients: RedisClient[] = [redis, workerRedis];
  const redisProbe: HealthProbe = { name: 'redis', check: () => redisReady(redis) };
  const starting = startingApp({
    log,
    metrics,
    probes: [redisProbe, ...later.map((name) => ({ name, check: () => Promise.resolve(false) }))],
    waitingFor: 'waiting for Redis',
    serveMetrics: config.metrics === undefined,
  });
  const metricsServer = config.metrics
    ? await listenEarly(
        metricsApp(metrics),
        config.metrics.host,
        config.metrics.port,
        'METRICS_HOST/METRICS_PORT',
      )
    : undefined;
  const http = await listenEarly(
    starting,
    config.http.host,
    config.http.port,
    'HTTP_HOST/HTTP_PORT',
    metrics,
  );
  options.onListening?.(urlOf(config, http));
  try {
    const core = await createCore({
      redis,
      log,
      now: options.now ?? Date.now,
      retentionDays: config.retentionDays,
      calendarFile: config.calendarFile,
      sendWindow: config.sendWindow,
      carriers: config.carriers,
      carrierMemoryDays: config.carrierMemoryDays,
      receiptTimeoutHours: config.receiptTimeoutHours,
      connections: redisLog,
      ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
      ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
      ...(options.handOverRetryMs ? { handOverRetryMs: options.handOverRetryMs } : {}),
    });
    const connected = (): boolean => core.store.connected();
    registerQueueMetrics(metrics, () => Object.values(core.queues) as Queue[], connected);
    registerConversationMetrics(metrics, core.stateCounts, connected);
    registerHoldMetrics(metrics, core.holds, core.now, connected);
    registerOutboxMetrics(metrics, core.outbox.counts);
    registerOutboxSetAsideMetric(metrics, core.store.outboxes, connected);
    const webhooks = new Webhooks({
      hooks: config.webhooks,
      redis,
      workerRedis,
      prefix: core.queuePrefix,
      log,
      connections: redisLog,
    });
    core.outcomes.listen(webhooks.fanOut);
    return { metrics, redis, workerRedis, clients, redisLog, http, metricsServer, core, webhooks };
  } catch (err) {
    await http.close();
    await metricsServer?.close();
    for (const c of clients) c.disconnect();
    throw err;
  }
}

export async function startGateway(config: Config, options: StartOptions): Promise<GatewayHandle> {
  const { log } = options;
  const { metrics, redis, workerRedis, clients, redisLog, http, metricsServer, core, webhooks } =
    await openProcess(config, options, ['smpp']);
  // The deliver_sm path must fail at once while Redis is down: the SMSC then retries.
  const fastRedis = watched(config, redisLog, 'gateway-inbound', true);
  clients.push(fastRedis);
  const inboundFast = new Queue(QUEUES.inbound, { connection: fastRedis, prefix: core.queuePrefix });
  // Without a listener BullMQ prints the error's stack to stderr, outside the JSON log.
  inboundFast.on('error', (err: Error) => redisLog.error('queue inbound (fail-fast)', err));
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
    connections: redisLog,
    concurrency: senderConcurrency(config),
    // With several carriers, one answering slowly leaves two jobs to the others.
    ...(config.carriers.length > 1 ? { carrierShare: Math.max(1, senderConcurrency(config) - 2) } : {}),
    metrics: coreMetrics,
    lifetime: {
      validitySeconds: config.smsValidityHours * 3600,
      maxAgeMs: config.smsMaxAgeHours * 3600_000,
      ...options.smsLifetime,
    },
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
    ? startInboundWorker({
        core,
        connection: workerRedis,
        log,
        connections: redisLog,
        metrics: coreMetrics,
        ...stalled,
      }).worker
    : undefined;
  const sweeper = startSweeper(core, options, decides, coreMetrics);

  const parts = api({ core, apiKeys: config.apiKeys, metrics, log, webhooks });
  const app = buildApp({
    log,
    metrics,
    serveMetrics: metricsServer === undefined,
    probes: [
      { name: 'redis', check: () => redisReady(redis) },
      { name: 'smpp', check: () => Promise.resolve(transport.ready()) },
    ],
    readyDetails: () => ({ carriers: transport.outages() }),
    guards: parts.guards,
    routers: [...parts.routers, ...(options.routers?.(core) ?? [])],
  });
  http.serve(app);

  const workers: Worker[] = inboundWorker ? [sender, inboundWorker] : [sender];
  return {
    httpUrl: urlOf(config, http),
    core,
    transport,
    metrics,
    sweeper,
    async stop() {
      // Stop taking work, drain, unbind, close workers, close Redis (STYLE.md, "composition root").
      await http.close();
      await parts.close();
      await metricsServer?.close();
      await sweeper.stop();
      // The SMS being submitted finish, for SENDER_DRAIN_MS: a slow SMSC can take longer over a
      // long SMS than the drain's deadline (main.ts). Then the binds unbind, an SMS still going stops
      // at its current part with its accepted parts recorded, and another process sends the rest
      // under the same reference, instead of the whole SMS again after this one is cut off.
      const senderClosed = sender.close();
      await Promise.race([senderClosed, sleep(SENDER_DRAIN_MS, undefined, { ref: false })]);
      portability?.close();
      await transport.close();
      await senderClosed;
      await Promise.all(workers.map((w) => w.close()));
      await inboundFast.close();
      await webhooks.close();
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
  const opened = await openProcess(config, options, []);
  const { metrics, redis, workerRedis, http, metricsServer, core } = opened;
  const stalled = options.stalledJobs ? { stalled: options.stalledJobs } : {};
  const metricsOfCore = createCoreMetrics(metrics);
  const { worker } = startInboundWorker({
    core,
    connection: workerRedis,
    log,
    connections: opened.redisLog,
    metrics: metricsOfCore,
    // No deliver_sm to answer in this process: decide as many replies at once as Redis allows.
    concurrency: WORKERS_ONLY_CONCURRENCY,
    ...stalled,
  });
  const sweeper = startSweeper(core, options, true, metricsOfCore);
  http.serve(
    buildApp({
      log,
      metrics,
      probes: [{ name: 'redis', check: () => redisReady(redis) }],
      serveMetrics: metricsServer === undefined,
    }),
  );
  return bindlessHandle(config, opened, sweeper, [worker]);
}

/** A process without binds (`workers`, `api`): stopped in the reverse order of its start. */
function bindlessHandle(
  config: Config,
  opened: Awaited<ReturnType<typeof openProcess>>,
  sweeper: Sweeper,
  workers: readonly Worker[],
  closeApi?: () => Promise<void>,
): WorkerProcessHandle {
  const { http, metricsServer, core, webhooks, clients } = opened;
  return {
    httpUrl: urlOf(config, http),
    core,
    sweeper,
    async stop() {
      await http.close();
      await closeApi?.();
      await metricsServer?.close();
      await sweeper.stop();
      await Promise.all(workers.map((w) => w.close()));
      await webhooks.close();
      await core.close();
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/**
 * GATEWAY_ROLE=api: the HTTP API alone (invitations, events, lookups, the agent console), no bind,
 * no sender and no reply workers: the SMS its steps commit go to `sms-out`, which the `edge` (or
 * `all`) processes send through their binds. Run beside them so that invitations are rendered and
 * committed on an event loop that does not also hold a bind's window (docs/scaling.md).
 */
export async function startApiProcess(config: Config, options: StartOptions): Promise<WorkerProcessHandle> {
  const { log } = options;
  const opened = await openProcess(config, options, []);
  const { metrics, redis, http, metricsServer, core, webhooks } = opened;
  // Deadlines and recovery are the deciding processes' (`all`, `workers`): none swept here.
  const sweeper = startSweeper(core, options, false);
  const parts = api({ core, apiKeys: config.apiKeys, metrics, log, webhooks });
  http.serve(
    buildApp({
      log,
      metrics,
      serveMetrics: metricsServer === undefined,
      probes: [{ name: 'redis', check: () => redisReady(redis) }],
      guards: parts.guards,
      routers: [...parts.routers, ...(options.routers?.(core) ?? [])],
    }),
  );
  return bindlessHandle(config, opened, sweeper, [], () => parts.close());
}
