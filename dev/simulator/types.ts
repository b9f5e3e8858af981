/** The simulator's public option and result types (see server.ts). */
import type { EsmeResponse } from './connection.js';
import type { Faults } from './faults.js';
import type { FinalState } from './receipts.js';

/** Options of `CarrierSimulator.start`. */
export interface SimulatorOptions {
  /** Listen address; default '127.0.0.1'. */
  readonly host?: string;
  /** SMPP port; default 0 (any free port, read `sim.port`). */
  readonly port?: number;
  /** Expected bind system_id; default 'gw'. */
  readonly systemId?: string;
  /** Expected bind password; default 'secret'. */
  readonly password?: string;
  /** system_id in bind responses; default 'FAKESMSC'. */
  readonly smscSystemId?: string;
  /** Time from submit_sm_resp to the final state and its receipt; default 20 ms, 0 = right after the resp. */
  readonly receiptDelayMs?: number;
  /** Final state of messages to destinations without `setFinalState`; default 'DELIVRD'. */
  readonly defaultFinalState?: FinalState;
  /** Default timeout of every wait (`nextSubmit`, `waitForBind`, replies); default 5000 ms. */
  readonly waitTimeoutMs?: number;
  /** Faults from the start; default none. */
  readonly faults?: Partial<Faults>;
  /** Clock for receipt dates and throttle windows; default `() => new Date()`. */
  readonly now?: () => Date;
}

/** A PDU received from an ESME. */
export interface ReceivedPdu {
  readonly connection: number;
  readonly command: string;
  readonly commandId: number;
  readonly status: number;
  readonly sequence: number;
  readonly at: Date;
  /** The PDU's bytes as received. */
  readonly raw: Buffer;
}

/** The outcome of an injected reply: one entry per deliver_sm sent, in sending order. */
export interface ReplyResult {
  readonly pdus: ReadonlyArray<{ readonly part: number } & EsmeResponse>;
  /** command_status of each deliver_sm_resp (or generic_nack), in sending order. */
  readonly statuses: readonly number[];
}

/** Which connection to use for an injection; default the lowest-numbered receiver-capable bind. */
export interface InjectOptions {
  readonly connection?: number;
  /** How long to wait for each deliver_sm_resp; default `waitTimeoutMs`. */
  readonly timeoutMs?: number;
}
