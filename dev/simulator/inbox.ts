/**
 * Awaitable collections for the simulator's test API: tests wait for events, never sleep
 * (STYLE.md, Tests). Every wait is bounded so a broken test fails with a message instead of hanging.
 */

/** A predicate choosing which item a wait accepts. */
export type Filter<T> = (item: T) => boolean;

interface Waiter<T> {
  readonly filter: Filter<T>;
  readonly resolve: (item: T) => void;
}

/** Starts a timer that rejects with a message naming what was awaited. */
function deadline(timeoutMs: number, what: string, reject: (error: Error) => void): NodeJS.Timeout {
  const timer = setTimeout(
    () => reject(new Error(`carrier simulator: timed out after ${timeoutMs} ms waiting for ${what}`)),
    timeoutMs,
  );
  timer.unref();
  return timer;
}

/**
 * Keeps every item it is given (`all`) and hands each one out at most once to `next()`,
 * in arrival order: items that arrived before the wait are queued, not lost.
 */
export class Inbox<T> {
  /** Everything received, in order (consumed or not). */
  readonly all: T[] = [];
  private readonly unconsumed: T[] = [];
  private readonly waiters: Array<Waiter<T>> = [];

  /** Adds an item: the oldest waiter whose filter accepts it takes it, else it is queued. */
  push(item: T): void {
    this.all.push(item);
    const index = this.waiters.findIndex((w) => w.filter(item));
    const waiter = this.waiters[index];
    if (waiter) {
      this.waiters.splice(index, 1);
      waiter.resolve(item);
      return;
    }
    this.unconsumed.push(item);
  }

  /** Corrects an item already received (wherever it is kept); false if it is not there. */
  replace(item: T, next: T): boolean {
    const i = this.all.lastIndexOf(item);
    if (i < 0) return false;
    this.all[i] = next;
    const u = this.unconsumed.lastIndexOf(item);
    if (u >= 0) this.unconsumed[u] = next;
    return true;
  }

  /** The oldest unconsumed item accepted by `filter`, or the next one to arrive; rejects after `timeoutMs`. */
  next(filter: Filter<T>, timeoutMs: number, what: string): Promise<T> {
    const index = this.unconsumed.findIndex(filter);
    const queued = this.unconsumed[index];
    if (queued !== undefined) {
      this.unconsumed.splice(index, 1);
      return Promise.resolve(queued);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        filter,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = deadline(timeoutMs, what, (error) => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(error);
      });
      this.waiters.push(waiter);
    });
  }
}

/**
 * Waits for a condition over the simulator's state, re-checked at every `notify()`
 * (a bind, a close): `waitForBind(2)` is `until(() => bound >= 2)`.
 */
export class Conditions {
  private readonly pending = new Set<() => boolean>();

  /** Resolves as soon as `predicate()` is true (now or after a later `notify`). */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        if (!predicate()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = deadline(timeoutMs, what, (error) => {
        this.pending.delete(check);
        reject(error);
      });
      this.pending.add(check);
    });
  }

  /** Re-checks every pending condition. */
  notify(): void {
    for (const check of [...this.pending]) if (check()) this.pending.delete(check);
  }
}
