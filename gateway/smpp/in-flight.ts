/**
 * Requests awaiting their response, and the window that bounds them.
 *
 * The `smpp` package keeps callbacks it never calls when the socket drops; this
 * map is ours, so a dropped link fails every in-flight request at once
 * (retryable) instead of leaving its caller hanging.
 */
import type { RawPdu } from './smpp-lib.js';
import { SmppError } from './status.js';

/**
 * Told what became of a request: its response, or why none will come. Called synchronously, from
 * the socket's data handler or the timeout check: it must not throw.
 */
export interface ResponseHandler {
  response(pdu: RawPdu): void;
  failed(error: SmppError): void;
}

/** Told that a window slot is now its own, or why none will be (same rules as ResponseHandler). */
export interface SlotWaiter {
  granted(): void;
  failed(error: SmppError): void;
}

interface Entry {
  readonly handler: ResponseHandler;
  /** When it times out (epoch ms) and after how long, for the message. */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** Whether its response frees a window slot: a submit's does; enquire_link and unbind take none. */
  readonly slot: boolean;
}

/**
 * How often unanswered requests are checked against their deadline: a timeout fires up to this
 * late. One timer per connection instead of a setTimeout and clearTimeout per request, which
 * were a measurable share of the send path (docs/performance.md).
 */
export const TIMEOUT_CHECK_MS = 50;

/**
 * First in, first out, O(1) at both ends: the window's waiters can be every part of every SMS of
 * the jobs in flight (thousands), where `Array.prototype.shift` moves the rest each time.
 */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Every item, oldest first, leaving it empty. */
  drain(): T[] {
    const items = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return items;
  }
}

/** Sequence number → pending request, plus a counting window (SMPP 3.4 §2.7.4 "windowing"). */
export class InFlight {
  private readonly pending = new Map<number, Entry>();
  private readonly waiters = new Fifo<SlotWaiter>();
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

  /**
   * `waiter` is granted the next free slot, in the order they asked; failed by {@link failAll}
   * (e.g. the link dropped meanwhile). Call it after {@link tryAcquire} found none free.
   */
  whenFree(waiter: SlotWaiter): void {
    this.waiters.push(waiter);
  }

  /** Give back a slot (taken, or granted to a waiter) without sending anything. */
  release(): void {
    const next = this.waiters.shift();
    if (next)
      next.granted(); // the slot passes straight to the next waiter
    else this.used = Math.max(0, this.used - 1);
  }

  /** Track a sent request: `handler` gets its response, or its timeout or {@link failAll}. */
  watch(sequence: number, timeoutMs: number, slot: boolean, handler: ResponseHandler): void {
    this.pending.set(sequence, { handler, deadline: Date.now() + timeoutMs, timeoutMs, slot });
    this.checker ??= setInterval(() => this.expire(), TIMEOUT_CHECK_MS).unref();
  }

  /** Rejects the requests past their deadline; stops checking when none is left. */
  private expire(): void {
    const now = Date.now();
    for (const [sequence, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(sequence);
      if (entry.slot) this.release();
      entry.handler.failed(
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
    entry.handler.response(pdu);
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
    const waiters = this.waiters.drain();
    this.used = 0;
    this.stopChecking();
    for (const entry of entries) entry.handler.failed(error);
    for (const waiter of waiters) waiter.failed(error);
  }
}
