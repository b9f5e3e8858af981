/**
 * The whole gateway in-process against the run's real Redis and a real SMPP
 * peer (the carrier simulator), with a clock the test moves.
 */
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, type GatewayHandle, type StartOptions } from '../../gateway/gateway.js';
import { CarrierSimulator, type SimulatorOptions } from '../../dev/simulator/index.js';
import { testClock, type TestClock } from './core.js';
import { redisUrl, testPrefix } from './redis.js';

export const KEYS = {
  system: 'system-key-0123456789abcdef',
  agent: 'agent-key-0123456789abcdef',
  supervisor: 'supervisor-key-0123456789ab',
  test: 'test-key-0123456789abcdef',
};

export interface TestGateway {
  readonly gateway: GatewayHandle;
  readonly sim: CarrierSimulator;
  readonly clock: TestClock;
  /** The key and queue prefixes this gateway uses (another process may join them). */
  readonly prefixes: { readonly keyPrefix: string; readonly queuePrefix: string };
  stop(): Promise<void>;
}

export async function startTestGateway(
  options: {
    env?: Record<string, string>;
    clock?: TestClock;
    routers?: StartOptions['routers'];
    /** Bind settings on top of the fast test ones (e.g. a shorter throttle pause, test/faults). */
    smpp?: NonNullable<StartOptions['smpp']>['overrides'];
    /** How soon jobs left active by a lost Redis connection are retried (test/faults). */
    stalledJobs?: StartOptions['stalledJobs'];
    /** The gateway's logger (test/support/log-lines.ts reads what it wrote); silent by default. */
    log?: StartOptions['log'];
    /** The binds' token buckets and the simulator's throttle window on the test's clock too. */
    smppOnClock?: boolean;
    /** Faults of the simulator from the start. */
    faults?: SimulatorOptions['faults'];
    /**
     * The sweeper on real time every this many ms, as in production (its recovery hands over the
     * outboxes a cut hand-over left behind); 0, the default: tests tick it on their own clock.
     */
    sweepIntervalMs?: number;
    /** The pauses before each new try of a failed outbox hand-over; production's when absent. */
    handOverRetryMs?: StartOptions['handOverRetryMs'];
  } = {},
): Promise<TestGateway> {
  const clock = options.clock ?? testClock();
  const sim = await CarrierSimulator.start({
    port: 0,
    systemId: 'gw',
    password: 'secret',
    receiptDelayMs: 0,
    ...(options.smppOnClock ? { now: () => new Date(clock.now()) } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    HTTP_PORT: '0',
    SMPP_HOST: '127.0.0.1',
    SMPP_PORT: String(sim.port),
    SMPP_SYSTEM_ID: 'gw',
    SMPP_PASSWORD: 'secret',
    API_KEYS: `system:${KEYS.system},agent:${KEYS.agent},supervisor:${KEYS.supervisor},test:${KEYS.test}`,
    // Tests of the dialogue must not depend on the hour they run at; the window's own tests set it.
    SEND_WINDOW: 'always',
    ...options.env,
  });
  const prefix = testPrefix('gw');
  const gateway = await startGateway(config, {
    log: options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    now: clock.now,
    keyPrefix: `gw-${prefix}`,
    // A hash tag keeps each BullMQ queue in one slot, so the same code runs on Redis Cluster.
    queuePrefix: `{bull-${prefix}}`,
    sweepIntervalMs: options.sweepIntervalMs ?? 0,
    // Tests set the clock to the deadline itself; production waits DEADLINE_GRACE_MS more.
    deadlineGraceMs: 0,
    smpp: {
      overrides: { reconnect: { initialMs: 50, maxMs: 500 }, enquireLinkMs: 5000, ...options.smpp },
      ...(options.smppOnClock ? { now: clock.now } : {}),
    },
    ...(options.routers ? { routers: options.routers } : {}),
    ...(options.stalledJobs ? { stalledJobs: options.stalledJobs } : {}),
    ...(options.handOverRetryMs ? { handOverRetryMs: options.handOverRetryMs } : {}),
  });
  await sim.waitForBind();
  return {
    gateway,
    sim,
    clock,
    prefixes: { keyPrefix: `gw-${prefix}`, queuePrefix: `{bull-${prefix}}` },
    async stop() {
      await gateway.stop();
      await sim.stop();
    },
  };
}

/** Waits until `probe` returns a value (not undefined/null/false), checking every 20 ms, for at most `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One sample of a gateway's /metrics as Prometheus scrapes it: the series of `name` carrying
 * `labels` (others may be there too, in any order); undefined when /metrics has none.
 */
export async function scraped(
  t: TestGateway,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
  for (const [, series, labelText, value] of text.matchAll(/^(\w+)(?:\{(.*)\})? (\S+)$/gm)) {
    if (series !== name) continue;
    const has = new Map([...(labelText ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => has.get(k) === v)) return Number(value);
  }
  return undefined;
}
