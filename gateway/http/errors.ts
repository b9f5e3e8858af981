/**
 * Every error leaves the API as `{ error: { code, message, details? } }` with the
 * catalogue's 4xx status (CONTRACT.md, "HTTP API"). Nothing a client sends may
 * produce a 500: body-parser failures and zod errors are mapped here.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError, type z } from 'zod';
import { ERRORS, GatewayError, type ErrorCode } from '../../common/errors.js';
import type { Logger } from '../log.js';
import { requestIdOf, requestLog } from './request-id.js';

export function sendError(
  res: Parameters<RequestHandler>[1],
  code: ErrorCode,
  message: string,
  details?: unknown,
): void {
  res
    .status(ERRORS[code].status)
    .json({ error: details === undefined ? { code, message } : { code, message, details } });
}

export function zodDetails(err: ZodError): Array<{ path: string; message: string }> {
  return err.issues
    .flatMap(unionBranch)
    .map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}

/**
 * A field that takes one of several shapes (a bank, or its code) names what is wrong with the
 * shape the client sent, not "Invalid input": the one branch whose faults lie inside the value.
 */
function unionBranch(issue: z.core.$ZodIssue): Array<Pick<z.core.$ZodIssue, 'path' | 'message'>> {
  if (issue.code === 'invalid_union') {
    const fitting = issue.errors.filter(
      (branch) =>
        !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')),
    );
    const [only] = fitting;
    if (fitting.length === 1 && only !== undefined && only.length > 0)
      return only.flatMap((i) => unionBranch({ ...i, path: [...issue.path, ...i.path] }));
  }
  return [issue];
}

export const notFound: RequestHandler = (req, res) => {
  sendError(res, 'GW_NOT_FOUND', `no route ${req.method} ${req.path}`);
};

interface HttpishError {
  status?: number;
  type?: string;
  message?: string;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // A call already answered in full (redis-gate.ts's 503) whose work ended later: nothing to
      // abort. Express would destroy the socket, and with it the client's next call on it.
      if (res.writableEnded) {
        log.debug({ err: (err as Error).message }, 'a call answered already ended later');
        return;
      }
      next(err);
      return;
    }
    if (err instanceof GatewayError) {
      sendError(res, err.code, err.message, err.details);
      return;
    }
    if (err instanceof ZodError) {
      sendError(res, 'GW_VALIDATION_FAILED', 'the request does not match the API', zodDetails(err));
      return;
    }
    const e = err as HttpishError;
    // body-parser: malformed JSON, wrong charset, too large.
    if (e.type === 'entity.too.large') {
      sendError(res, 'GW_PAYLOAD_TOO_LARGE', 'the request body is too large');
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      sendError(
        res,
        'GW_VALIDATION_FAILED',
        e.type === 'entity.parse.failed'
          ? 'the body is not valid JSON'
          : e.type === 'entity.too.deep' || e.type === 'entity.not.object'
            ? (e.message ?? 'the body nests too deep')
            : (e.message ?? 'bad request'),
      );
      return;
    }
    requestLog(res, log).error(
      { err, method: req.method, path: req.path },
      'unhandled error in HTTP handler',
    );
    sendError(
      res,
      'GW_INTERNAL',
      `internal error; nothing was changed (request ${requestIdOf(res) ?? 'unknown'})`,
    );
  };
}
