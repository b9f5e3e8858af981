/**
 * A bound on how long a scrape waits for Redis: /metrics must answer while Redis is down or slow
 * (exactly when the alerts matter), so a gauge read from Redis keeps its last values when the read
 * fails or takes longer than SCRAPE_WAIT_MS.
 */

/** How long one gauge of a scrape waits for Redis. */
export const SCRAPE_WAIT_MS = 500;

/** `promise`'s value, or undefined when it fails or takes longer than `ms`. */
export function withinMs<T>(promise: Promise<T>, ms: number = SCRAPE_WAIT_MS): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
