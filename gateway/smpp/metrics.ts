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
  windowInUse(bind: string, inUse: number): void;
  submit(bind: string, status: string): void;
  throttle(bind: string, status: string): void;
  enquireLinkRtt(bind: string, seconds: number): void;
  protocolError(bind: string): void;
}

export const NO_METRICS: SmppMetrics = {
  state: () => undefined,
  windowInUse: () => undefined,
  submit: () => undefined,
  throttle: () => undefined,
  enquireLinkRtt: () => undefined,
  protocolError: () => undefined,
};

/** Register the SMPP metrics on `registry`. */
export function createSmppMetrics(registry: Registry): SmppMetrics {
  const registers = [registry];
  const state = new Gauge({
    name: 'smpp_bind_state',
    help: '1 for the current state of each bind',
    labelNames: ['bind', 'state'],
    registers,
  });
  const window = new Gauge({
    name: 'smpp_window_in_use',
    help: 'submit_sm awaiting submit_sm_resp',
    labelNames: ['bind'],
    registers,
  });
  const submits = new Counter({
    name: 'smpp_submits_total',
    help: 'submit_sm responses by command_status name',
    labelNames: ['bind', 'status'],
    registers,
  });
  const throttles = new Counter({
    name: 'smpp_throttle_events_total',
    help: 'ESME_RTHROTTLED / ESME_RMSGQFUL answers that paused the bind',
    labelNames: ['bind', 'status'],
    registers,
  });
  const rtt = new Histogram({
    name: 'smpp_enquire_link_rtt_seconds',
    help: 'enquire_link round trip',
    labelNames: ['bind'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const protocol = new Counter({
    name: 'smpp_protocol_errors_total',
    help: 'unreadable PDUs that closed the bind',
    labelNames: ['bind'],
    registers,
  });
  return {
    state: (bind, current) => {
      for (const s of STATES) state.set({ bind, state: s }, s === current ? 1 : 0);
    },
    windowInUse: (bind, inUse) => window.set({ bind }, inUse),
    submit: (bind, status) => submits.inc({ bind, status }),
    throttle: (bind, status) => throttles.inc({ bind, status }),
    enquireLinkRtt: (bind, seconds) => rtt.observe({ bind }, seconds),
    protocolError: (bind) => protocol.inc({ bind }),
  };
}
