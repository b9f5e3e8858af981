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
      if (down.size > 0) errors++;
      else log.warn({ dependency, source, err: err.message }, `${source} error`);
    },
  };
}
