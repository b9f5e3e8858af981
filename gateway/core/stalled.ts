/**
 * How soon a BullMQ job held by a process that died (or lost its Redis connection) is taken back:
 * the job's lock must expire, then a stalled check moves it back to waiting. BullMQ's defaults
 * (30 s lock, a check every 30 s) leave a reply waiting up to a minute after a crash; the
 * gateway's jobs take milliseconds, so it uses 10 s and 10 s (lock renewed every 5 s).
 */

/** BullMQ's lock on a running job and how often jobs whose lock expired are taken back. */
export interface StalledJobs {
  readonly lockDurationMs: number;
  readonly checkIntervalMs: number;
}

export const DEFAULT_STALLED: StalledJobs = { lockDurationMs: 10_000, checkIntervalMs: 10_000 };

/** The Worker options for `stalled` (tests shorten them), else {@link DEFAULT_STALLED}. */
export function stalledOptions(stalled: StalledJobs = DEFAULT_STALLED): {
  lockDuration: number;
  stalledInterval: number;
} {
  return { lockDuration: stalled.lockDurationMs, stalledInterval: stalled.checkIntervalMs };
}
