/**
 * Every response carries `X-Request-Id` (CONTRACT.md, "HTTP API"): the client's own when it sent
 * a usable one, otherwise a fresh UUID. The id is bounded and limited to characters that are safe
 * in a header and a log line, so a client cannot inject lines or fill the logs through it. The
 * request's logger (`requestLog`) carries the id, so every line about one call can be found.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What a client's id may be: 1-128 visible ASCII characters without spaces or quotes. */
const CLIENT_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The client's id when it is usable, else a new one. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && CLIENT_ID.test(header) ? header : randomUUID();
}

/** Sets the id on the response and a child logger carrying it, before anything else runs. */
export function requestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.get(REQUEST_ID_HEADER));
    res.set(REQUEST_ID_HEADER, id);
    res.locals.requestId = id;
    res.locals.log = log.child({ requestId: id });
    next();
  };
}

/** The id of this request (set by {@link requestId}). */
export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

/** The logger of this request, carrying its id; `fallback` when the middleware did not run. */
export function requestLog(res: Response, fallback: Logger): Logger {
  return (res.locals.log as Logger | undefined) ?? fallback;
}
