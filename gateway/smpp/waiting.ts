/**
 * SMS waiting for a carrier whose binds are all down, per carrier: how many and since when, for
 * /metrics and /readyz. An SMS is known by its reference (`<conversation>.<sms>`); the queue
 * above offers it again every second or so while it waits, and one not offered again for
 * `forgetMs` has gone elsewhere (failed, or another process sends it). Bounded per carrier.
 */
export class WaitingSms {
  /** carrier → reference → [first refused, last refused] (epoch ms). */
  private readonly byCarrier = new Map<string, Map<string, [number, number]>>();

  constructor(
    private readonly forgetMs = 30_000,
    private readonly maxPerCarrier = 100_000,
  ) {}

  /** `reference` could not go through `carrier` at `now`: no bind was up. */
  refused(carrier: string, reference: string, now: number): void {
    let waiting = this.byCarrier.get(carrier);
    if (!waiting) {
      waiting = new Map<string, [number, number]>();
      this.byCarrier.set(carrier, waiting);
    }
    const seen = waiting.get(reference);
    if (seen) seen[1] = now;
    else if (waiting.size < this.maxPerCarrier) waiting.set(reference, [now, now]);
  }

  /** `reference` went out (through any carrier): it no longer waits. */
  sent(reference: string): void {
    for (const waiting of this.byCarrier.values()) waiting.delete(reference);
  }

  /** Per carrier: SMS waiting and the age of the oldest (seconds), forgetting those gone. */
  snapshot(now: number): Map<string, { sms: number; oldestSeconds: number }> {
    const out = new Map<string, { sms: number; oldestSeconds: number }>();
    for (const [carrier, waiting] of this.byCarrier) {
      let oldest = now;
      for (const [reference, [first, last]] of waiting) {
        if (now - last > this.forgetMs) waiting.delete(reference);
        else oldest = Math.min(oldest, first);
      }
      out.set(carrier, { sms: waiting.size, oldestSeconds: (now - oldest) / 1000 });
    }
    return out;
  }
}
