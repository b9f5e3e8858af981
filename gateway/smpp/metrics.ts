/**
 * Per-bind SMPP metrics on an injected prom-client Registry (no global registry,
 * so tests and several gateways in one process never collide). Meanings: docs/smpp.md.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BindState } from './transport.js';

const STATES: readonly BindState[] = [
  'disconnected',
  'connecting',
  'binding',
  'bound',
  'unbinding',
  'closed',
];

/** What the bind reports; a no-op implementation is {@link NO_METRICS}. */
export interface SmppMetrics {
  state(bind: string, state: BindState): void;
  /**
   * How to read a bind's window in use; read when /metrics is scraped, not set per submit (a
   * gauge set twice per segment was a measurable share of the send path).
   */
  watchWindow(bind: string, inUse: () => number): void;
  submit(bind: string, status: string): void;
  throttle(bind: string, status: string): void;
  enquireLinkRtt(bind: string, seconds: number): void;
  protocolError(bind: string): void;
  /** The configured window, so dashboards can compare `smpp_window_in_use` with it. */
  windowSize(bind: string, size: number): void;
  /** Called for one segment in {@link SUBMIT_DURATION_SAMPLE}: a histogram observation per segment cost as much as the counter. */
  submitDuration(bind: string, seconds: number): void;
  /** One deliver_sm answered: `kind` receipt|reply, `status` the name we answered with. */
  deliver(bind: string, kind: string, status: string): void;
  reconnect(bind: string): void;
  bindRefused(bind: string, status: string): void;
  carrierReady(carrier: string, ready: boolean): void;
  receiptLatency(carrier: string, seconds: number): void;
}

/** The submit round trip is timed on one segment in this many (docs/smpp.md). */
export const SUBMIT_DURATION_SAMPLE = 8;

const RTT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

export const NO_METRICS: SmppMetrics = {
  state: () => undefined,
  watchWindow: () => undefined,
  submit: () => undefined,
  throttle: () => undefined,
  enquireLinkRtt: () => undefined,
  protocolError: () => undefined,
  windowSize: () => undefined,
  submitDuration: () => undefined,
  deliver: () => undefined,
  reconnect: () => undefined,
  bindRefused: () => undefined,
  carrierReady: () => undefined,
  receiptLatency: () => undefined,
};

type Label = 'bind' | 'state' | 'status' | 'kind' | 'carrier';

/** Metric constructors bound to one registry (no global registry). */
function on(registry: Registry) {
  const registers = [registry];
  return {
    gauge: (name: string, help: string, labelNames: Label[]) =>
      new Gauge({ name, help, labelNames, registers }),
    counter: (name: string, help: string, labelNames: Label[]) =>
      new Counter({ name, help, labelNames, registers }),
    histogram: (name: string, help: string, labelNames: Label[], buckets: number[]) =>
      new Histogram({ name, help, labelNames, buckets, registers }),
  };
}

/** Register the SMPP metrics on `registry` (once per registry: names are unique there). */
export function createSmppMetrics(registry: Registry): SmppMetrics {
  return { ...bindMetrics(registry), ...flowMetrics(registry), ...carrierMetrics(registry) };
}

function bindMetrics(registry: Registry) {
  const m = on(registry);
  const state = m.gauge('smpp_bind_state', '1 for the current state of each bind', ['bind', 'state']);
  const rtt = m.histogram('smpp_enquire_link_rtt_seconds', 'enquire_link round trip', ['bind'], RTT_BUCKETS);
  const protocol = m.counter(
    'smpp_protocol_errors_total',
    'unreadable PDUs (refused with generic_nack; a broken stream also closes the bind)',
    ['bind'],
  );
  const reconnects = m.counter(
    'smpp_reconnects_total',
    'reconnect attempts scheduled after a lost or failed connection',
    ['bind'],
  );
  const refused = m.counter('smpp_bind_refusals_total', 'bind responses with a non-zero status', [
    'bind',
    'status',
  ]);
  const deliver = m.counter(
    'smpp_deliver_sm_total',
    'deliver_sm answered, by kind (receipt, reply) and the status we answered',
    ['bind', 'kind', 'status'],
  );
  return {
    state: (bind: string, current: BindState) => {
      for (const s of STATES) state.set({ bind, state: s }, s === current ? 1 : 0);
    },
    enquireLinkRtt: (bind: string, seconds: number) => rtt.observe({ bind }, seconds),
    protocolError: (bind: string) => protocol.inc({ bind }),
    reconnect: (bind: string) => reconnects.inc({ bind }),
    bindRefused: (bind: string, status: string) => refused.inc({ bind, status }),
    deliver: (bind: string, kind: string, status: string) => deliver.inc({ bind, kind, status }),
  };
}

function flowMetrics(registry: Registry) {
  const m = on(registry);
  const windows = new Map<string, () => number>();
  new Gauge({
    name: 'smpp_window_in_use',
    help: 'submit_sm awaiting submit_sm_resp',
    labelNames: ['bind'],
    registers: [registry],
    collect() {
      for (const [bind, inUse] of windows) this.set({ bind }, inUse());
    },
  });
  const size = m.gauge('smpp_window_size', 'configured window of each bind', ['bind']);
  // Counted in a plain map and added to the counter when /metrics is scraped: prom-client hashes
  // the labels on every inc, once per segment sent (docs/performance.md).
  const tally = new Map<string, Map<string, number>>();
  new Counter({
    name: 'smpp_submits_total',
    help: 'submit_sm responses by command_status name; RESPONSE_TIMEOUT: sent and not answered in time',
    labelNames: ['bind', 'status'],
    registers: [registry],
    collect() {
      for (const [bind, statuses] of tally)
        for (const [status, n] of statuses) {
          this.inc({ bind, status }, n);
          statuses.delete(status);
        }
    },
  });
  const throttles = m.counter(
    'smpp_throttle_events_total',
    'ESME_RTHROTTLED / ESME_RMSGQFUL answers that paused the bind',
    ['bind', 'status'],
  );
  const duration = m.histogram(
    'smpp_submit_duration_seconds',
    `submit_sm to submit_sm_resp round trip, one segment in ${SUBMIT_DURATION_SAMPLE}`,
    ['bind'],
    [...RTT_BUCKETS, 10],
  );
  return {
    watchWindow: (bind: string, inUse: () => number) => void windows.set(bind, inUse),
    windowSize: (bind: string, slots: number) => size.set({ bind }, slots),
    submit: (bind: string, status: string) => {
      let statuses = tally.get(bind);
      if (!statuses) tally.set(bind, (statuses = new Map<string, number>()));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    },
    throttle: (bind: string, status: string) => throttles.inc({ bind, status }),
    submitDuration: (bind: string, seconds: number) => duration.observe({ bind }, seconds),
  };
}

function carrierMetrics(registry: Registry) {
  const m = on(registry);
  const ready = m.gauge(
    'smpp_carrier_ready',
    '1 when at least one bind of the carrier that can submit is bound',
    ['carrier'],
  );
  // Receipts take seconds to a day (SMSC retry schedules), hence the wide buckets.
  const latency = m.histogram(
    'smpp_receipt_latency_seconds',
    'submit_sm_resp to its delivery receipt (parts submitted by this process)',
    ['carrier'],
    [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
  );
  return {
    carrierReady: (carrier: string, up: boolean) => ready.set({ carrier }, up ? 1 : 0),
    receiptLatency: (carrier: string, seconds: number) => latency.observe({ carrier }, seconds),
  };
}
