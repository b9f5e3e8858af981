/**
 * The SMSC side of the inbound benchmark: deliver_sm (citizen replies) sent to the bound ESME at a
 * fixed offered rate or as fast as a window allows, each timed from the write to its
 * deliver_sm_resp (SMPP 3.4 §4.6). Runs inside the sink process (test/support/peers/sink.ts).
 */
import { performance } from 'node:perf_hooks';
import smpp from 'smpp';

/** What to inject. */
export interface InjectPlan {
  /** Sender MSISDNs, one deliver_sm each, in order. */
  readonly from: readonly string[];
  /** Reply text (GSM 03.38 basic characters only: sent as data_coding 0 bytes). */
  readonly text: string;
  /** deliver_sm per second; 0 = saturation (keep `window` in flight). */
  readonly rate: number;
  /** Max deliver_sm awaiting their resp. */
  readonly window: number;
}

/** Figures of one injection, latencies in ms. */
export interface InjectResult {
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly elapsedMs: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

export function runInjection(session: smpp.Session, plan: InjectPlan): Promise<InjectResult> {
  const latencies: number[] = [];
  let ok = 0;
  let refused = 0;
  let next = 0;
  let inFlight = 0;
  const started = performance.now();
  const body = Buffer.from(plan.text, 'latin1');
  return new Promise((resolve) => {
    const finish = (): void => {
      latencies.sort((a, b) => a - b);
      resolve({
        sent: next,
        ok,
        refused,
        elapsedMs: performance.now() - started,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        max: latencies[latencies.length - 1] ?? NaN,
      });
    };
    const sendOne = (): void => {
      const from = plan.from[next++]!;
      inFlight++;
      const at = performance.now();
      const pdu = new smpp.PDU('deliver_sm', {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: from,
        destination_addr: '1414',
        data_coding: 0,
        short_message: body,
      });
      session.send(pdu, (resp) => {
        latencies.push(performance.now() - at);
        if (resp.command_status === 0) ok++;
        else refused++;
        inFlight--;
        if (plan.rate === 0) pump();
        if (next >= plan.from.length && inFlight === 0) finish();
      });
    };
    // Saturation: refill the window on every answer.
    const pump = (): void => {
      while (inFlight < plan.window && next < plan.from.length) sendOne();
    };
    if (plan.rate === 0) return pump();
    // Fixed rate: every millisecond tick sends what the schedule says is due by now.
    const timer = setInterval(() => {
      const due = Math.min(plan.from.length, Math.floor(((performance.now() - started) * plan.rate) / 1000));
      while (next < due && inFlight < plan.window) sendOne();
      if (next >= plan.from.length) clearInterval(timer);
    }, 1);
  });
}
