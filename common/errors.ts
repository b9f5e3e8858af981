/**
 * The error catalogue: every error the gateway reports to an operator or a
 * client has a stable code here, with what to change. Codes are a persisted,
 * public format (logs, API answers, runbooks): DO NOT RENAME a code; add new
 * ones. `docs/errors.md` is generated from this table and a test keeps it in step
 * (as fastify keeps docs/Reference/Errors.md).
 */

export interface ErrorSpec {
  /** HTTP status when the error reaches an API client; 500 only for GW_INTERNAL. */
  readonly status: number;
  /** What happened, for the message. */
  readonly title: string;
  /** What to change: the line an operator or integrator acts on. */
  readonly fix: string;
}

export const ERRORS = {
  GW_CONFIG_INVALID: {
    status: 500,
    title: 'A configuration variable is missing or invalid; the gateway does not start.',
    fix: 'Set the variable named in the message to a valid value (see README, Configuration).',
  },
  GW_CARRIERS_FILE_INVALID: {
    status: 500,
    title: 'CARRIERS_FILE cannot be read or does not match the carriers schema.',
    fix: 'Fix the JSON at the path given; docs/smpp.md shows a complete example.',
  },
  GW_PORTABILITY_FILE_INVALID: {
    status: 500,
    title:
      'PORTABILITY_FILE cannot be read or names an operator no carrier claims; the table in force stays (empty at start-up).',
    fix: 'Fix the file at the path logged (docs/smpp.md, "Ported numbers") and move it into place; it is read again within 10 s.',
  },
  GW_REDIS_UNAVAILABLE: {
    status: 503,
    title: 'Redis cannot be reached; nothing is accepted that could not be stored.',
    fix: 'Check REDIS_URL / REDIS_CLUSTER_NODES and that Redis is up. Carriers retry replies meanwhile.',
  },
  GW_SMPP_BIND_FAILED: {
    status: 503,
    title: 'The SMSC refused or dropped the bind.',
    fix: 'Check SMPP_SYSTEM_ID, SMPP_PASSWORD and SMPP_SYSTEM_TYPE with the carrier; the gateway keeps retrying with backoff.',
  },
  GW_WEBHOOK_DELIVERY_FAILED: {
    status: 502,
    title:
      'A webhook endpoint did not answer 2xx in time; the event is retried, and kept as a dead letter after the last try.',
    fix: 'Check the endpoint of the webhook named in the log (WEBHOOKS_FILE); replay dead letters once it answers (docs/integration.md).',
  },
  GW_TEMPLATE_INVALID: {
    status: 500,
    title: 'An SMS template is missing, differs between languages, or needs a variable that was not given.',
    fix: 'Fix the template file or the invitation params named in the message; templates render strictly.',
  },
  GW_NO_TEMPLATE_SET: {
    status: 422,
    title: 'No template set of the service is in force today: no act in templates/sets/ gives its SMS texts.',
    fix: 'Send the invitation while an act is in force, or add the set of the act now in force (docs/templates.md, "Template sets").',
  },
  GW_SERVICE_INVALID: {
    status: 500,
    title: 'A service definition in services/ does not validate.',
    fix: 'Fix the service file named in the message (see docs/dialogues.md).',
  },
  GW_CALENDAR_INVALID: {
    status: 500,
    title: 'The working-day calendar data does not validate.',
    fix: 'Fix the calendar JSON (see docs/calendar.md).',
  },
  GW_UNAUTHENTICATED: {
    status: 401,
    title: 'No API key, or a key that is not known.',
    fix: 'Send `Authorization: Bearer <key>` with a key from API_KEYS.',
  },
  GW_FORBIDDEN: {
    status: 403,
    title: 'The API key is valid but its role may not do this.',
    fix: 'Use a key with the role the endpoint names (system, test, agent or supervisor).',
  },
  GW_VALIDATION_FAILED: {
    status: 400,
    title: 'The request body or query does not match the API.',
    fix: 'Correct the fields listed in `details`; see docs/api.md and /openapi.json.',
  },
  GW_NOT_FOUND: {
    status: 404,
    title: 'No such resource.',
    fix: 'Check the id or path.',
  },
  GW_METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'This path does not take this method.',
    fix: 'Use a method the `Allow` header names; see docs/api.md and /openapi.json.',
  },
  GW_CONFLICT: {
    status: 409,
    title: 'The request conflicts with the current state (e.g. an event for a conversation that has ended).',
    fix: 'Read its current state (a system: GET /v1/invitations/{service}/{externalId}; an agent: GET /v1/conversations/{id}; `details.state` has it too) and act on that.',
  },
  GW_CONVERSATION_BUSY: {
    status: 503,
    title:
      'The conversation changed under this request again and again (replies, deadlines and events at once); nothing was changed.',
    fix: 'Send the same request again in a moment: it is idempotent.',
  },
  GW_INVITATION_MISMATCH: {
    status: 409,
    title:
      'An invitation repeats a (service, externalId) that already started a conversation, with another msisdn, language or params.',
    fix: 'Send the first invitation unchanged (it answers `created: false`), or give the new one its own externalId; `details` names each field that differs.',
  },
  GW_PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'The request body is larger than the API accepts.',
    fix: 'Split the batch into smaller requests.',
  },
  GW_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'The request headers are larger than the API reads (16 KB in all).',
    fix: 'Send the key and the JSON body only; no large cookies or custom headers.',
  },
  GW_MALFORMED_REQUEST: {
    status: 400,
    title: 'The request is not HTTP/1.1 the API can read (its head could not be parsed).',
    fix: 'Send a well-formed HTTP/1.1 request; check the client or proxy in front of the gateway.',
  },
  GW_REQUEST_TIMEOUT: {
    status: 408,
    title: 'The request did not arrive whole in time (headers within seconds, the body within 15 s).',
    fix: 'Send the request again over a faster link, or split a large batch.',
  },
  GW_RATE_LIMITED: {
    status: 429,
    title: 'Too many requests from this key.',
    fix: 'Wait for the time in Retry-After.',
  },
  GW_AUDIT_SCANS_BUSY: {
    status: 429,
    title:
      'Too many filtered reads of the audit log (`?conversationId=`, `?actor=`) are running at once: 4 in a gateway process, 2 of one person.',
    fix: 'Wait for the time in Retry-After and ask again; go on from `next` rather than starting over, one filter at a time.',
  },
  GW_STORE_FORMAT: {
    status: 503,
    title:
      'A value in Redis has a stored format this process does not know (docs/storage.md); nothing was changed.',
    fix: 'Run every process on the same release (formats change only as ADR 0004 says); a pre-release Redis needs a new KEY_PREFIX.',
  },
  GW_INTERNAL: {
    status: 500,
    title: 'An unexpected error; nothing was changed.',
    fix: "Report the answer's `X-Request-Id` (also in the message) to the operators: every log line of that request carries it.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a catalogue code; `details` carries field-level messages for clients. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

/** What was thrown, as an Error (a batch's results keep each step's failure). */
export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** The fields naming a catalogue code in a log line an operator acts on: `log.error({ ...logCode('GW_…'), … })`. */
export function logCode(code: ErrorCode): { readonly code: ErrorCode } {
  return { code };
}

/** The markdown of docs/errors.md, generated from ERRORS. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS).map(
    ([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.title} | ${spec.fix} |`,
  );
  return [
    '# Error catalogue',
    '',
    '<!-- Generated from common/errors.ts by `npm run docs:errors`; a test keeps it in step. -->',
    '',
    'Every error the gateway reports has a stable code. API answers carry it as',
    '`{ "error": { "code", "message", "details"? } }`; start-up failures print it on one line.',
    '',
    '| code | HTTP | what happened | what to change |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
