/**
 * Configuration: read once from the environment (CONTRACT.md, "Configuration"),
 * validated with zod, typed, frozen, and passed in — there is no global getConfig().
 * Every bad variable is reported at once, on one line, naming the variable
 * (as fastify's initial-config-validation does).
 * Longer than 300 lines: every setting checked in one place, so bad config stops start-up with one line.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { loadWebhooksFile, type WebhookConfig } from './webhooks/config.js';
import { GatewayError } from '../common/errors.js';
import { DEFAULT_SEND_WINDOW, parseSendWindow, type SendWindow } from '../dialogue/window.js';
import { sourceAddressing } from './smpp/address.js';

/** An empty value (`HTTP_PORT=` in an env file) is a mistake, not port 0 (any free port). */
const port = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? Number.NaN : v),
  z.coerce
    .number({ error: 'must be a port number (0-65535)' })
    .int('must be a port number (0-65535)')
    .min(0, 'must be a port number (0-65535)')
    .max(65535, 'must be a port number (0-65535)'),
);
/** A sender: a short code, a full number or a name (smpp/address.ts gives its TON and NPI). */
const sourceAddr = z.string().superRefine((value, ctx) => {
  const addressing = sourceAddressing(value);
  if ('error' in addressing) ctx.addIssue({ code: 'custom', message: addressing.error });
});
const positiveInt = z.coerce
  .number({ error: 'must be a positive integer' })
  .int('must be a positive integer')
  .positive('must be a positive integer');

/**
 * A bind's submits per second and PDUs in flight: above what any carrier grants a bind, a typo
 * (the send-time ring of SMPP_TPS holds one entry per submit of a second).
 */
const bindTps = positiveInt.max(10_000, 'must be at most 10000 submits a second per bind');
const bindWindow = positiveInt.max(1_000, 'must be at most 1000 PDUs in flight per bind');

/** `test`: an upstream system's test key, whose invitations never reach a carrier (docs/integration.md, "Test keys"). */
const ROLES = ['system', 'test', 'agent', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKey {
  readonly role: Role;
  readonly key: string;
}

/** Strict: a misspelt field (`route` for `routes`) would silently route a carrier's numbers elsewhere. */
const bindSchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(2775),
  systemId: z.string().min(1).max(15),
  password: z.string().max(8),
  systemType: z.string().max(12).default(''),
  /** `transceiver` (one bind both ways, the default) or `pair` (a transmitter and a receiver). */
  mode: z.enum(['transceiver', 'pair']).default('transceiver'),
  tls: z.boolean().default(false),
  /** Submits (segments) per second on this bind. */
  tps: bindTps.optional(),
  /** Requests in flight on this bind. */
  window: bindWindow.optional(),
  /** How many identical binds to open. */
  count: positiveInt.max(64, 'must be at most 64 binds').default(1),
});

const carrierSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
  sourceAddr: sourceAddr.optional(),
  /** TON and NPI of the sender where this carrier wants others than its form gives (smpp/address.ts). */
  sourceTon: z.number().int().min(0).max(6).optional(),
  sourceNpi: z.number().int().min(0).max(18).optional(),
  tps: bindTps.default(100),
  window: bindWindow.default(10),
  enquireLinkSeconds: positiveInt.default(30),
  /** MSISDN prefixes routed to this carrier (number portability makes routes configuration). */
  routes: z.array(z.string().regex(/^7\d{0,10}$/, 'a prefix of a 7XXXXXXXXXX number')).default([]),
  /** Concatenation method for long texts. */
  concat: z.enum(['udh8', 'udh16', 'sar', 'payload']).default('udh8'),
  binds: z.array(bindSchema).min(1),
  /** How the portability data file names this carrier, besides its id (case-insensitive). */
  portabilityNames: z.array(z.string().min(1).max(40)).optional(),
  /**
   * Answers of this carrier that mean "the number is not our subscriber" (ported away): the SMS
   * is sent once more through the next likely carrier and the number's carrier is learned.
   */
  notSubscriber: z
    .strictObject({
      /** submit_sm_resp command_status values, as numbers or "0x0B" (ESME_RINVDSTADR). */
      esme: z
        .array(
          z.union([
            z.number().int().min(1).max(0xffffffff),
            z
              .string()
              .regex(/^0x[0-9a-fA-F]{1,8}$/, 'a command_status: a number or "0x0B"')
              .transform((h) => parseInt(h, 16)),
          ]),
        )
        .default([]),
      /** `err:` values of UNDELIV / REJECTD receipts (e.g. "001"). */
      receiptErr: z.array(z.string().regex(/^[0-9A-Za-z]{1,10}$/, 'an err: code of a receipt')).default([]),
    })
    .optional(),
  /**
   * When every bind of this carrier has been down for `afterSeconds`, its SMS go through
   * `carrier` instead (that carrier must accept numbers of other networks).
   */
  failover: z.strictObject({ carrier: z.string().min(1), afterSeconds: positiveInt }).optional(),
});

