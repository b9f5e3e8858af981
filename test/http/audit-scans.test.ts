/**
 * Filtered reads of the audit log are bounded by how many run at once, not by the clock: on a Redis
 * of its own, stopped (SIGSTOP) so that reads stay in flight, a read beyond the person's or the
 * process's bound is answered 429 GW_AUDIT_SCANS_BUSY with Retry-After, one is admitted again once a
 * read ends, and a read whose client went away stops before its next part and frees its place.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { auditListSchema } from '../../gateway/http/schemas.js';
import { eventually } from '../support/gateway.js';
import { createTestApp, KEYS, type TestApp } from './harness.js';

const OTHER_SUPERVISOR = 'super-two-key-0123456789abcdef';
const ENTRIES = 2500;
let redis: RedisServerHandle;
let t: TestApp;
let server: Server;
let port: number;

beforeAll(async () => {
  redis = await startRedisServer();
  t = await createTestApp({
    redisUrl: redis.url,
    auditScans: { perProcess: 2, perPerson: 1 },
    extraKeys: [{ role: 'supervisor', key: OTHER_SUPERVISOR }],
  });
  const at = t.core.now();
  await Promise.all(
    Array.from({ length: ENTRIES }, (_, i) =>
      t.core.store.audit.record({ at: at + i, actor: 'a.agent', role: 'agent', action: 'view' }),
    ),
  );
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  redis?.process.kill('SIGCONT');
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
  await redis?.stop();
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** A read of the audit log by one key, on a connection of its own (`abort` cuts it). */
function read(path: string, key: string): { done: Promise<Answer>; abort: () => void } {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path,
    agent: false,
    headers: { authorization: `Bearer ${key}` },
  });
  const done = new Promise<Answer>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
      );
    });
    req.once('error', reject);
  });
  req.end();
  return { done, abort: () => req.destroy() };
}

/** A filter no entry matches: the read goes through every entry, a thousand a round trip. */
const SCAN = '/v1/audit?actor=nobody&limit=10';

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const got = await t.metrics.getSingleMetric(name)?.get();
  const value = got?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const inFlight = (n: number) => () =>
  eventually(async () => (await metric('gateway_audit_scans_in_flight')) === n, `${n} audit scans in flight`);

/** Stops the test's Redis: commands sent to it wait, unanswered, until `resume`. */
const pauseRedis = (): void => void redis.process.kill('SIGSTOP');
const unpause = (): void => void redis.process.kill('SIGCONT');

describe('filtered reads of the audit log in flight', () => {
  it("refuses a read beyond a person's and the process's bound with 429 and Retry-After, and admits one again once a read ends", async () => {
    pauseRedis();
    const first = read(SCAN, KEYS.supervisor);
    await inFlight(1)();

    const own = await read(SCAN, KEYS.supervisor).done;
    expect(own.status).toBe(429);
    expect(own.headers['retry-after']).toBe('1');
    expect(own.body).toMatchObject({ error: { code: 'GW_AUDIT_SCANS_BUSY' } });

    const second = read(`/v1/audit?conversationId=nobody&limit=10`, OTHER_SUPERVISOR);
    await inFlight(2)();
    const third = await read(SCAN, OTHER_SUPERVISOR).done;
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ error: { code: 'GW_AUDIT_SCANS_BUSY' } });
    expect(await metric('gateway_audit_scans_refused_total', { limit: 'person' })).toBe(1);
    expect(await metric('gateway_audit_scans_refused_total', { limit: 'process' })).toBe(1);

    unpause();
    for (const answer of [await first.done, await second.done]) {
      expect(answer.status).toBe(200);
      expect(auditListSchema.parse(answer.body)).toMatchObject({ entries: [], next: null });
    }
    await inFlight(0)();
    const again = await read(SCAN, KEYS.supervisor).done;
    expect(again.status).toBe(200);
  });

  it('frees the place of a read that fails', async () => {
    const audit = t.core.store.audit as { recent: unknown };
    audit.recent = () => Promise.reject(new Error('the audit log could not be read'));
    try {
      expect((await read(SCAN, KEYS.supervisor).done).status).toBe(500);
    } finally {
      delete audit.recent;
    }
    await inFlight(0)();
    // One read a person: a place kept by the failed read would refuse this one.
    expect((await read(SCAN, KEYS.supervisor).done).status).toBe(200);
  });

  it('stops a read whose client went away before its next thousand entries and frees its place', async () => {
    const before = await metric('gateway_audit_scanned_entries_total');
    pauseRedis();
    const cut = new Promise<void>((resolve) =>
      server.once('connection', (socket: Socket) => socket.once('close', () => resolve())),
    );
    const gone = read(SCAN, KEYS.supervisor);
    gone.done.catch(() => undefined);
    await inFlight(1)();
    gone.abort();
    await cut;
    unpause();

    await inFlight(0)();
    // The part asked for before the client left, none after it (2,500 entries are there).
    expect((await metric('gateway_audit_scanned_entries_total')) - before).toBe(1000);
    expect((await read(SCAN, KEYS.supervisor).done).status).toBe(200);
    expect((await read(SCAN, KEYS.supervisor).done).status).toBe(200);
  });
});
