/**
 * One fuzz run against a running gateway: random HTTP requests to its API and random deliver_sm
 * from the SMSC it is bound to (the carrier simulator), at the same time, from one seed. Ends
 * with what the gateway owes: no 5xx, no hang, no exit, `/healthz` up throughout, every deliver_sm
 * answered, and every accepted reply in Redis once (ledger.ts).
 */
import type { Redis } from 'ioredis';
import type { CarrierSimulator } from '../simulator/index.js';
import { HttpClient, randomRequest, validInvitation, type ApiKeys, type HttpContext } from './http.js';
import { InboundLedger, type LedgerCounts } from './ledger.js';
import { Random } from './random.js';
import { SmscFuzzer, type SmppTally } from './smsc.js';

export interface FuzzTarget {
  /** The gateway's API, e.g. `http://127.0.0.1:8080`. */
  readonly httpUrl: string;
  readonly keys: ApiKeys;
  /** The SMSC the gateway is bound to. */
  readonly sim: CarrierSimulator;
  /** The gateway's Redis, its BullMQ prefix and its key prefix. */
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly keyPrefix: string;
  /** Undefined while the gateway runs; why it stopped otherwise (an exit code, a signal). */
  exited(): string | undefined;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly http: number;
  readonly smpp: number;
  /** Conversations invited first, so that replies and events find some. Default 40. */
  readonly invitations?: number;
  readonly httpConcurrency?: number;
  readonly smppWindow?: number;
  /** How long to wait at the end for every accepted reply to be decided. Default 300 s. */
  readonly settleMs?: number;
  /** Called every few seconds with a line on how far the run is. */
  readonly progress?: (line: string) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly wallSeconds: number;
  readonly httpSent: number;
  readonly httpStatuses: ReadonlyMap<string, number>;
  readonly http5xx: number;
  readonly httpTimeouts: number;
  /** `/readyz` answered 503 (a bind down): not counted as a 5xx. */
  readonly readyzNotReady: number;
  /** Connections reset under a request without a body or large headers (one with them may be cut short on purpose). */
  readonly smallResets: number;
  /** The first few requests answered 5xx or not at all, for a look at them. */
  readonly httpExamples: readonly string[];
  readonly healthChecks: number;
  readonly healthFailures: number;
  readonly exited: string | undefined;
  readonly smpp: SmppTally;
  readonly ledger: LedgerCounts;
  /** Accepted replies still undecided when the wait at the end ran out. */
  readonly undecided: number;
  readonly passed: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Invites `n` numbers through the API, for replies to find conversations and events to name them. */
async function setUp(client: HttpClient, keys: ApiKeys, r: Random, n: number): Promise<HttpContext> {
  const numbers: string[] = [];
  const conversations: string[] = [];
  for (let i = 0; i < n; i++) {
    const msisdn = `7700${r.digits(7)}`;
    const res = await client.json(
      'POST',
      '/v1/invitations',
      keys.system,
      validInvitation(r, msisdn, `fuzz-${r.seed}-${i}`),
    );
    if (res.status !== 202 && res.status !== 200)
      throw new Error(`setting up: an invitation was answered ${res.status}: ${JSON.stringify(res.body)}`);
    numbers.push(msisdn);
    conversations.push((res.body as { conversationId: string }).conversationId);
  }
  return { keys, numbers, conversations };
}

export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  const client = new HttpClient(new URL(target.httpUrl), options.httpConcurrency ?? 16);
  // Streams of their own: the HTTP side's timing never changes the PDUs, nor the PDUs the requests.
  const setupRandom = new Random(options.seed);
  const httpRandom = new Random(options.seed ^ 0x5bd1e995);
  const smppRandom = new Random(options.seed ^ 0x27d4eb2f);
  const ctx = await setUp(client, target.keys, setupRandom, options.invitations ?? 40);
  const ledger = new InboundLedger(target.redis, target.queuePrefix, target.keyPrefix);
  const smsc = new SmscFuzzer(target.sim, smppRandom, ctx.numbers, options.smppWindow ?? 10);

  const statuses = new Map<string, number>();
  const examples: string[] = [];
  let httpSent = 0;
  let http5xx = 0;
  let httpTimeouts = 0;
  let readyzNotReady = 0;
  let smallResets = 0;
  let healthChecks = 0;
  let healthFailures = 0;
  const stop = () => target.exited() !== undefined;

  const health = async (): Promise<void> => {
    healthChecks++;
    const status = await client.get('/healthz');
    if (status !== 200) {
      healthFailures++;
      if (examples.length < 10) examples.push(`${status} GET /healthz (health check)`);
    }
  };

