/**
 * One number cannot delay the others. Replies go to the `inbound` queue in arrival order; a number
 * that sent more than `burst` replies within `windowMs` is busy, and each of its further replies gets
 * a BullMQ priority equal to its rank among them. BullMQ takes the ordinary (unprioritized) jobs
 * first and prioritized ones lowest number first, FIFO within one number, so every citizen's ordinary
 * reply is decided before any busy number's surplus, and the k-th surplus reply of each busy number
 * in round k: a flood waits behind itself. Counted per process, in memory, for the most recent
 * `maxNumbers` numbers.
 */
import QuickLRU from 'quick-lru';

/** BullMQ's largest priority (2^21). */
const MAX_PRIORITY = 2_097_152;

export interface FairShareOptions {
  /** Replies a number may send within the window before they queue behind everyone's. */
  readonly burst?: number;
  readonly windowMs?: number;
  readonly maxNumbers?: number;
}

export class FairShare {
  private readonly recent: QuickLRU<string, { since: number; count: number }>;
  private readonly burst: number;
  private readonly windowMs: number;

  constructor(options: FairShareOptions = {}) {
    this.burst = options.burst ?? 5;
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.recent = new QuickLRU({ maxSize: options.maxNumbers ?? 100_000 });
  }

  /** The priority of a reply from `msisdn` arriving at `now`: undefined for an ordinary one. */
  priority(msisdn: string, now: number): number | undefined {
    const seen = this.recent.get(msisdn);
    const entry = seen && now - seen.since < this.windowMs ? seen : { since: now, count: 0 };
    entry.count++;
    this.recent.set(msisdn, entry);
    return entry.count > this.burst ? Math.min(entry.count - this.burst, MAX_PRIORITY) : undefined;
  }
}
