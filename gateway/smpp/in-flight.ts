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
  /** When it times out (epoch ms) and after how long, for the message. */
  readonly deadline: number;
  readonly timeoutMs: number;
  /**
   * Whether its response frees a window slot. False for enquire_link and unbind (they take none),
   * and for submits whose sender gives the slot back itself (an SMS's parts share one: sender.ts).
   */
  readonly slot: boolean;
}

/**
 * How often unanswered requests are checked against their deadline: a timeout fires up to this
 * late. One timer per connection instead of a setTimeout and clearTimeout per request, which
 * were a measurable share of the send path (docs/performance.md).
 */
export const TIMEOUT_CHECK_MS = 50;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: SmppError) => void;
}

/** Sequence number → pending request, plus a counting window (SMPP 3.4 §2.7.4 "windowing"). */
export class InFlight {
  private readonly pending = new Map<number, Entry>();
  private readonly waiters: Waiter[] = [];
  private used = 0;
  private checker: NodeJS.Timeout | undefined;

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
      this.pending.set(sequence, { resolve, reject, deadline: Date.now() + timeoutMs, timeoutMs, slot });
      this.checker ??= setInterval(() => this.expire(), TIMEOUT_CHECK_MS).unref();
    });
  }

  /** Rejects the requests past their deadline; stops checking when none is left. */
  private expire(): void {
    const now = Date.now();
    for (const [sequence, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(sequence);
      if (entry.slot) this.release();
      entry.reject(
        SmppError.local('RESPONSE_TIMEOUT', `no response to sequence ${sequence} in ${entry.timeoutMs} ms`),
      );
    }
    if (this.pending.size === 0) this.stopChecking();
  }

  private stopChecking(): void {
    clearInterval(this.checker);
    this.checker = undefined;
  }

  /** Deliver a response; returns false when nothing waits for it (late or unsolicited). */
  settle(pdu: RawPdu): boolean {
    const entry = this.pending.get(pdu.sequence_number);
    if (!entry) return false;
    this.pending.delete(pdu.sequence_number);
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
    this.stopChecking();
    for (const entry of entries) entry.reject(error);
    for (const waiter of waiters) waiter.reject(error);
  }
}
