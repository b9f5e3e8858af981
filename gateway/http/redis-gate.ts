/**
 * Degrade, never hang: while Redis cannot be reached, an API call is answered at once with
 * `503 GW_REDIS_UNAVAILABLE` and `Retry-After`, instead of waiting in the client's offline queue for the
 * whole outage. A call that started before Redis went away is answered the same way once it has waited
 * `deadlineMs`; its queued commands may still run when Redis is back, and every write the API makes is
 * idempotent (invitations on their externalId, events on their key), so the retry the 503 asks for
 * changes nothing twice. Redis that stops answering with its connection open (a hung host, a network
 * dropping packets) looks connected: a call still unanswered at `deadlineMs` then asks Redis for a
 * PING (one at a time for every such call), and is answered 503 the same way when none comes back.
 */
import type { RequestHandler } from 'express';
import { sendError } from './errors.js';

/** Seconds a client is told to wait before retrying. */
export const REDIS_RETRY_AFTER_S = 5;

export interface RedisGateOptions {
  /** Whether the store's commands go through now (store/conversations.ts `connected`). */
  readonly connected: () => boolean;
  /** How long a call may wait on Redis that went away while it ran (ms). */
  readonly deadlineMs?: number;
  /** Whether Redis answers a PING in time, asked of a call still unanswered at `deadlineMs`. */
  readonly answering?: () => Promise<boolean>;
}

/** `probe`, with the calls made while one is under way sharing its answer. */
export function shared(probe: () => Promise<boolean>): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  return () =>
    (running ??= probe()
      .catch(() => false)
      .finally(() => (running = undefined)));
}

function unavailable(res: Parameters<RequestHandler>[1]): void {
  res.set('Retry-After', String(REDIS_RETRY_AFTER_S));
  sendError(res, 'GW_REDIS_UNAVAILABLE', 'Redis cannot be reached; nothing was changed, retry later');
}

/** Guards `/v1/…` (everything there reads or writes Redis). */
export function redisGate(options: RedisGateOptions): RequestHandler {
  const deadlineMs = options.deadlineMs ?? 800;
  return (req, res, next) => {
    if (!/^\/v1(\/|$)/i.test(req.path)) return next();
    if (!options.connected()) return unavailable(res);
    const check = (): void => {
      if (res.headersSent) return;
      if (!options.connected()) return unavailable(res);
      // Slow work on a Redis that answers goes on; a Redis that answers nothing is asked again.
      void options.answering?.().then((answers) => {
        if (res.headersSent) return;
        if (!answers) unavailable(res);
        else timer.refresh();
      });
    };
    const timer = setTimeout(check, deadlineMs);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
    next();
  };
}
