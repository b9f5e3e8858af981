/**
 * Settings of one bind, with their defaults. Validation of env / CARRIERS_FILE
 * happens in the composition root; this file only fills defaults.
 */
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_BACKOFF, type BackoffOptions } from './flow.js';
import { DEFAULT_SUBMIT_OPTIONS, type SubmitOptions } from './submit.js';

/**
 * SMPP 3.4 §4.1: a transceiver sends and receives on one session; a
 * transmitter only submits, a receiver only gets deliver_sm. A carrier
 * "pair" is one transmitter plus one receiver (carriers.ts builds it).
 */
export type BindMode = 'transceiver' | 'transmitter' | 'receiver';

export interface BindConfig {
  /** Name in logs and metric labels, e.g. `kcell-1`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  /** Default ''. */
  readonly systemType: string;
  /** Default `transceiver`. */
  readonly mode: BindMode;
  /**
   * SMPP over TLS (`ssmpp`): options for `tls.connect` (servername, ca, ...);
   * absent = plain TCP. The certificate is verified unless the options say otherwise.
   */
  readonly tls?: ConnectionOptions;
  /** Max submit_sm awaiting their response (SMPP_WINDOW). Default 10. */
  readonly window: number;
  /** Segments per second (SMPP_TPS); 0 = no limit. Default 50. */
  readonly tps: number;
  /** Per-request response timeout. Default 10 s. */
  readonly responseTimeoutMs: number;
  /** TCP connect and bind_resp timeout. Default 10 s. */
  readonly bindTimeoutMs: number;
  /** Idle period between enquire_links. Default 30 s. */
  readonly enquireLinkMs: number;
  /** No enquire_link_resp within this → the link is dead. Default 10 s. */
  readonly enquireLinkTimeoutMs: number;
  /** How long close() waits for in-flight submits, then for unbind_resp. Default 5 s. */
  readonly closeTimeoutMs: number;
  readonly reconnect: BackoffOptions;
  /** Overrides the ESME_STATUS backoff for THROTTLED/MSGQFUL (tests, carriers with a known window). */
  readonly throttleBackoffMs?: number;
  /** How often one segment is retried after THROTTLED/MSGQFUL before giving up (retryable). Default 10. */
  readonly maxThrottleRetries: number;
  readonly submit: SubmitOptions;
}

export type BindConfigInput = Pick<BindConfig, 'id' | 'host' | 'port' | 'systemId' | 'password'> &
  Partial<Omit<BindConfig, 'submit' | 'reconnect'>> & {
    readonly submit?: Partial<SubmitOptions>;
    readonly reconnect?: Partial<BackoffOptions>;
  };

/** Fill defaults; the result is frozen. */
export function bindConfig(input: BindConfigInput): BindConfig {
  return Object.freeze({
    systemType: '',
    mode: 'transceiver',
    window: 10,
    tps: 50,
    responseTimeoutMs: 10_000,
    bindTimeoutMs: 10_000,
    enquireLinkMs: 30_000,
    enquireLinkTimeoutMs: 10_000,
    closeTimeoutMs: 5_000,
    maxThrottleRetries: 10,
    ...input,
    reconnect: { ...DEFAULT_BACKOFF, ...input.reconnect },
    submit: { ...DEFAULT_SUBMIT_OPTIONS, ...input.submit },
  });
}
