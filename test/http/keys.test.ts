import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditListSchema, keyCreatedSchema, keyListSchema } from '../../gateway/http/schemas.js';
import { createKeys } from '../../store/keys.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const asSupervisor = (method: 'get' | 'post', path: string) =>
  request(t.app)[method](path).set('Authorization', bearer('supervisor'));
const lookup = (key: string, app = t.app) =>
  request(app).get('/v1/conversations?msisdn=77010000000').set('Authorization', `Bearer ${key}`);

async function createKey(body: Record<string, unknown>, app = t.app) {
  const res = await request(app).post('/v1/keys').set('Authorization', bearer('supervisor')).send(body);
  expect(res.status).toBe(201);
  return keyCreatedSchema.parse(res.body);
}

describe("people's keys", () => {
  it('a supervisor creates a key for a person: the key is shown once, works at once, and the list never shows it', async () => {
    const created = await createKey({ person: 'a.nurlanova', role: 'agent' });
    expect(created).toMatchObject({ person: 'a.nurlanova', role: 'agent', services: null });
    expect(created.key).toMatch(/^gw1414_[A-Za-z0-9_-]{43}$/);
    expect(created.createdBy).toMatch(/^API_KEYS:[0-9a-f]{12}$/);
    expect((await lookup(created.key)).status).toBe(200);

    const list = keyListSchema.parse((await asSupervisor('get', '/v1/keys')).body);
    expect(list.keys.find((k) => k.id === created.id)).toMatchObject({ person: 'a.nurlanova' });
    expect(JSON.stringify(list)).not.toContain(created.key);
  });

  it('stores only the SHA-256 of a key in Redis, never the key', async () => {
    const created = await createKey({ person: 'hash.check', role: 'agent' });
    const { redis } = t.core;
    const keys = createKeys(t.core.keyPrefix);
    const stored = JSON.stringify([
      await redis.hgetall(keys.personKeys()),
      await redis.hgetall(keys.personKeyIds()),
    ]);
    expect(stored).not.toContain(created.key);
    const { createHash } = await import('node:crypto');
    expect(stored).toContain(createHash('sha256').update(created.key).digest('hex'));
  });

  it('a revoked key is refused from the very next request, without a restart, and the revocation is audited with its reason', async () => {
    const created = await createKey({ person: 'b.sadykov', role: 'supervisor' });
    expect((await lookup(created.key)).status).toBe(200);
    const revoked = await asSupervisor('post', `/v1/keys/${created.id}/revoke`).send({
      reason: 'left the call centre',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.id, person: 'b.sadykov', revoked: true });
    const refused = await lookup(created.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('GW_UNAUTHENTICATED');
    const list = keyListSchema.parse((await asSupervisor('get', '/v1/keys')).body);
    expect(list.keys.map((k) => k.id)).not.toContain(created.id);
    const audit = auditListSchema.parse((await asSupervisor('get', '/v1/audit?limit=5')).body);
    // The refused lookup with the revoked key is audited too (refusals.ts); the revocation is before it.
    expect(audit.entries.find((e) => e.action === 'key-revoke')).toMatchObject({
      action: 'key-revoke',
      targetKey: created.id,
      targetPerson: 'b.sadykov',
      reason: 'left the call centre',
      role: 'supervisor',
    });
    expect(
      (await asSupervisor('post', `/v1/keys/${created.id}/revoke`).send({ reason: 'twice over' })).status,
    ).toBe(404);
  });

  it('the audit log names the person who looked, and their key', async () => {
    const created = await createKey({ person: 'c.omarova', role: 'agent' });
    await lookup(created.key);
    const audit = auditListSchema.parse((await asSupervisor('get', '/v1/audit?limit=1')).body);
    expect(audit.entries[0]).toMatchObject({
      action: 'search',
      actor: 'c.omarova',
      keyId: created.id,
      role: 'agent',
    });
  });

  it('a key made by a supervisor can create keys in turn; an agent may not manage keys', async () => {
    const supervisor = await createKey({ person: 'd.supervisor', role: 'supervisor' });
    const agent = await createKey({ person: 'e.agent', role: 'agent' });
    const made = await request(t.app)
      .post('/v1/keys')
      .set('Authorization', `Bearer ${supervisor.key}`)
      .send({ person: 'f.agent', role: 'agent' });
    expect(made.status).toBe(201);
    expect(made.body.createdBy).toBe('d.supervisor');
    for (const [method, path] of [
      ['post', '/v1/keys'],
      ['get', '/v1/keys'],
      ['post', `/v1/keys/${supervisor.id}/revoke`],
    ] as const) {
      const res = await request(t.app)[method](path).set('Authorization', `Bearer ${agent.key}`).send({});
      expect(res.status).toBe(403);
    }
    expect((await request(t.app).get('/v1/keys').set('Authorization', bearer('system'))).status).toBe(403);
  });

  it('refuses a bad person, role or service with a 400 naming the field', async () => {
    for (const [body, field] of [
      [{ person: 'x', role: 'agent' }, 'person'],
      [{ person: 'ok.person', role: 'system' }, 'role'],
      [{ person: 'ok.person', role: 'agent', services: ['nope'] }, 'services'],
      [{ role: 'agent' }, 'person'],
    ] as const) {
      const res = await asSupervisor('post', '/v1/keys').send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.error.details)).toContain(field);
    }
    const noReason = await asSupervisor('post', '/v1/keys/0123456789ab/revoke').send({});
    expect(noReason.status).toBe(400);
  });
});

describe('rate limits per person', () => {
  it("two keys of one person share a bucket; another person's key has its own", async () => {
    const limited = await createTestApp({ lookupLimit: { burst: 2, perSecond: 0.5 } });
    try {
      const first = await createKey({ person: 'g.same', role: 'agent' }, limited.app);
      const second = await createKey({ person: 'g.same', role: 'agent' }, limited.app);
      const other = await createKey({ person: 'h.other', role: 'agent' }, limited.app);
      expect((await lookup(first.key, limited.app)).status).toBe(200);
      expect((await lookup(second.key, limited.app)).status).toBe(200);
      expect((await lookup(second.key, limited.app)).status).toBe(429);
      expect((await lookup(first.key, limited.app)).status).toBe(429);
      expect((await lookup(other.key, limited.app)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
