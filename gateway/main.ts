/**
 * `npm start`: the composition root. Reads the configuration once, builds
 * the gateway, and owns shutdown (SIGTERM/SIGINT: stop taking work, drain,
 * unbind, close workers, close Redis).
 */
import { GatewayError } from '../common/errors.js';
import { buildInfo } from './build-info.js';
import { loadConfig } from './config.js';
import { startGateway, startWorkerProcess } from './gateway.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof GatewayError) {
      // One clear line, no stack trace (issue 2: "a wrong env value produces one clear line").
      process.stderr.write(`gateway-1414: ${err.code}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel });
  // HTTP listens at once; the rest waits for Redis as long as it takes (/readyz says what is missing).
  const onListening = (url: string): void => log.info({ http: url, ...buildInfo() }, 'HTTP listening');
  const gateway =
    config.role === 'workers'
      ? await startWorkerProcess(config, { log, onListening })
      : await startGateway(config, { log, onListening });
  log.info({ http: gateway.httpUrl, role: config.role }, 'gateway started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
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
  process.stderr.write(
    `gateway-1414: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
