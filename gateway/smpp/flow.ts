/**
 * Pure flow-control arithmetic: reconnect backoff and the per-bind token bucket.
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
 * Token bucket of SMS *segments* per second (the carrier counts submit_sm PDUs,
 * not messages). Capacity = one second's worth, so a burst never exceeds `rate`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `rate` tokens per second; 0 or less disables the limit. */
  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = Math.max(rate, 1);
    this.last = now;
  }

  /** Take one token at `now`: returns 0 if taken, else the ms to wait before asking again. */
  take(now: number): number {
    if (this.rate <= 0) return 0;
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }
}
