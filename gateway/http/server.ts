/**
 * The HTTP server the API listens on, with the limits that keep a slow or greedy client from holding it:
 * header and request timeouts of a few seconds, checked every second (Node checks every 30 s by default),
 * and caps on open connections per client address and in total. A connection over a cap is closed at once,
 * before anything of it is read, so one address cannot take the file descriptors `/healthz` and `/readyz`
 * need. The total stays well under the usual 1,024 open files, leaving room for Redis and the binds.
 * A request Node refuses before the API sees it (headers over 16 KB, a head that is not HTTP, a timeout)
 * gets the API's JSON error and an `X-Request-Id` like any other answer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { ERRORS, type ErrorCode } from '../../common/errors.js';

export interface ServerLimits {
  /** Time to receive a request's headers (ms). */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included (ms): a 5 MB batch over a slow link fits. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  readonly keepAliveTimeoutMs: number;
  /** Open connections from one client address. */
  readonly perAddress: number;
  /** Open connections in total. */
  readonly total: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  perAddress: 64,
  total: 512,
};

/** Counts of the connections refused by each cap, and of the requests refused before the API, for the metrics. */
export interface ConnectionRefusals {
  perAddress: number;
  total: number;
  unreadable: number;
}

/** The catalogue code of a request Node's parser or timers refused, by Node's error code. */
function clientErrorCode(code: string | undefined): ErrorCode {
  if (code === 'HPE_HEADER_OVERFLOW') return 'GW_HEADERS_TOO_LARGE';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'GW_REQUEST_TIMEOUT';
  return 'GW_MALFORMED_REQUEST';
}

/** The API's JSON error for a request refused before the API saw it; the connection closes after it. */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // An answer already started on this connection (a request before this one, kept alive) would be
  // corrupted by another written into it: the connection is only closed, as Node itself does.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || err.code === 'ECONNRESET' || answering?.headersSent === true) {
    socket.destroy();
    return;
  }
  const code = clientErrorCode(err.code);
  const { status, title } = ERRORS[code];
  const body = JSON.stringify({ error: { code, message: title } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${randomUUID()}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export interface LimitedServer {
  readonly server: Server;
  readonly refused: Readonly<ConnectionRefusals>;
  /** Open connections now. */
  open(): number;
}

export function createLimitedServer(
  app: RequestListener,
  limits: ServerLimits = DEFAULT_SERVER_LIMITS,
): LimitedServer {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    app,
  );
  const byAddress = new Map<string, number>();
  const refused: ConnectionRefusals = { perAddress: 0, total: 0, unreadable: 0 };
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    // A client hanging up (ECONNRESET) is no request refused.
    if (err.code !== 'ECONNRESET') refused.unreadable++;
    answerClientError(err, socket);
  });
  let open = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const mine = byAddress.get(address) ?? 0;
    if (open >= limits.total || mine >= limits.perAddress) {
      if (open >= limits.total) refused.total++;
      else refused.perAddress++;
      socket.destroy();
      return;
    }
    open++;
    byAddress.set(address, mine + 1);
    socket.once('close', () => {
      open--;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left <= 0) byAddress.delete(address);
      else byAddress.set(address, left);
    });
  });
  return { server, refused, open: () => open };
}

/** Listen on host:port; resolves once listening. */
export function listenLimited(
  app: RequestListener,
  host: string,
  port: number,
  limits?: ServerLimits,
): Promise<LimitedServer> {
  const limited = createLimitedServer(app, limits);
  return new Promise((resolve, reject) => {
    limited.server.once('error', reject);
    limited.server.listen(port, host, () => {
      limited.server.off('error', reject);
      resolve(limited);
    });
  });
}
