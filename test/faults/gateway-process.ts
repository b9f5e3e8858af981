/**
 * The gateway as a process of its own, for the tests that kill it (test/faults): configuration
 * from the environment as in production (gateway/config.ts), plus the test's key and queue
 * prefixes (GW_KEY_PREFIX, GW_QUEUE_PREFIX) and a short stalled-job lock (GW_STALLED_LOCK_MS)
 * so that jobs the killed process held are retried within seconds rather than a minute, and
 * GW_PORTABILITY_POLL_MS (how often PORTABILITY_FILE is checked for a change).
 * Prints "http <url>" once listening, then "ready" once an SMPP bind is up.
 *
 * Run: node --import tsx test/faults/gateway-process.ts
 */
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, startWorkerProcess } from '../../gateway/gateway.js';

const env = process.env;
const config = loadConfig(env);
const lockMs = Number(env.GW_STALLED_LOCK_MS ?? 0);
const options = {
  log: pino({ level: env.GW_TEST_LOG_LEVEL ?? 'silent' }),
  ...(env.GW_KEY_PREFIX ? { keyPrefix: env.GW_KEY_PREFIX } : {}),
  ...(env.GW_QUEUE_PREFIX ? { queuePrefix: env.GW_QUEUE_PREFIX } : {}),
  sweepIntervalMs: Number(env.GW_SWEEP_INTERVAL_MS ?? 200),
  ...(lockMs > 0 ? { stalledJobs: { lockDurationMs: lockMs, checkIntervalMs: lockMs / 2 } } : {}),
  smpp: { overrides: { reconnect: { initialMs: 50, maxMs: 500 } } },
  ...(env.GW_PORTABILITY_POLL_MS ? { portabilityPollMs: Number(env.GW_PORTABILITY_POLL_MS) } : {}),
};

let stopGateway: () => Promise<void>;
if (config.role === 'workers') {
  // GATEWAY_ROLE=workers: no bind to wait for.
  const workers = await startWorkerProcess(config, options);
  stopGateway = () => workers.stop();
  process.stdout.write('ready\n');
} else {
  const gateway = await startGateway(config, options);
  stopGateway = () => gateway.stop();
  process.stdout.write(`http ${gateway.httpUrl}\n`);
  const announce = (): void => {
    if (!gateway.transport.ready()) return;
    gateway.transport.off('state', announce);
    process.stdout.write('ready\n');
  };
  gateway.transport.on('state', announce);
  announce();
}

/**
 * As gateway/main.ts, a drain that cannot finish (its Redis gone with the test) exits anyway; later
 * than main.ts, so that a slow drain on a loaded machine still ends as it would.
 */
const DRAIN_MS = 30_000;
const stop = (): void => {
  setTimeout(() => process.exit(1), DRAIN_MS).unref();
  stopGateway().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
