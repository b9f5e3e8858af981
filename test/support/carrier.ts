/**
 * A carrier's behaviour under faults, for test/faults: a link cut on a schedule, and replies
 * retransmitted until the ESME acknowledges them, as an SMSC does with a deliver_sm that got no
 * deliver_sm_resp or an error one (SMPP 3.4 §4.6.2; 0x64 ESME_RX_T_APPN asks for exactly that).
 */
import type { CarrierSimulator, InjectOptions } from '../../dev/simulator/index.js';

/** What a retransmitting carrier did for one reply. */
export interface Delivery {
  /** deliver_sm sent (one per try; a multipart reply counts once per try). */
  readonly tries: number;
  /** The statuses answered before the acknowledgement (0x64 while Redis is down, ...). */
  readonly refusals: readonly number[];
  /** Tries that got no answer at all (the link dropped, the ESME died). */
  readonly unanswered: number;
}

export interface RetransmitOptions {
  /** The bind to deliver on (default: the first receiver-capable one). */
  readonly connection?: () => number | undefined;
  /** How long to wait for each deliver_sm_resp. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Give up after this long. Default 30 s. */
  readonly withinMs?: number;
  /** The carrier's pause before retransmitting a refused reply (real SMSCs: seconds). Default 100 ms. */
  readonly retryAfterMs?: number;
}

/**
 * Delivers `text` from `from` until every part is acknowledged with 0: on an error status, on
 * no answer, or with no bound ESME, it waits for a bind and tries again.
 */
export async function deliverUntilAcked(
  sim: CarrierSimulator,
  from: string,
  text: string,
  options: RetransmitOptions = {},
): Promise<Delivery> {
  const giveUp = Date.now() + (options.withinMs ?? 30_000);
  const refusals: number[] = [];
  let tries = 0;
  let unanswered = 0;
  while (Date.now() < giveUp) {
    tries += 1;
    try {
      await sim.waitForBind(1, Math.max(1, giveUp - Date.now()));
      const connection = options.connection?.();
      const inject: InjectOptions = {
        timeoutMs: options.timeoutMs ?? 2000,
        ...(connection === undefined ? {} : { connection }),
      };
      const result = await sim.injectReply({ from, text }, inject);
      if (result.statuses.every((s) => s === 0)) return { tries, refusals, unanswered };
      refusals.push(...result.statuses.filter((s) => s !== 0));
    } catch {
      unanswered += 1;
    }
    // The carrier's retry schedule, not a wait for an event.
    await new Promise((resolve) => setTimeout(resolve, options.retryAfterMs ?? 100));
  }
  throw new Error(`reply from ${from} not acknowledged after ${tries} tries`);
}

/** What the cuts did: binds dropped, and how long each re-bind took. */
export interface Cuts {
  drops: number;
  readonly recoveryMs: number[];
}

/**
 * One cut of a half-dead link: the SMSC stops answering submit_sm (the ESME's next submits
 * stay unanswered, at most `stallMs`), then drops every bind (TCP RST) and answers again on
 * the new one. Resolves once the ESME is bound again. The stall is what leaves parts
 * "received but never answered", the case the resume logic is for; a bare RST between
 * two PDUs leaves none.
 */
export async function cutOnce(sim: CarrierSimulator, cuts: Cuts, stallMs = 300): Promise<void> {
  const unanswered = sim.stats().submitsUnanswered;
  sim.setFaults({ noResponse: true });
  const stalled = Date.now() + stallMs;
  while (sim.stats().submitsUnanswered === unanswered && Date.now() < stalled) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const cutAt = Date.now();
  const dropped = sim.drop();
  sim.setFaults({ noResponse: false });
  cuts.drops += await dropped.catch(() => 0);
  await sim.waitForBind(1, 10_000).catch(() => undefined);
  cuts.recoveryMs.push(Date.now() - cutAt);
}

/** Link cuts on a schedule; `done` resolves after the last, `stop()` ends them early. */
export interface LinkCutter {
  readonly done: Promise<Cuts>;
  stop(): Promise<Cuts>;
}

/** Cuts the link (see {@link cutOnce}) after each of `intervalsMs` in turn, cycling, `times` times. */
export function cutLinkEvery(
  sim: CarrierSimulator,
  intervalsMs: readonly number[],
  times = Infinity,
): LinkCutter {
  const cuts: Cuts = { drops: 0, recoveryMs: [] };
  let running = true;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    for (let i = 0; running && i < times; i += 1) {
      await pause(intervalsMs[i % intervalsMs.length] ?? 1000);
      if (running) await cutOnce(sim, cuts);
    }
    return cuts;
  })();
  return {
    done: loop,
    async stop() {
      running = false;
      wake?.();
      return loop;
    },
  };
}

/** Median and maximum of some figures, rounded, for the logs the docs quote. */
export function spread(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `median ${Math.round(median)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms`;
}