const carriersFileSchema = z.strictObject({
  /** Every number needs a carrier: the one no route or ported entry names goes here. */
  defaultCarrier: z
    .string({ error: 'is required: the carrier id of every number no route names' })
    .min(1, 'is required: the carrier id of every number no route names'),
  carriers: z.array(carrierSchema).min(1),
});

export type BindConfig = z.infer<typeof bindSchema>;
export type CarrierConfig = z.infer<typeof carrierSchema>;

const API_KEYS_REQUIRED =
  'is required: role:key pairs, comma-separated (roles: system, test, agent, supervisor)';
const apiKeysSchema = z
  .string({ error: API_KEYS_REQUIRED })
  .min(1, API_KEYS_REQUIRED)
  .transform((value, ctx): ApiKey[] => {
    const keys: ApiKey[] = [];
    for (const pair of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const i = pair.indexOf(':');
      const role = pair.slice(0, i);
      const key = pair.slice(i + 1);
      if (i < 1 || !(ROLES as readonly string[]).includes(role) || key.length < 16) {
        // Never echo the key itself: it is a secret.
        ctx.addIssue({
          code: 'custom',
          message: `entry ${keys.length + 1} must be role:key with a role in ${ROLES.join('|')} and a key of 16+ characters`,
        });
        return z.NEVER;
      }
      const first = keys.findIndex((k) => k.key === key);
      if (first >= 0) {
        // One key, one role: the first would win, silently.
        ctx.addIssue({
          code: 'custom',
          message: `entry ${keys.length + 1} has the key of entry ${first + 1}: give each role a key of its own`,
        });
        return z.NEVER;
      }
      keys.push({ role: role as Role, key });
    }
    return keys;
  });

const envSchema = z.object({
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL (redis://host:6379)' })
    .default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be host:port,host:port')
    .refine(
      (nodes) => nodes.split(',').every((node) => Number(node.split(':')[1]) <= 65535),
      'must be host:port,host:port with ports 0-65535',
    )
    .optional(),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(8080),
  /** /metrics on a port of its own (not on the API's); on METRICS_HOST, default HTTP_HOST. */
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).optional(),
  SMPP_HOST: z.string().min(1).default('127.0.0.1'),
  SMPP_PORT: port.default(2775),
  // Empty (`SMPP_SYSTEM_ID=` in an env file) is not given: required where a bind is opened, unused elsewhere.
  SMPP_SYSTEM_ID: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(15).optional()),
  SMPP_PASSWORD: z.string().max(8, 'must be at most 8 characters (SMPP 3.4 §5.2.2)').optional(),
  SMPP_SYSTEM_TYPE: z.string().max(12).default(''),
  SMPP_SOURCE_ADDR: sourceAddr.default('1414'),
  SMPP_TPS: bindTps.default(100),
  SMPP_WINDOW: bindWindow.default(10),
  SMPP_ENQUIRE_LINK_S: positiveInt.default(30),
  CARRIERS_FILE: z.string().min(1).optional(),
  /** Signed webhooks of outcomes per system (gateway/webhooks/config.ts, docs/integration.md). */
  WEBHOOKS_FILE: z.string().min(1).optional(),
  API_KEYS: apiKeysSchema,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Days a finished conversation is kept before Redis expires it (personal data does not stay forever). */
  RETENTION_DAYS: positiveInt
    .min(3, 'must be at least 3 (days): late delivery receipts still read a finished conversation')
    .default(90),
  CALENDAR_FILE: z.string().min(1).optional(),
  /** Daily window (Almaty, working days) for notices the citizen did not ask for; `always` turns it off. */
  SEND_WINDOW: z
    .string()
    .default(DEFAULT_SEND_WINDOW)
    .transform((value, ctx): SendWindow => {
      const window = parseSendWindow(value);
      if ('error' in window) {
        ctx.addIssue({ code: 'custom', message: window.error });
        return z.NEVER;
      }
      return window;
    }),
  /**
   * What this process runs: `all` (binds, API, reply workers, deadlines), or a split for load:
   * `edge` (SMPP binds, the SMS sender and the HTTP API) beside `workers` (reply processing and
   * deadlines), so replies are acknowledged on an event loop that does not also decide them; and
   * `api` (the HTTP API alone: its SMS leave through the edges' binds), so invitations are committed
   * on an event loop that does not also hold a bind's window.
   */
  GATEWAY_ROLE: z.enum(['all', 'edge', 'workers', 'api']).default('all'),
  /** Ported numbers: `<msisdn> <operator>` per line (docs/smpp.md, "Ported numbers"). */
  PORTABILITY_FILE: z.string().min(1).optional(),
  /** Days the carrier learned for a number (from its replies, from "not our subscriber") is kept. */
  CARRIER_MEMORY_DAYS: positiveInt.default(30),
  /** validity_period of every SMS (a notice's also ends with the sending window). */
  SMS_VALIDITY_HOURS: positiveInt.default(24),
  /** An SMS not accepted by an SMSC this long after it was queued (temporary failures) fails. */
  SMS_MAX_AGE_HOURS: positiveInt.default(24),
  /** An SMS with no final receipt this long after it was sent is marked "delivery unknown". */
  RECEIPT_TIMEOUT_HOURS: positiveInt.default(72),
});