  const httpSide = async (): Promise<void> => {
    const concurrency = options.httpConcurrency ?? 16;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < options.http && !stop()) {
          const i = next++;
          const c = randomRequest(httpRandom, ctx);
          const { status } = await client.send(c);
          httpSent++;
          const key = String(status);
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          // /readyz answers 503 while a bind is down (after a broken stream closed it): its contract.
          const notReady = status === 503 && c.path.split('?')[0] === '/readyz';
          if (notReady) readyzNotReady++;
          const fault = typeof status === 'number' && status >= 500 && !notReady;
          const bad = fault || status === 'timeout';
          if (fault) http5xx++;
          if (status === 'timeout') httpTimeouts++;
          // A body the gateway need not read (no key, no route) may be cut short, headers over the limit too.
          const small = (c.body?.length ?? 0) === 0 && JSON.stringify(c.headers).length < 8_000;
          if (status === 'ECONNRESET' && small) smallResets++;
          if (bad && examples.length < 10)
            examples.push(`${status} ${c.method} ${c.path.slice(0, 120)} (${c.body?.length ?? 0} bytes)`);
          if (i % 1000 === 999) await health();
        }
      }),
    );
  };

  let running = true;
  const watcher = (async () => {
    let last = Date.now();
    while (running) {
      await sleep(1_000);
      await ledger.poll().catch(() => undefined);
      if (Date.now() - last >= 5_000) {
        last = Date.now();
        await health();
        progress(
          `http ${httpSent}/${options.http}, deliver_sm ${smsc.tally.sent}/${options.smpp}, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
    }
  })();

  await health();
  await Promise.all([httpSide(), smsc.run(options.smpp, stop)]);

  // Every accepted reply decided, or the wait runs out.
  const settleUntil = Date.now() + (options.settleMs ?? 300_000);
  let undecided = ledger.undecided(smsc.tally);
  while (undecided > 0 && Date.now() < settleUntil && !stop()) {
    progress(`waiting for ${undecided} accepted replies to be decided`);
    await sleep(2_000);
    await ledger.poll();
    undecided = ledger.undecided(smsc.tally);
  }
  running = false;
  await watcher;
  await ledger.sweep();
  for (const path of ['/healthz', '/readyz']) {
    healthChecks++;
    const status = await client.get(path);
    if (status !== 200) {
      healthFailures++;
      examples.push(`${status} GET ${path} (after the run)`);
    }
  }
  client.close();

  const counts = await ledger.counts(smsc.tally);
  const exited = target.exited();
  const t = smsc.tally;
  const passed =
    http5xx === 0 &&
    httpTimeouts === 0 &&
    healthFailures === 0 &&
    exited === undefined &&
    t.unanswered === 0 &&
    t.strayAnswers === 0 &&
    counts.repliesLost === 0 &&
    counts.repliesTakenTwice === 0 &&
    counts.repliesFailed === 0 &&
    counts.partsLost === 0 &&
    counts.receiptsLost === 0 &&
    undecided === 0;
  return {
    seed: options.seed,
    wallSeconds: (Date.now() - started) / 1000,
    httpSent,
    httpStatuses: statuses,
    http5xx,
    httpTimeouts,
    readyzNotReady,
    smallResets,
    httpExamples: examples,
    healthChecks,
    healthFailures,
    exited,
    smpp: t,
    ledger: counts,
    undecided,
    passed,
  };
}

/** The report as `name=value` lines. */
export function reportLines(r: FuzzReport): string[] {
  const t = r.smpp;
  const l = r.ledger;
  const sorted = <V>(m: ReadonlyMap<string, V>) => [...m].sort(([a], [b]) => a.localeCompare(b));
  return [
    `seed=${r.seed}`,
    `result=${r.passed ? 'pass' : 'FAIL'}`,
    `wall_seconds=${r.wallSeconds.toFixed(1)}`,
    `http_requests=${r.httpSent}`,
    `http_5xx=${r.http5xx}`,
    `http_timeouts=${r.httpTimeouts}`,
    `http_readyz_not_ready=${r.readyzNotReady}`,
    `http_resets_without_body=${r.smallResets}`,
    ...sorted(r.httpStatuses).map(([s, n]) => `http_status_${s}=${n}`),
    ...r.httpExamples.map((e, i) => `http_example_${i}=${e}`),
    `healthz_checks=${r.healthChecks}`,
    `healthz_failures=${r.healthFailures}`,
    `gateway_exited=${r.exited ?? 'no'}`,
    `deliver_sm_sent=${t.sent}`,
    ...Object.entries(t.byKind).map(([k, n]) => `deliver_sm_${k}=${n}`),
    ...sorted(t.answers).map(([k, n]) => `answer_${k.replace(' ', '_')}=${n}`),
    `deliver_sm_unanswered=${t.unanswered}`,
    `stray_answers=${t.strayAnswers}`,
    `binds_closed_by_gateway=${t.closedBinds}`,
    `pdus_waited_on=${t.waitedOn}`,
    `odd_accepted=${t.oddAccepted}`,
    `replies_accepted=${l.repliesAccepted}`,
    `replies_stored=${l.repliesStored}`,
    `replies_decided=${l.repliesDecided}`,
    `replies_undecided=${r.undecided}`,
    `replies_lost=${l.repliesLost}`,
    `replies_taken_twice=${l.repliesTakenTwice}`,
    `reply_copies_stored=${l.replyCopies}`,
    `replies_failed=${l.repliesFailed}`,
    `replies_answered_retry_later=${t.retryLater.size}`,
    ...sorted(l.results).map(([k, n]) => `reply_result_${k}=${n}`),
    `parts_waiting_for_the_rest=${l.partsWaiting}`,
    `parts_lost=${l.partsLost}`,
    `receipts_accepted=${l.receiptsAccepted}`,
    `receipts_stored=${l.receiptsStored}`,
    `receipts_lost=${l.receiptsLost}`,
    ...l.lostExamples.map((e, i) => `lost_example_${i}=${e}`),
  ];
}
