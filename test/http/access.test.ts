import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/http/auth.js';
import { OPERATIONS } from '../../gateway/http/openapi.js';
import { bearer, createTestApp, KEYS, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const ROLES = ['system', 'agent', 'supervisor'] as const;
const guarded = OPERATIONS.filter((op) => op.roles !== null);
const concrete = (path: string) => path.replace('{id}', 'abc123').replace('{lang}', 'ru');

function call(method: 'get' | 'post', path: string, auth?: string) {
  const req = method === 'get' ? request(t.app).get(concrete(path)) : request(t.app).post(concrete(path));
  return auth === undefined ? req : req.set('Authorization', auth);
}

describe.each(guarded.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
  '%s',
  (_name, op) => {
    it('without a key is 401 with WWW-Authenticate', async () => {
      const res = await call(op.method, op.path);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body.error.code).toBe('GW_UNAUTHENTICATED');
    });

    it.each([
      ['an unknown key', 'Bearer not-a-key'],
      ['a key without Bearer', KEYS.system],
      ['Basic auth', 'Basic c3lzOmtleQ=='],
      ['an empty Bearer', 'Bearer '],
    ])('with %s is 401', async (_label, auth) => {
      expect((await call(op.method, op.path, auth)).status).toBe(401);
    });

    it.each(ROLES.map((r) => [r] as const))('with a %s key is let in only if the role may', async (role) => {
      const res = await call(op.method, op.path, bearer(role));
      if (op.roles?.includes(role)) expect([401, 403]).not.toContain(res.status);
      else {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('GW_FORBIDDEN');
      }
      expect(res.status).toBeLessThan(500);
    });
  },
);

describe('bad input never makes a 500', () => {
  const post = (path: string) => request(t.app).post(path).set('Authorization', bearer('system'));

  it.each(['/v1/invitations', '/v1/events'])('%s: malformed JSON is 400', async (path) => {
    const res = await post(path).set('Content-Type', 'application/json').send('{"service": "home-sch');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'GW_VALIDATION_FAILED',
      message: 'the body is not valid JSON',
    });
  });

  it.each(['/v1/invitations', '/v1/events'])(
    '%s: a body that is not JSON is 400 saying to send Content-Type: application/json',
    async (path) => {
      const res = await post(path).set('Content-Type', 'text/plain').send('service=home-schooling');
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'GW_VALIDATION_FAILED',
        message: 'the body must be JSON, sent with Content-Type: application/json (got text/plain)',
      });
    },
  );

  it('a JSON body sent as curl -d sends it (form-urlencoded) is 400 saying which Content-Type to send', async () => {
    const res = await post('/v1/invitations')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('{"service":"home-schooling"}');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Content-Type: application\/json \(got application\/x-www-form/);
  });

  it.each(['"hello"', 'null', '5', ' true'])(
    'a JSON scalar (%s) is 400: the body must be a JSON object',
    async (body) => {
      for (const path of ['/v1/invitations', '/v1/events']) {
        const res = await post(path).set('Content-Type', 'application/json').send(body);
        expect(res.status).toBe(400);
        expect(res.body.error).toEqual({
          code: 'GW_VALIDATION_FAILED',
          message: 'the body must be a JSON object',
        });
      }
    },
  );

  it('a JSON object after a UTF-8 byte order mark is read as the object it is', async () => {
    const body = '\uFEFF{"type":"decision","conversationId":"nosuch","outcome":"assigned"}';
    const res = await post('/v1/events').set('Content-Type', 'application/json').send(body);
    expect(res.body.error?.message).not.toBe('the body must be a JSON object');
    expect(res.status).toBe(404);
  });

  it('a body over 5 MB is 413', async () => {
    const res = await post('/v1/invitations')
      .set('Content-Type', 'application/json')
      .send(`{"x":"${'a'.repeat(5_300_000)}"}`);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('GW_PAYLOAD_TOO_LARGE');
  });

  it('an unauthenticated request is refused before its body is read (malformed JSON without a key is 401)', async () => {
    const res = await request(t.app)
      .post('/v1/invitations')
      .set('Content-Type', 'application/json')
      .send('{oops');
    expect(res.status).toBe(401);
  });

  it.each(['/V1/audit', '/v1/Audit', '/v1/audit/', '/V1/conversations?msisdn=77010000000'])(
    '%s without a key is 401 too (express matches paths case-insensitively)',
    async (path) => {
      expect((await request(t.app).get(path)).status).toBe(401);
    },
  );

  it('an unknown path is 404 in the error shape', async () => {
    const res = await request(t.app).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it('random JSON to the write endpoints is always a 2xx or 4xx, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/invitations', '/v1/events'),
        fc.jsonValue(),
        async (path, body) => {
          const res = await post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(typeof res.body.error.code).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('random invitation-shaped bodies are answered with a 202 or a field-level 400', async () => {
    const invitation = fc.record(
      {
        service: fc.constantFrom('home-schooling', 'school-meals', 'social-portal', 'x'),
        externalId: fc.string(),
        msisdn: fc.oneof(fc.string(), fc.constant('+7 701 000 11 22'), fc.integer()),
        language: fc.constantFrom('kk', 'ru', 'en'),
        params: fc.dictionary(
          fc.constantFrom(
            'fullName',
            'serviceCode',
            'banks',
            'integratedBanks',
            'parentFullName',
            'childFullName',
          ),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(invitation, async (body) => {
        const res = await post('/v1/invitations').send(body);
        expect([202, 400]).toContain(res.status);
        if (res.status === 400) expect(res.body.error.details.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('key check', () => {
  it('finds the role of a known key and nothing for a prefix, a longer key or another case', async () => {
    const check = createAuthenticator([
      { role: 'agent', key: 'abc-123' },
      { role: 'system', key: 'xyz-789' },
    ]);
    expect(await check('Bearer abc-123')).toMatchObject({
      role: 'agent',
      keyId: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect((await check('bearer xyz-789'))?.role).toBe('system');
    for (const header of ['Bearer abc-12', 'Bearer abc-1234', 'Bearer ABC-123', 'abc-123', undefined]) {
      expect(await check(header)).toBeUndefined();
    }
  });

  it('the fingerprint does not contain the key', async () => {
    const check = createAuthenticator([{ role: 'agent', key: 'abc' }]);
    expect((await check('Bearer abc'))?.keyId).not.toContain('abc');
  });
});
