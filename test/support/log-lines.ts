/**
 * The gateway's own logger (gateway/log.ts: redaction, level names, request ids) writing into
 * memory, so a test reads the lines a run wrote and waits for one as it is written.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../gateway/log.js';

export type LogLine = Record<string, unknown>;

export interface CapturedLog {
  readonly log: Logger;
  /** Every line so far, parsed. */
  lines(): LogLine[];
  /** Everything written so far, as written. */
  raw(): string;
  /** The first line (written or to come) matching `predicate`. */
  waitFor(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
}

export function captureLog(level = 'info'): CapturedLog {
  const parsed: LogLine[] = [];
  const chunks: string[] = [];
  const waiters = new Set<(line: LogLine) => boolean>();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      chunks.push(text);
      for (const row of text.split('\n').filter(Boolean)) {
        const line = JSON.parse(row) as LogLine;
        parsed.push(line);
        for (const waiter of waiters) if (waiter(line)) waiters.delete(waiter);
      }
      done();
    },
  });
  return {
    log: createLogger({ level, destination: stream }),
    lines: () => [...parsed],
    raw: () => chunks.join(''),
    waitFor(predicate, what, timeoutMs = 5000) {
      const seen = parsed.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no log line for ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (line: LogLine): boolean => {
          if (!predicate(line)) return false;
          clearTimeout(timer);
          resolve(line);
          return true;
        };
        waiters.add(waiter);
      });
    },
  };
}
