/**
 * Authenticate before work: an unknown path or a request without a valid key is answered before its body is
 * read; a slow client is cut off after seconds; one address cannot take the connections /healthz needs.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimitedServer, type LimitedServer } from '../../gateway/http/server.js';
import { KEYS, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
let limited: LimitedServer;
let port: number;
beforeAll(async () => {
  t = await createTestApp();
  limited = createLimitedServer(t.app, {
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    keepAliveTimeoutMs: 300,
    perAddress: 8,
    total: 64,
  });
  await new Promise<void>((resolve) => limited.server.listen(0, '127.0.0.1', resolve));
  port = (limited.server.address() as AddressInfo).port;
});
afterAll(async () => {
  limited.server.closeAllConnections();
  await new Promise((resolve) => limited.server.close(resolve));
  await t.close();
});

interface Raw {
  readonly socket: Socket;
  /** Everything the server wrote, as text. */
  text(): string;
  /** Resolves when the server has written a whole status line, with that status. */
  status(): Promise<number>;
  /** Resolves when the connection is closed (by either side). */
  closed(): Promise<void>;
}

function open(localAddress = '127.0.0.1'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let received = '';
    const statusWaiters: Array<(s: number) => void> = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (m) for (const w of statusWaiters.splice(0)) w(Number(m[1]));
    });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () =>
      resolve({
        socket,
        text: () => received,
        status: () =>
          new Promise((r) => {
            const m = /^HTTP\/1\.1 (\d{3})/.exec(received);
            if (m) r(Number(m[1]));
            else statusWaiters.push(r);
          }),
        closed: () => closed,
      }),
    );
    socket.once('error', reject);
  });
}

/** A request's head announcing a large JSON body, with none of the body sent. */
const headAnnouncing = (method: string, path: string, key?: string) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n` +
  (key ? `Authorization: Bearer ${key}\r\n` : '') +
  '\r\n';

describe('work only after authentication', () => {
  it.each([
    ['an unknown path', 'POST', '/anything', undefined, 404],
    ['a /v1 path without a key', 'POST', '/v1/invitations', undefined, 401],
    ['a /v1 path with an unknown key', 'POST', '/v1/events', 'not-a-key-0123456789', 401],
    ['a GET /healthz with a body', 'GET', '/healthz', undefined, 200],
  ])('%s is answered before any of a 4 MB body arrives', async (_label, method, path, key, status) => {
    const raw = await open();
    raw.socket.write(headAnnouncing(method, path, key));
    expect(await raw.status()).toBe(status);
    raw.socket.destroy();
  });

  it('a body nested deeper than the API needs is a 400 before JSON.parse, even with a valid key', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.system}`, 'content-type': 'application/json' },
      body: deep,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('GW_VALIDATION_FAILED');
    expect(body.error.message).toMatch(/nests deeper than 32/);
  });
});

describe('requests Node refuses before the API', () => {
  /** The status, headers and JSON body of what the server wrote before it closed the connection. */
  async function refusal(
    raw: Raw,
  ): Promise<{ status: number; head: string; body: { error: { code: string } } }> {
    await raw.closed();
    const [head = '', body = ''] = raw.text().split('\r\n\r\n');
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body: JSON.parse(body) };
  }

  it.each([
    [
      'headers over 16 KB',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'GW_HEADERS_TOO_LARGE',
    ],
    ['a head that is not HTTP', 'HELLO THERE\r\n\r\n', 400, 'GW_MALFORMED_REQUEST'],
  ])(
    "%s get the API's JSON error with a request id, and are counted",
    async (_label, request, status, code) => {
      const before = limited.refused.unreadable;
      const raw = await open();
      raw.socket.write(request);
      const answer = await refusal(raw);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.head).toMatch(/\r\nContent-Type: application\/json/i);
      expect(answer.head).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
      expect(limited.refused.unreadable).toBe(before + 1);
    },
  );
});

describe('a client that resets its connection', () => {
  it('is not counted as a request refused', async () => {
    const before = limited.refused.unreadable;
    const accepted = new Promise<void>((r) => limited.server.once('connection', () => r()));
    const raw = await open();
    await accepted;
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const reset = new Promise<string | undefined>((resolve) =>
      limited.server.once('clientError', (err: NodeJS.ErrnoException) => resolve(err.code)),
    );
    raw.socket.resetAndDestroy();
    expect(await reset).toBe('ECONNRESET');
    expect(limited.refused.unreadable).toBe(before);
  });
});

describe('a request Node refuses while an answer is being written', () => {
  it('closes the connection without writing into the answer already on its way', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const server = createLimitedServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first half;');
      void released.then(() => res.end('second half'));
    }).server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      socket.setEncoding('utf8');
      socket.on('error', () => undefined);
      let received = '';
      const halfway = new Promise<void>((resolve) =>
        socket.on('data', (chunk: string) => {
          received += chunk;
          if (received.includes('first half;')) resolve();
        }),
      );
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await halfway;
      const refused = new Promise<void>((r) => server.once('clientError', () => r()));
      socket.write('HELLO THERE\r\n\r\n');
      await refused;
      release();
      await closed;
      expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      expect(received).not.toContain('GW_MALFORMED_REQUEST');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('slow clients', () => {
  it('a client that never finishes its headers is cut off after the headers timeout', async () => {
    const raw = await open();
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await raw.closed();
    expect(raw.text()).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('a client that never finishes its body is cut off after the request timeout', async () => {
    const raw = await open();
    raw.socket.write(headAnnouncing('POST', '/v1/events', KEYS.system));
    raw.socket.write('{"type":');
    await raw.closed();
    expect(raw.text()).toMatch(/^(HTTP\/1\.1 408 [^]*"GW_REQUEST_TIMEOUT"|$)/);
  });
});

describe('connection caps', () => {
  it('one address holding its cap of slow connections is refused more, and /healthz stays reachable from another', async () => {
    // 127.0.0.2 is another client address on loopback: the attacker.
    const held = await Promise.all(Array.from({ length: 8 }, () => open('127.0.0.2')));
    for (const h of held) h.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const refusedBefore = limited.refused.perAddress;
    const extra = await open('127.0.0.2');
    await extra.closed();
    expect(extra.text()).toBe('');
    expect(limited.refused.perAddress).toBe(refusedBefore + 1);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    for (const h of held) h.socket.destroy();
  });
});
