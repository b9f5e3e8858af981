/**
 * When each part was accepted, kept just long enough to time its receipt (pure
 * data structure; the caller passes `now`). Bounded: the oldest entries go first,
 * and ids from before a restart are simply not timed — the durable receipt
 * store above this layer is what matches receipts, not this.
 *
 * One entry per part, under the id as the SMSC gave it: a receipt's id is looked up in
 * each of its radix forms (`messageIdKeys`), which include this one whichever radix each
 * side used. Storing every form instead costs a BigInt conversion per part and three
 * strings kept alive, and a heap the GC keeps scanning (docs/performance.md).
 */
import QuickLRU from 'quick-lru';
import { messageIdKeys } from '../../parsers/receipt.js';

/**
 * One part in this many is timed: the latency is a distribution, and a sample of it is as good
 * to an operator; timing every part is a noticeable share of the session layer's CPU
 * (docs/performance.md).
 */
export const RECEIPT_SAMPLE = 16;

export class ReceiptClock {
  private seen = 0;

  /**
   * quick-lru (two generations of Maps, the older dropped whole), not a Map evicting its first
   * key: each new Map iterator walks the deleted entries before it, which makes eviction
   * quadratic in a long-running process; quick-lru's set is a Map set (docs/performance.md).
   */
  private readonly entries: QuickLRU<string, number>;

  constructor(
    maxEntries = 100_000,
    private readonly sample = RECEIPT_SAMPLE,
  ) {
    this.entries = new QuickLRU({ maxSize: maxEntries });
  }

  /** Remember that `messageId` of `carrier` was accepted at `at` (ms), for one part in `sample`. */
  accepted(carrier: string, messageId: string, at: number): void {
    if (!messageId || this.seen++ % this.sample !== 0) return;
    this.entries.set(`${carrier}\u0000${messageId.trim().toLowerCase()}`, at);
  }

  /** Seconds from acceptance to this receipt, once per id; undefined if unknown here. */
  receipt(carrier: string, messageId: string, at: number): number | undefined {
    for (const key of messageIdKeys(messageId)) {
      const id = `${carrier}\u0000${key}`;
      const acceptedAt = this.entries.get(id);
      if (acceptedAt === undefined) continue;
      this.entries.delete(id);
      return Math.max(0, at - acceptedAt) / 1000;
    }
    return undefined;
  }
}
