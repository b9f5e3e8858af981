/**
 * Structured logging with pino. Citizens' data is personal data: MSISDNs are
 * masked (`7701***4567`), names and message texts are never written. Log such
 * values only as fields with these names, never inside the message string.
 */
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

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'gateway-1414' },
      redact: { paths: REDACT_PATHS, censor },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
