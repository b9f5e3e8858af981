/**
 * How soon a BullMQ job held by a process that died is taken back: the job's lock must expire,
 * then a stalled check moves it back to waiting (BullMQ defaults: 30 s lock, a check every 30 s,
 * so up to about a minute after a crash).
 */

/** BullMQ's lock on a running job and how often jobs whose lock expired are taken back. */
export interface StalledJobs {
  readonly lockDurationMs: number;
  readonly checkIntervalMs: number;
}

/** The Worker options for `stalled`, or none (BullMQ's defaults). */
export function stalledOptions(stalled: StalledJobs | undefined): {
  lockDuration?: number;
  stalledInterval?: number;
} {
  return stalled ? { lockDuration: stalled.lockDurationMs, stalledInterval: stalled.checkIntervalMs } : {};
}
