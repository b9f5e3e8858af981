/**
 * Random HTTP requests to the gateway's API: random methods, paths, headers, keys of every role
 * (and wrong ones), and bodies (random JSON, invitations and events with one field mutated, huge,
 * deep, invalid UTF-8, wrong content types). The gateway owes each one an answer below 500.
 * Longer than 300 lines: one generator per kind of request, sharing the keys and the bodies.
 */
import { request, Agent } from 'node:http';
import type { Random } from './random.js';

export interface ApiKeys {
  readonly system: string;
  readonly agent: string;
  readonly supervisor: string;
}

export interface HttpCase {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

export interface HttpOutcome {
  /** The status, or the client-side error code (`ECONNRESET`, `timeout`). */
  readonly status: number | string;
  readonly case: HttpCase;
}

const SERVICES = ['home-schooling', 'school-meals', 'social-portal'];
const BANK = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' };
const BANKS = [
  BANK,
  { code: 'HSBK', nameKk: 'Halyk Bank', nameRu: 'Народный банк (Halyk)' },
  { code: 'HCSK', nameKk: 'Отбасы банк', nameRu: 'Отбасы банк' },
];
const PARAMS: Record<string, Record<string, unknown>> = {
  'home-schooling': {
    fullName: 'Айгүл Сейітқызы',
    serviceCode: '123',
    banks: [BANK],
    integratedBanks: BANKS,
  },
  'school-meals': { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
  'social-portal': { fullName: 'Айгүл Сейітқызы', dataReceivedOn: '2026-11-20' },
};

/** A valid invitation for `msisdn`: the fuzz mutates one field of it. */
export function validInvitation(r: Random, msisdn: string, externalId: string): Record<string, unknown> {
  const service = r.pick(SERVICES);
  return {
    service,
    externalId,
    msisdn,
    language: r.pick(['kk', 'ru']),
    params: structuredClone(PARAMS[service]),
  };
}

/** A random JSON value, `depth` levels at most. */
export function randomJson(r: Random, depth = 3): unknown {
  const leaf = (): unknown =>
    r.weighted<() => unknown>([
      [2, () => r.string(r.int(0, 30), 'abcабв әғ0123{}#\n"\\\u0000\u202e😀')],
      [2, () => r.int(-1e6, 1e6)],
      [1, () => r.pick([0, -0, 1e308, -1e308, 0.1, 2 ** 53 + 1])],
      [1, () => r.pick([true, false, null])],
    ])();
  if (depth <= 0 || r.chance(0.4)) return leaf();
  if (r.chance(0.5)) return Array.from({ length: r.int(0, 5) }, () => randomJson(r, depth - 1));
  const keys = [
    'service',
    'externalId',
    'msisdn',
    'language',
    'params',
    'type',
    'conversationId',
    'bank',
    'outcome',
    'x',
    '__proto__',
    'constructor',
  ];
  return Object.fromEntries(
    Array.from({ length: r.int(0, 6) }, () => [r.pick(keys), randomJson(r, depth - 1)]),
  );
}

/** Replaces, removes or retypes one field somewhere in `value`. */
function mutateOne(r: Random, value: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(value);
  const paths: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        paths.push([node, i]);
        walk(v);
      });
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        paths.push([node as Record<string, unknown>, k]);
        walk(v);
      }
    }
  };
  walk(copy);
  if (paths.length === 0) return copy;
  const [parent, key] = r.pick(paths);
  const replacement = r.weighted<() => unknown>([
    [3, () => randomJson(r, 2)],
    [1, () => 'x'.repeat(r.pick([0, 1, 64, 65, 129, 201, 5000, 100_000]))],
    [1, () => r.pick(['{{x}}', 'a\nb', '\ud800', 'a\u0000b', '\u202eabc', 'Ли Ан', '  ', '123#3#1'])],
    [1, () => undefined],
  ])();
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key as string];
  } else if (Array.isArray(parent)) parent[Number(key)] = replacement;
  else parent[key as string] = replacement;
  return copy;
}

export interface HttpContext {
  readonly keys: ApiKeys;
  /** Conversation ids and numbers the setup invited: paths and events name them. */
  readonly conversations: readonly string[];
  readonly numbers: readonly string[];
}

const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'POST',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'FOO',
];

