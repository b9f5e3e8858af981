/**
 * Connection errors as state changes: while a dependency is unreachable, its clients fail every
 * reconnect attempt and everything riding on them (BullMQ queues and workers) reports errors too.
 * One line when it becomes unreachable, one when it is back, with how many errors were seen and
 * for how long; nothing in between.
 */
import type { Logger } from './log.js';

export interface ConnectionLog {
  /** An error of connection `client`: the dependency is unreachable until `client` is ready again. */
  clientError(client: string, err: Error): void;
  /** `client` is connected and ready. */
  ready(client: string): void;
  /**
   * An error of something riding on the connections (a queue, a worker): counted while the
   * dependency is unreachable, logged by itself otherwise (then it is not about the connection).
   */
  error(source: string, err: Error): void;
  /** True while no connection is down. */
  readonly up: boolean;
}

export function connectionLog(log: Logger, dependency: string, now: () => number = Date.now): ConnectionLog {
  const down = new Set<string>();
  let errors = 0;
  let since = 0;
  return {
    get up() {
      return down.size === 0;
    },
    clientError(client, err) {
      errors++;
      if (down.size === 0) {
        since = now();
        errors = 1;
        log.warn({ dependency, client, err: err.message }, `${dependency} unreachable`);
      }
      down.add(client);
    },
    ready(client) {
      if (!down.delete(client) || down.size > 0) return;
      log.info({ dependency, errors, downMs: now() - since }, `${dependency} reachable again`);
    },
    error(source, err) {
      // A connection's own error is the outage the clients report (a worker's blocking connection
      // may fail a moment before them): counted, at debug; anything else is logged by itself.
      if (down.size > 0 || isConnectionError(err)) {
        errors++;
        log.debug({ dependency, source, err: err.message }, `${source} error`);
      } else log.warn({ dependency, source, err: err.message }, `${source} error`);
    },
  };
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

function isConnectionError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_CODES.has(code)) || err.message.startsWith('Connection is closed');
}

/**
 * A BullMQ worker's errors: through `connections` (one line per outage of Redis, not one per
 * worker per reconnect attempt) when the process has one, logged as `<source> error` otherwise.
 */
export function logWorkerErrors(
  worker: { on(event: 'error', listener: (err: Error) => void): unknown },
  source: string,
  log: Logger,
  connections: ConnectionLog | undefined,
): void {
  worker.on('error', (err: Error) => {
    if (connections) connections.error(source, err);
    else log.error({ err: err.message }, `${source} error`);
  });
}
