/**
 * `npm start`: the composition root. Reads the configuration once, builds
 * the gateway, and owns shutdown (SIGTERM/SIGINT: stop taking work, drain,
 * unbind, close workers, close Redis).
 */
import { GatewayError } from '../common/errors.js';
import { buildInfo } from './build-info.js';
import { loadConfig } from './config.js';
import { startApiProcess, startGateway, startWorkerProcess } from './gateway.js';
import { format } from 'node:util';
import { createLogger, type Logger } from './log.js';

/** Time SIGTERM gives the gateway to drain before it exits anyway (under Kubernetes' default 30 s). */
const DRAIN_MS = 10_000;

/**
 * Libraries print some errors themselves (BullMQ when no listener takes them, ioredis on an unhandled
 * error event), with multi-line stacks: route them to the JSON log, one line per event.
 */
function routeConsoleToLog(log: Logger): void {
  const to =
    (level: 'error' | 'warn' | 'info') =>
    (...args: unknown[]): void =>
      log[level]({ printed: format(...args) }, 'printed by a library');
  console.error = to('error');
  console.warn = to('warn');
  console.log = to('info');
  console.info = to('info');
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel });
  routeConsoleToLog(log);
  // HTTP listens at once; the rest waits for Redis as long as it takes (/readyz says what is missing).
  const onListening = (url: string): void => log.info({ http: url, ...buildInfo() }, 'HTTP listening');
  const gateway =
    config.role === 'workers'
      ? await startWorkerProcess(config, { log, onListening })
      : config.role === 'api'
        ? await startApiProcess(config, { log, onListening })
        : await startGateway(config, { log, onListening });
  log.info({ http: gateway.httpUrl, role: config.role }, 'gateway started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // The drain has a deadline: with Redis or the SMSC gone, closing can wait forever. Everything
    // acknowledged is already in Redis (replies are acknowledged only once stored).
    setTimeout(() => {
      log.error({ drainMs: DRAIN_MS }, 'drain time exceeded; exiting');
      process.exit(1);
    }, DRAIN_MS).unref();
    gateway
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof GatewayError) {
    // Bad configuration, a bad carriers or templates file: one clear line, no stack trace.
    process.stderr.write(`gateway-1414: ${err.code}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `gateway-1414: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
