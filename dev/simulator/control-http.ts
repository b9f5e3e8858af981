/**
 * A small HTTP control port for the simulator (node:http, JSON), so operators and the demo can
 * inject replies and faults by hand:
 *
 * | method and path       | body / query                                             | answer                 |
 * | --------------------- | -------------------------------------------------------- | ---------------------- |
 * | `POST /mo`            | `{from, text, to?, encoding?, parts?, order?, duplicate?, refBits?, ref?, connection?}` | `{pdus, statuses}` |
 * | `POST /faults`        | any of the `Faults` fields                               | the faults in force    |
 * | `GET /faults`         |                                                          | the faults in force    |
 * | `POST /final-state`   | `{msisdn, state}`                                        | `{ok}`                 |
 * | `POST /receipt`       | `{messageId, state?, err?}`                              | the deliver_sm_resp    |
 * | `POST /drop`          |                                                          | `{dropped}`            |
 * | `GET /messages`       | `?to=&from=`                                             | whole messages         |
 * | `GET /replies`        | `?from=`                                                 | citizen replies sent   |
 * | `GET /submits`        | `?to=`                                                   | submit_sm received     |
 * | `GET /stats`          |                                                          | counters               |
 * | `GET /phone`          | `?msisdn=`                                               | the phone page (HTML)  |
 *
 * Bad input gets 400 with `{error}`; an impossible request (no bound ESME, unknown message id) 409.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { ReceivedSubmit } from './desk.js';
import { FINAL_STATES } from './receipts.js';
import type { FinalState } from './receipts.js';
import type { WholeMessage } from './reassembly.js';
import type { CarrierSimulator } from './server.js';

const stateSchema = z.enum(Object.keys(FINAL_STATES) as [FinalState, ...FinalState[]]);

const moSchema = z.strictObject({
  from: z.string().regex(/^\d{5,15}$/),
  text: z.string().min(1),
  to: z.string().min(1).optional(),
  encoding: z.enum(['gsm7', 'ucs2']).optional(),
  parts: z.int().min(1).max(255).optional(),
  order: z.array(z.int().min(1)).min(1).optional(),
  duplicate: z.int().min(1).max(10).optional(),
  refBits: z.union([z.literal(8), z.literal(16)]).optional(),
  ref: z.int().min(0).max(0xffff).optional(),
  connection: z.int().optional(),
});

const faultsSchema = z
  .strictObject({
    throttlePerSecond: z.int().min(0),
    throttleEvery: z.int().min(0),
    throttleStatus: z.int().min(0),
    rejectStatus: z.int().min(0),
    rejectTo: z.array(z.string()),
    partStatus: z.record(z.string().regex(/^[1-9]\d*$/), z.int().min(0).nullable()),
    responseDelayMs: z.int().min(0),
    noResponse: z.boolean(),
    dropAfterSubmits: z.int().min(0),
    dropMode: z.enum(['noresp', 'resp']),
    ignoreEnquireLink: z.boolean(),
  })
  .partial();

const finalStateSchema = z.strictObject({ msisdn: z.string().min(1), state: stateSchema });
const receiptSchema = z.strictObject({
  messageId: z.string().min(1),
  state: stateSchema.optional(),
  err: z
    .string()
    .regex(/^\d{3}$/)
    .optional(),
});

/** JSON view of a submit: buffers as hex. */
function submitView(s: ReceivedSubmit): Record<string, unknown> {
  const { shortMessage, body: _body, udh, tlvs, ...rest } = s;
  return {
    ...rest,
    shortMessageHex: shortMessage.toString('hex'),
    udhHex: udh ? shortMessage.subarray(0, udh.length).toString('hex') : undefined,
    tlvs: tlvs.map((t) => ({ tag: t.tag, name: t.name, hex: t.value.toString('hex') })),
  };
}

/** JSON view of a whole message. */
function messageView(m: WholeMessage): Record<string, unknown> {
  const { parts, ...rest } = m;
  return { ...rest, parts: parts.length };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, z.prettifyError(result.error));
  return result.data;
}

/** Drops undefined values: exactOptionalPropertyTypes forbids passing them on. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

type Route = (sim: CarrierSimulator, body: unknown, query: URLSearchParams) => Promise<unknown>;

const ROUTES: Readonly<Record<string, Route>> = {
  'POST /mo': async (sim, body) => {
    const { connection, ...spec } = parse(moSchema, body);
    return sim.injectReply(defined(spec), connection === undefined ? {} : { connection });
  },
  'POST /faults': (sim, body) => Promise.resolve(sim.setFaults(defined(parse(faultsSchema, body)))),
  'GET /faults': (sim) => Promise.resolve(sim.faults),
  'POST /final-state': (sim, body) => {
    const { msisdn, state } = parse(finalStateSchema, body);
    sim.setFinalState(msisdn, state);
    return Promise.resolve({ ok: true });
  },
  'POST /receipt': (sim, body) => {
    const { messageId, state, err } = parse(receiptSchema, body);
    return sim.sendReceipt(messageId, state, err);
  },
  'POST /drop': async (sim) => ({ dropped: await sim.drop() }),
  'GET /messages': (sim, _body, query) => {
    const to = query.get('to');
    const from = query.get('from');
    const chosen = sim.messages.filter(
      (m) => (to === null || m.destination === to) && (from === null || m.source === from),
    );
    return Promise.resolve(chosen.map(messageView));
  },
  'GET /replies': (sim, _body, query) => {
    const from = query.get('from');
    return Promise.resolve(sim.replies.filter((r) => from === null || r.from === from));
  },
  'GET /submits': (sim, _body, query) => {
    const to = query.get('to');
    return Promise.resolve(sim.submits.filter((s) => to === null || s.destination === to).map(submitView));
  },
  'GET /stats': (sim) => Promise.resolve(sim.stats()),
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** A citizen's phone for demos and agent training: the SMS from 1414 and a box to reply. */
const PHONE_PAGE = readFileSync(new URL('./phone.html', import.meta.url));

async function serve(sim: CarrierSimulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control');
  if (req.method === 'GET' && (url.pathname === '/phone' || url.pathname === '/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PHONE_PAGE);
    return;
  }
  const route = ROUTES[`${req.method ?? 'GET'} ${url.pathname}`];
  if (!route) return send(res, 404, { error: `no route ${req.method ?? ''} ${url.pathname}` });
  try {
    send(res, 200, await route(sim, await readJson(req), url.searchParams));
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 409;
    send(res, status, { error: error instanceof Error ? error.message : String(error) });
  }
}

/** A running control server. */
export interface ControlServer {
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:2776 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the control server for `sim`; port 0 (default) picks a free port. */
export async function startControlServer(
  sim: CarrierSimulator,
  options: { port?: number; host?: string } = {},
): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => void serve(sim, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
