/**
 * Requests awaiting their response, and the window that bounds them.
 *
 * The `smpp` package keeps callbacks it never calls when the socket drops; this
 * map is ours, so a dropped link fails every in-flight request at once
 * (retryable) instead of leaving its caller hanging.
 */
import type { RawPdu } from './smpp-lib.js';
import { SmppError } from './status.js';

interface Entry {
  readonly resolve: (pdu: RawPdu) => void;
  readonly reject: (error: SmppError) => void;
  readonly timer: NodeJS.Timeout;
  /** Whether this request holds a window slot (submits do; enquire_link and unbind do not). */
  readonly slot: boolean;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: SmppError) => void;
}

/** Sequence number → pending request, plus a counting window (SMPP 3.4 §2.7.4 "windowing"). */
export class InFlight {
  private readonly pending = new Map<number, Entry>();
  private readonly waiters: Waiter[] = [];
  private used = 0;

  /** `window`: at most this many slot-holding requests unanswered at once. */
  constructor(private readonly window: number) {}

  /** Slots in use (requests sent or about to be sent). */
  get inUse(): number {
    return this.used;
  }

  /** Take a free window slot now, if there is one. */
  tryAcquire(): boolean {
    if (this.used >= this.window) return false;
    this.used++;
    return true;
  }

  /** Wait for a free window slot. Rejected by {@link failAll} (e.g. the link dropped meanwhile). */
  acquire(): Promise<void> {
    if (this.used < this.window) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Give back a slot taken by {@link acquire} without sending anything. */
  release(): void {
    const next = this.waiters.shift();
    if (next)
      next.resolve(); // the slot passes straight to the next waiter
    else this.used = Math.max(0, this.used - 1);
  }

  /** Track a sent request; resolves with its response PDU, rejects on timeout or {@link failAll}. */
  track(sequence: number, timeoutMs: number, slot: boolean): Promise<RawPdu> {
    return new Promise<RawPdu>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(sequence)) return;
        if (slot) this.release();
        reject(SmppError.local('RESPONSE_TIMEOUT', `no response to sequence ${sequence} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(sequence, { resolve, reject, timer, slot });
    });
  }

  /** Deliver a response; returns false when nothing waits for it (late or unsolicited). */
  settle(pdu: RawPdu): boolean {
    const entry = this.pending.get(pdu.sequence_number);
    if (!entry) return false;
    this.pending.delete(pdu.sequence_number);
    clearTimeout(entry.timer);
    if (entry.slot) this.release();
    entry.resolve(pdu);
    return true;
  }

  /** Number of requests sent and unanswered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Reject every pending request and every window waiter with `error`. */
  failAll(error: SmppError): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    const waiters = this.waiters.splice(0);
    this.used = 0;
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    for (const waiter of waiters) waiter.reject(error);
  }
}
