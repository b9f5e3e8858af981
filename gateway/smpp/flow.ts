/**
 * Pure flow-control arithmetic: reconnect backoff and the per-bind submit rate.
 * Both take the clock and the random source as arguments, so tests drive them.
 */

/** Reconnect backoff settings. */
export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  readonly initialMs: number;
  /** Ceiling. Default 30 s. */
  readonly maxMs: number;
  /** Growth per failed attempt. Default 2. */
  readonly factor: number;
  /** Fraction of the delay randomised, 0..1 ("full jitter" when 1). Default 0.3. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.3 };

/**
 * Delay before reconnect attempt `attempt` (0-based). Jitter keeps a fleet of
 * gateways from re-binding in lockstep after a carrier restart.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: number): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** attempt);
  const spread = base * options.jitter;
  return Math.round(base - spread + spread * 2 * random);
}

/**
 * The second SMPP_TPS counts over, with a guard for the network: an SMSC counts the submits that
 * reached it in the last second, and two submits sent a second apart may reach it a few
 * milliseconds closer (docs/smpp.md, "Bind settings"); 2 % of the rate is the price.
 */
export const TPS_SECOND_MS = 1_020;

/**
 * The per-bind limit of SMS *segments* per second (SMPP_TPS; the carrier counts submit_sm PDUs,
 * not messages): at most `rate` in any second, as an SMSC that counts the submits of the last
 * second sees them. The send times of the last `rate` submits, in a ring: a burst of `rate` goes
 * at once, the next one when the oldest of them is TPS_SECOND_MS old.
 */
export class SubmitRate {
  private readonly sent: Float64Array;
  private next = 0;
  /** The last submit's time: a clock set back before it moves every send time back as far. */
  private latest = Number.NEGATIVE_INFINITY;

  /** `rate` submits per second; 0 or less disables the limit. */
  constructor(rate: number) {
    this.sent = new Float64Array(Math.max(Math.ceil(rate), 0)).fill(Number.NEGATIVE_INFINITY);
  }

  /** Take one submit at `now`: returns 0 if taken, else the ms to wait before asking again. */
  take(now: number): number {
    if (this.sent.length === 0) return 0;
    if (now < this.latest) this.clockBack(this.latest - now);
    const oldest = this.sent[this.next] ?? Number.NEGATIVE_INFINITY;
    if (now - oldest < TPS_SECOND_MS) return Math.ceil(oldest + TPS_SECOND_MS - now);
    this.sent[this.next] = now;
    this.latest = now;
    this.next = (this.next + 1) % this.sent.length;
    return 0;
  }

  /**
   * The wall clock was set back (NTP stepping it): the sends keep their distances to now, so the
   * bind waits no longer than a second instead of until the clock catches up again.
   */
  private clockBack(ms: number): void {
    for (let i = 0; i < this.sent.length; i++) this.sent[i]! -= ms;
    this.latest -= ms;
  }
}