export interface Config {
  readonly redis: {
    readonly url: string;
    readonly clusterNodes: ReadonlyArray<{ host: string; port: number }>;
  };
  readonly http: { readonly host: string; readonly port: number };
  /** Where /metrics is served apart from the API (METRICS_PORT); undefined: on the API's port. */
  readonly metrics: { readonly host: string; readonly port: number } | undefined;
  readonly sourceAddr: string;
  readonly defaultCarrier: string;
  readonly carriers: readonly CarrierConfig[];
  readonly apiKeys: readonly ApiKey[];
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  readonly retentionDays: number;
  readonly calendarFile: string | undefined;
  /** SEND_WINDOW: when unsolicited notices may go out (dialogue/window.ts). */
  readonly sendWindow: SendWindow;
  readonly role: 'all' | 'edge' | 'workers' | 'api';
  readonly portabilityFile: string | undefined;
  readonly carrierMemoryDays: number;
  readonly smsValidityHours: number;
  readonly smsMaxAgeHours: number;
  readonly receiptTimeoutHours: number;
  /** WEBHOOKS_FILE's webhooks; none when it is unset. */
  readonly webhooks: readonly WebhookConfig[];
}

function fail(problems: string[]): never {
  throw new GatewayError('GW_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`);
}

function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  name: (path: PropertyKey[]) => string,
): string[] {
  return issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `${name(issue.path)} has an unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
      : `${name(issue.path)} ${issue.message}`,
  );
}

/** Route prefix → its carrier; a prefix given to two carriers is GW_CARRIERS_FILE_INVALID (which would win?). */
export function routeOwners(
  carriers: readonly { readonly id: string; readonly routes: readonly string[] }[],
): Map<string, string> {
  const owner = new Map<string, string>();
  for (const carrier of carriers) {
    for (const prefix of carrier.routes) {
      const other = owner.get(prefix);
      if (other !== undefined && other !== carrier.id)
        throw new GatewayError(
          'GW_CARRIERS_FILE_INVALID',
          `CARRIERS_FILE route prefix ${prefix} is given to both ${other} and ${carrier.id}`,
        );
      owner.set(prefix, carrier.id);
    }
  }
  return owner;
}

function loadCarriersFile(path: string): z.infer<typeof carriersFileSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GatewayError('GW_CARRIERS_FILE_INVALID', `CARRIERS_FILE ${path}: ${(err as Error).message}`);
  }
  const parsed = carriersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = issuesToProblems(parsed.error.issues, (p) =>
      p.length ? `CARRIERS_FILE ${p.join('.')}` : 'CARRIERS_FILE',
    );
    throw new GatewayError('GW_CARRIERS_FILE_INVALID', problems.join('; '));
  }
  const ids = new Set(parsed.data.carriers.map((c) => c.id));
  if (!ids.has(parsed.data.defaultCarrier)) {
    throw new GatewayError(
      'GW_CARRIERS_FILE_INVALID',
      `CARRIERS_FILE defaultCarrier "${parsed.data.defaultCarrier}" is not a carrier id`,
    );
  }
  for (const [i, c] of parsed.data.carriers.entries()) {
    if (c.failover && (!ids.has(c.failover.carrier) || c.failover.carrier === c.id))
      throw new GatewayError(
        'GW_CARRIERS_FILE_INVALID',
        `CARRIERS_FILE carriers.${i}.failover.carrier "${c.failover.carrier}" is not another carrier's id`,
      );
  }
  routeOwners(parsed.data.carriers);
  uniqueCarriers(parsed.data.carriers);
  return parsed.data;
}

function carriersFileError(message: string): GatewayError {
  return new GatewayError('GW_CARRIERS_FILE_INVALID', `CARRIERS_FILE ${message}`);
}

/**
 * What must belong to one carrier only: its id (bind ids and metric labels), its operator names in
 * the portability file (which carrier would a ported number go to?), and its SMSC accounts (an SMSC
 * sends a receipt to any bind of the account: the other carrier, keying receipts by its own
 * message ids, would never match it).
 */