function randomPath(r: Random, ctx: HttpContext): string {
  const id = (): string =>
    r.weighted<() => string>([
      [3, () => (ctx.conversations.length > 0 ? r.pick(ctx.conversations) : 'abc')],
      [1, () => r.string(r.int(0, 70), 'abcdefghijklmnopqrstuvwxyz0123456789')],
      [1, () => encodeURIComponent(r.string(r.int(1, 20), 'аб%/.\\?#\u0000 '))],
      [1, () => r.pick(['..', '%2e%2e', '%ff', '%', 'null', 'undefined', '__proto__'])],
    ])();
  const msisdn = (): string =>
    ctx.numbers.length > 0 && r.chance(0.6) ? r.pick(ctx.numbers) : r.digits(r.int(0, 14));
  const query = (): string =>
    r.weighted<() => string>([
      [3, () => ''],
      [2, () => `?msisdn=${encodeURIComponent(msisdn())}`],
      [
        1,
        () =>
          `?unmask=${r.pick(['true', 'false', 'yes'])}&reason=${encodeURIComponent(r.pick(['', 'x', 'citizen-call', 'the citizen called about it']))}`,
      ],
      [
        1,
        () =>
          `?limit=${r.pick(['0', '1', '200', '201', '-1', 'abc', '1e9'])}&cursor=${r.digits(r.int(0, 40))}&offset=${r.int(-5, 5000)}`,
      ],
      [1, () => `?${r.string(r.int(1, 200), 'a=&%[]?.')}`],
    ])();
  const path = r.weighted<() => string>([
    [10, () => r.pick(['/v1/invitations', '/v1/events', '/v1/previews', '/v1/invitations:batch'])],
    [4, () => `/v1/conversations/${id()}`],
    [2, () => '/v1/conversations'],
    [1, () => `/v1/conversations/${id()}/version`],
    [1, () => `/v1/conversations/${id()}/${r.pick(['resend', 'notes'])}`],
    [1, () => `/v1/worklists/${r.pick(['undelivered', 'deadlines-today', 'not-understood', 'x', id()])}`],
    [1, () => `/v1/invitations/${r.pick(SERVICES)}/${id()}`],
    [1, () => `/v1/campaigns/${id()}${r.pick(['', '/pace', '/pause', '/resume'])}`],
    [1, () => r.pick(['/v1/audit', '/v1/me', '/v1/keys', `/v1/keys/${r.digits(12)}/revoke`])],
    [1, () => `/v1/webhooks/${id()}/dead-letters${r.pick(['', `/${id()}/replay`])}`],
    [
      2,
      () =>
        r.pick([
          '/healthz',
          '/readyz',
          '/metrics',
          '/openapi.json',
          '/',
          '/console/',
          '/console/i18n/ru',
          '/console/i18n/xx',
        ]),
    ],
    [2, () => `/${r.string(r.int(0, 30), 'abcv1/._-%')}`],
    [1, () => `/v1/${'a/'.repeat(r.int(1, 3000))}`],
    [
      1,
      () =>
        r.pick(['/V1/AUDIT', '/v1//conversations', '/v1/conversations/', '/./v1/me', '//healthz', '/v1/%00']),
    ],
  ])();
  return path + query();
}

function authorization(r: Random, keys: ApiKeys): string | undefined {
  return r.weighted<() => string | undefined>([
    [3, () => `Bearer ${keys.system}`],
    [2, () => `Bearer ${keys.agent}`],
    [2, () => `Bearer ${keys.supervisor}`],
    [1, () => undefined],
    [1, () => `Bearer ${r.string(r.int(0, 64), 'abcdef0123456789-')}`],
    [
      1,
      () =>
        r.pick([
          `bearer ${keys.system}`,
          `Bearer ${keys.system.slice(0, -1)}`,
          `Bearer ${keys.system}x`,
          keys.agent,
          `Basic ${Buffer.from('a:b').toString('base64')}`,
          'Bearer',
          `Bearer  ${keys.supervisor}`,
        ]),
    ],
  ])();
}

