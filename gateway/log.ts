/**
 * Structured logging with pino. Citizens' data is personal data: MSISDNs are
 * masked (`7701***4567`), names and message texts are never written. Log such
 * values only as fields with these names, never inside the message string.
 * Levels are written by name (`"level":"info"`). Every line written while an
 * HTTP request is handled carries its `requestId` (logContext).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type DestinationStream } from 'pino';
import { maskMsisdn } from '../common/msisdn.js';

export type { Logger };

const PHONE_FIELDS = ['msisdn', 'to', 'from', 'destination', 'source', 'source_addr', 'destination_addr'];
const SECRET_FIELDS = [
  'text',
  'raw',
  'short_message',
  'message_payload',
  'fullName',
  'parentFullName',
  'childFullName',
  'name',
  'params',
  'password',
  'authorization',
  'apiKey',
  'key',
];

/** The paths pino redacts, at the top level and one level down (`reply.text`, `req.headers.authorization`). */
export const REDACT_PATHS = [...PHONE_FIELDS, ...SECRET_FIELDS]
  .flatMap((f) => [f, `*.${f}`])
  .concat(['req.headers.authorization', 'req.headers["x-api-key"]']);

const phoneFields = new Set(PHONE_FIELDS);

function censor(value: unknown, path: string[]): unknown {
  const field = path[path.length - 1] ?? '';
  if (phoneFields.has(field) && typeof value === 'string')
    return /^\d{8,}$/.test(value) ? maskMsisdn(value) : value;
  return '[redacted]';
}

export interface LoggerOptions {
  readonly level?: string;
  /** Where to write; stdout by default. Tests pass a stream to read what was logged. */
  readonly destination?: DestinationStream;
}

/**
 * Fields every line written inside `logContext.run(fields, …)` carries: the HTTP request's id
 * (gateway/http/request-id.ts), so the business events a request causes name it.
 */
export const logContext = new AsyncLocalStorage<Readonly<Record<string, string>>>();

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'gateway-1414' },
      formatters: { level: (label) => ({ level: label }) },
      // A fresh object each time (pino assigns the line's fields into it); nothing for a logger
      // that already carries the request's id (requestLog, gateway/http/request-id.ts).
      mixin: (_line, _level, logger) => {
        const fields = logContext.getStore();
        if (!fields || logger.bindings().requestId !== undefined) return {};
        return { ...fields };
      },
      redact: { paths: REDACT_PATHS, censor },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