function uniqueCarriers(carriers: readonly CarrierConfig[]): void {
  const ids = new Map<string, number>();
  const names = new Map<string, string>();
  const accounts = new Map<string, string>();
  for (const [i, c] of carriers.entries()) {
    const first = ids.get(c.id);
    if (first !== undefined)
      throw carriersFileError(`carriers.${i}.id "${c.id}" is the id of carriers.${first} too`);
    ids.set(c.id, i);
  }
  for (const c of carriers) {
    for (const name of [c.id, ...(c.portabilityNames ?? [])]) {
      const other = names.get(name.toLowerCase());
      if (other !== undefined && other !== c.id)
        throw carriersFileError(`portability name "${name}" is given to both ${other} and ${c.id}`);
      names.set(name.toLowerCase(), c.id);
    }
    for (const b of c.binds) {
      const account = `systemId "${b.systemId}" on ${b.host}:${b.port}`;
      const other = accounts.get(account);
      if (other !== undefined && other !== c.id)
        throw carriersFileError(`bind ${account} is given to both ${other} and ${c.id}`);
      accounts.set(account, c.id);
    }
  }
}

/** Parse and freeze the configuration, or throw one GatewayError naming every bad variable. */
/**
 * The variables that may be read from a file instead (Docker and Kubernetes secrets):
 * `API_KEYS_FILE=/run/secrets/api_keys` sets API_KEYS to the file's content (one trailing line
 * break dropped). Setting both is an error; the content is never echoed.
 */
export const SECRET_VARIABLES = [
  'API_KEYS',
  'SMPP_SYSTEM_ID',
  'SMPP_PASSWORD',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
] as const;

function withSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set: keep one`);
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(
        `${name}_FILE ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (problems.length) fail(problems);
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withSecretFiles(env));
  if (!parsed.success) fail(issuesToProblems(parsed.error.issues, (p) => String(p[0] ?? '(env)')));
  const e = parsed.data;
  let carriers: CarrierConfig[];
  let defaultCarrier: string;
  if (e.CARRIERS_FILE) {
    const file = loadCarriersFile(e.CARRIERS_FILE);
    carriers = file.carriers;
    defaultCarrier = file.defaultCarrier;
  } else {
    // A workers or API process opens no bind.
    const binds = e.GATEWAY_ROLE !== 'workers' && e.GATEWAY_ROLE !== 'api';
    const needed = binds ? (['SMPP_SYSTEM_ID', 'SMPP_PASSWORD'] as const) : [];
    const missing = needed.filter((k) => e[k] === undefined);
    if (missing.length) fail(missing.map((k) => `${k} is required (or set CARRIERS_FILE)`));
    carriers = [
      carrierSchema.parse({
        id: 'default',
        tps: e.SMPP_TPS,
        window: e.SMPP_WINDOW,
        enquireLinkSeconds: e.SMPP_ENQUIRE_LINK_S,
        binds: [
          {
            host: e.SMPP_HOST,
            port: e.SMPP_PORT,
            systemId: e.SMPP_SYSTEM_ID ?? '-',
            password: e.SMPP_PASSWORD ?? '',
            systemType: e.SMPP_SYSTEM_TYPE,
          },
        ],
      }),
    ];
    defaultCarrier = 'default';
  }
  const clusterNodes = (e.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .filter(Boolean)
    .map((hp) => {
      const [host = '', p = '0'] = hp.split(':');
      return { host, port: Number(p) };
    });
  return deepFreeze({
    redis: { url: e.REDIS_URL, clusterNodes },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    metrics:
      e.METRICS_PORT === undefined
        ? undefined
        : { host: e.METRICS_HOST ?? e.HTTP_HOST, port: e.METRICS_PORT },
    sourceAddr: e.SMPP_SOURCE_ADDR,
    defaultCarrier,
    carriers,
    apiKeys: e.API_KEYS,
    logLevel: e.LOG_LEVEL,
    retentionDays: e.RETENTION_DAYS,
    calendarFile: e.CALENDAR_FILE,
    sendWindow: e.SEND_WINDOW,
    role: e.GATEWAY_ROLE,
    portabilityFile: e.PORTABILITY_FILE,
    carrierMemoryDays: e.CARRIER_MEMORY_DAYS,
    smsValidityHours: e.SMS_VALIDITY_HOURS,
    smsMaxAgeHours: e.SMS_MAX_AGE_HOURS,
    receiptTimeoutHours: e.RECEIPT_TIMEOUT_HOURS,
    webhooks: e.WEBHOOKS_FILE ? loadWebhooksFile(e.WEBHOOKS_FILE) : [],
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
