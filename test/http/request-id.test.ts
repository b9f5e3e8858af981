import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../gateway/http/app.js';
import { requestIdFrom, requestLog } from '../../gateway/http/request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An app whose one route logs through the request's logger and one that throws, logging to `lines`. */
function appLoggingTo(lines: Array<Record<string, unknown>>) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const router = express.Router();
  router.get('/v1/hello', (_req, res) => {
    requestLog(res, log).info('hello');
    res.json({ ok: true });
  });
  router.get('/v1/boom', () => {
    throw new Error('boom');
  });
  return buildApp({ log, metrics: new Registry(), probes: [], routers: [router] });
}

describe('X-Request-Id', () => {
  it('is generated for a request that sends none, on every kind of answer', async () => {
    const app = appLoggingTo([]);
    for (const path of ['/healthz', '/v1/hello', '/nowhere']) {
      const res = await request(app).get(path);
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });

  it("answers the client's own id and every log line of the request carries it", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const res = await request(appLoggingTo(lines)).get('/v1/hello').set('X-Request-Id', 'upstream-42.a');
    expect(res.headers['x-request-id']).toBe('upstream-42.a');
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'hello', requestId: 'upstream-42.a' }));
  });

  it('names the request in a 500 and in the log line of the failure', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const res = await request(appLoggingTo(lines)).get('/v1/boom').set('X-Request-Id', 'trace-7');
    expect(res.status).toBe(500);
    expect(res.body.error.message).toContain('trace-7');
    expect(lines).toContainEqual(expect.objectContaining({ requestId: 'trace-7', level: 50 }));
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'a b'],
    ['with a quote', 'a"b'],
    ['empty', ''],
  ])('replaces a client id that is %s with a generated one', (_label, id) => {
    expect(requestIdFrom(id)).toMatch(UUID);
  });

  it('keeps a client id of 128 safe characters', () => {
    const id = `${'a'.repeat(120)}-_.:/+=@`;
    expect(requestIdFrom(id)).toBe(id);
  });
});

describe('the API through the harness', () => {
  it.each([
    ['DELETE', '/v1/invitations', 'POST'],
    ['GET', '/v1/invitations', 'POST'],
    ['PUT', '/v1/conversations/c1', 'GET, HEAD'],
    ['DELETE', '/v1/invitations/school-meals/x1', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])(
    '%s %s, a path served with other methods, is 405 GW_METHOD_NOT_ALLOWED naming them in Allow, with the id',
    async (method, path, allow) => {
      const { createTestApp, bearer } = await import('./harness.js');
      const t = await createTestApp();
      try {
        const agent = request(t.app);
        const send =
          method === 'GET'
            ? agent.get(path)
            : method === 'PUT'
              ? agent.put(path)
              : method === 'POST'
                ? agent.post(path)
                : agent.delete(path);
        const res = await send.set('Authorization', bearer('system')).set('X-Request-Id', 'r-405');
        expect(res.status).toBe(405);
        expect(res.headers.allow).toBe(allow);
        expect(res.headers['x-request-id']).toBe('r-405');
        expect(res.body.error.code).toBe('GW_METHOD_NOT_ALLOWED');
        const none = await request(t.app).delete('/v1/nowhere').set('Authorization', bearer('system'));
        expect(none.status).toBe(404);
      } finally {
        await t.close();
      }
    },
  );

  it('answers a refused request with the id too', async () => {
    const { createTestApp } = await import('./harness.js');
    const t = await createTestApp();
    try {
      const res = await request(t.app).post('/v1/invitations').set('X-Request-Id', 'r-1').send({});
      expect(res.status).toBe(401);
      expect(res.headers['x-request-id']).toBe('r-1');
    } finally {
      await t.close();
    }
  });
});
