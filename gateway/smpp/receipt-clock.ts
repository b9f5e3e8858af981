/**
 * When each part was accepted, kept just long enough to time its receipt (pure
 * data structure; the caller passes `now`). Bounded: the oldest entries go first,
 * and ids from before a restart are simply not timed — the durable receipt
 * store above this layer is what matches receipts, not this.
 */
import { messageIdKeys } from '../../parsers/receipt.js';

interface Entry {
  readonly at: number;
  readonly keys: readonly string[];
}

export class ReceiptClock {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  /** Remember that `messageId` of `carrier` was accepted at `at` (ms). */
  accepted(carrier: string, messageId: string, at: number): void {
    if (!messageId) return;
    // Every radix form: SMSCs may give the id in hex in submit_sm_resp and decimal in the receipt.
    const entry: Entry = { at, keys: messageIdKeys(messageId).map((k) => `${carrier}\u0000${k}`) };
    for (const key of entry.keys) this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries * 3) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Seconds from acceptance to this receipt, once per id; undefined if unknown here. */
  receipt(carrier: string, messageId: string, at: number): number | undefined {
    for (const key of messageIdKeys(messageId)) {
      const entry = this.entries.get(`${carrier}\u0000${key}`);
      if (!entry) continue;
      for (const k of entry.keys) this.entries.delete(k);
      return Math.max(0, at - entry.at) / 1000;
    }
    return undefined;
  }
}