function randomBody(r: Random, ctx: HttpContext, path: string): { body: Buffer; type?: string } {
  const json = (value: unknown) => ({
    body: Buffer.from(JSON.stringify(value) ?? 'null'),
    type: 'application/json',
  });
  const event = (): Record<string, unknown> => {
    const conversationId = ctx.conversations.length > 0 ? r.pick(ctx.conversations) : 'abc';
    return r.pick([
      { type: 'account-opened', conversationId, bank: r.pick(BANKS) },
      { type: 'decision', conversationId, outcome: 'assigned' },
      { type: 'decision', conversationId, outcome: 'rejected', params: { reason: 'income' } },
      { type: 'supplier-chosen', conversationId, supplier: { name: 'x' } },
    ]);
  };
  const invitation = (): Record<string, unknown> =>
    validInvitation(
      r,
      ctx.numbers.length > 0 && r.chance(0.3) ? r.pick(ctx.numbers) : `77${r.digits(9)}`,
      `fz-${r.digits(10)}`,
    );
  return r.weighted<() => { body: Buffer; type?: string }>([
    [4, () => json(mutateOne(r, path.startsWith('/v1/events') ? event() : invitation()))],
    [2, () => json(path.startsWith('/v1/events') ? event() : invitation())],
    [2, () => json(randomJson(r, 4))],
    [
      1,
      () =>
        json({
          invitations: Array.from({ length: r.int(0, 20) }, () =>
            r.chance(0.5) ? invitation() : mutateOne(r, invitation()),
          ),
        }),
    ],
    [
      1,
      () =>
        json({
          reason: r.pick(['', 'abcde', 'the citizen called', 'x'.repeat(600)]),
          smsId: r.pick(['1.0', '0.0r', 'x']),
          text: r.string(r.int(0, 1200), 'ab '),
        }),
    ],
    [
      1,
      () => ({
        body: Buffer.from('['.repeat(r.pick([33, 1000, 100_000])) + ']'.repeat(r.int(0, 10))),
        type: 'application/json',
      }),
    ],
    [
      0.5,
      () => ({
        body: Buffer.from(`{"params":{"fullName":"${'я'.repeat(r.pick([1000, 600_000]))}"}}`),
        type: 'application/json',
      }),
    ],
    [
      1,
      () => ({
        body: Buffer.concat([Buffer.from('{"service":"'), r.bytes(r.int(1, 30)), Buffer.from('"}')]),
        type: 'application/json; charset=utf-8',
      }),
    ],
    [
      1,
      () => ({
        body: Buffer.from(JSON.stringify(invitation())).subarray(0, r.int(0, 40)),
        type: 'application/json',
      }),
    ],
    [
      1,
      () => ({
        body: Buffer.from(JSON.stringify(invitation())),
        type: r.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'application/xml',
          'application/json, text/plain',
          '*/*',
        ]),
      }),
    ],
    [1, () => ({ body: r.bytes(r.int(0, 4096)) })],
    [
      0.1,
      () => ({
        body: Buffer.alloc(r.pick([5 * 1024 * 1024 + 1, 20 * 1024 * 1024]), 0x20),
        type: 'application/json',
      }),
    ],
  ])();
}

/** One random request. */
export function randomRequest(r: Random, ctx: HttpContext): HttpCase {
  const method = r.pick(METHODS);
  const path = randomPath(r, ctx);
  const headers: Record<string, string> = {};
  const auth = authorization(r, ctx.keys);
  if (auth !== undefined) headers.authorization = auth;
  if (r.chance(0.2)) headers['x-request-id'] = r.string(r.int(0, 300), 'abcdef0123456789-_ .:/');
  if (r.chance(0.1))
    headers['accept-language'] = r.pick(['kk', 'ru', 'en', '*', 'kk-KZ;q=0.9, ru;q=0.8', 'x'.repeat(500)]);
  if (r.chance(0.05)) headers['content-encoding'] = r.pick(['gzip', 'deflate', 'br', 'identity', 'x']);
  if (r.chance(0.05)) headers['x-forwarded-for'] = r.pick(['1.2.3.4', '::1', 'x', '1.1.1.1, 2.2.2.2']);
  if (r.chance(0.02)) headers['x-fuzz'] = 'x'.repeat(r.pick([8_000, 20_000, 70_000]));
  if (r.chance(0.02)) for (let i = 0; i < r.pick([50, 150]); i++) headers[`x-h${i}`] = String(i);
  const withBody = method !== 'GET' && method !== 'HEAD' ? r.chance(0.9) : r.chance(0.1);
  if (!withBody) return { method, path, headers };
  const { body, type } = randomBody(r, ctx, path);
  if (type !== undefined && r.chance(0.95)) headers['content-type'] = type;
  return { method, path, headers, body };
}

/** Sends HTTP cases to one base URL with at most `concurrency` open at once. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: URL,
    concurrency: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  send(c: HttpCase, fresh = false): Promise<HttpOutcome> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (status: number | string): void => {
        if (done) return;
        done = true;
        resolve({ status, case: c });
      };
      let req;
      try {
        req = request(
          {
            host: this.base.hostname,
            port: this.base.port,
            method: c.method,
            path: c.path,
            headers: { ...c.headers, ...(c.body ? { 'content-length': String(c.body.length) } : {}) },
            agent: fresh ? false : this.agent,
            timeout: this.timeoutMs,
          },
          (res) => {
            res.on('data', () => undefined);
            res.on('end', () => finish(res.statusCode ?? 'no-status'));
            res.on('error', () => finish(res.statusCode ?? 'response-error'));
          },
        );
      } catch (err) {
        // Node refused to send it (a header it considers invalid): not the gateway's answer.
        finish(`client-refused:${(err as NodeJS.ErrnoException).code ?? 'error'}`);
        return;
      }
      req.on('timeout', () => {
        req.destroy();
        finish('timeout');
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'error'));
      if (c.body) req.end(c.body);
      else req.end();
    });
  }

  /**
   * A plain GET on a connection of its own (a kept-alive one may be closed by the server just as
   * the request goes out), its status or error code.
   */
  async get(path: string): Promise<number | string> {
    return (await this.send({ method: 'GET', path, headers: {} }, true)).status;
  }

  /** A JSON request, its status and parsed body. */
  json(method: string, path: string, key: string, body: unknown): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'content-length': String(data.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
