/**
 * Gauges read from Redis when /metrics is scraped answer within half a second: while Redis is down
 * or slow, they keep the last values read (a scrape must work exactly when the alerts matter).
 */

/** How long a scrape waits for Redis before it answers with the values it has. */
export const SCRAPE_WAIT_MS = 500;

/** `promise`'s value, or undefined when it fails or takes longer than `ms`. */
export function withinMs<T>(promise: Promise<T>, ms = SCRAPE_WAIT_MS): Promise<T | undefined> {
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
