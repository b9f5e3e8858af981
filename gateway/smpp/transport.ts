/**
 * What the SMPP adapter adds to core's transport port (gateway/core/ports.ts): bind states for
 * readiness and the logs, and a graceful close. Nothing outside `gateway/smpp/` imports `smpp`.
 */
import type { SmsTransport } from '../core/ports.js';

/** SMPP bind lifecycle (see bind.ts for the transitions). */
export type BindState = 'disconnected' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'closed';

/** The port as a bind, a pool of binds and the carrier router implement it. */
export interface SmppTransport extends SmsTransport {
  readonly state: BindState;
  on(event: 'state', listener: (state: BindState, previous: BindState) => void): this;
  /** Stop taking work, let in-flight submits finish (bounded), unbind, close. */
  close(): Promise<void>;
}
