/**
 * A complete audit: refused attempts on personal data (401, 403, 429) are recorded with the key's owner
 * where known, a flood of them is folded into counts, and an unmasking needs a reason from the list or
 * in words.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditListSchema } from '../../gateway/http/schemas.js';
import { homeSchoolingParams } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
let id: string;
beforeAll(async () => {
  t = await createTestApp();
  const { conversation } = await t.core.conversations.invite({
    service: 'home-schooling',
    externalId: 'audit-refusals',
    msisdn: '77014445500',
    language: 'ru',
    params: homeSchoolingParams(),
  });
  id = conversation.id;
});
afterAll(async () => {
  await t.close();
});

const audited = async (app = t.app) =>
  auditListSchema.parse(
    (await request(app).get('/v1/audit?limit=1000').set('Authorization', bearer('supervisor'))).body,
  ).entries;

/** Waits until the audit log holds an entry matching `match` (refusals are recorded once answered). */
const waitForEntry = (match: Record<string, unknown>, app = t.app) =>
  vi.waitFor(async () => {
    expect(await audited(app)).toEqual(expect.arrayContaining([expect.objectContaining(match)]));
  });

describe('refused attempts are audited', () => {
  it('a lookup without a valid key (401) is recorded with the presented key fingerprint and the address', async () => {
    const res = await request(t.app)
      .get(`/v1/conversations/${id}`)
      .set('Authorization', 'Bearer not-a-known-key-000000');
    expect(res.status).toBe(401);
    await waitForEntry({
      action: 'refused',
      status: 401,
      actor: 'unknown',
      role: 'none',
      path: `/v1/conversations/${id}`,
      keyId: expect.stringMatching(/^[0-9a-f]{12}$/),
      address: expect.any(String),
    });
  });

  it("an agent asking to unmask (403) is recorded with the key's owner", async () => {
    const res = await request(t.app)
      .get(`/v1/conversations/${id}?unmask=true&reason=citizen-call`)
      .set('Authorization', bearer('agent'));
    expect(res.status).toBe(403);
    await waitForEntry({
      action: 'refused',
      status: 403,
      role: 'agent',
      actor: expect.stringMatching(/^API_KEYS:/),
    });
  });

  it('a key over its lookup rate (429) is recorded, and a flood of refusals is folded into counts', async () => {
    const limited = await createTestApp({ lookupLimit: { burst: 2, perSecond: 0.001 }, refusalFoldMs: 300 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await request(limited.app)
          .get('/v1/conversations?msisdn=77014445500')
          .set('Authorization', bearer('supervisor'));
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
      // One entry when the window opens, one when it closes counting the other nine: all ten recorded,
      // though no attempt followed the window.
      await waitForEntry({ action: 'refused', status: 429, role: 'supervisor', count: 9 }, limited.app);
      const refused = (await audited(limited.app)).filter((e) => e.action === 'refused');
      expect(refused.map((e) => e.count)).toEqual([9, 1]);
      expect(refused[0]).not.toHaveProperty('msisdn');
      expect(refused[0]?.path).toBe('/v1/conversations');
    } finally {
      await limited.close();
    }
  });

  it.each([
    ['an agent reading the outboxes set aside', 'get', '/v1/outboxes/dead', 'agent', 403],
    ["an agent reading a webhook's dead letters", 'get', '/v1/webhooks/esobes/dead-letters', 'agent', 403],
    ['an agent starting an invitation', 'post', '/v1/invitations', 'agent', 403],
    [
      'a supervisor reading an invitation',
      'get',
      '/v1/invitations/home-schooling/audit-refusals',
      'supervisor',
      403,
    ],
    ['a system sending an event', 'post', '/v1/events', 'agent', 403],
    ['a system reading a worklist', 'get', '/v1/worklists/undelivered', 'system', 403],
  ] as const)('%s (refused) is recorded', async (_what, method, path, role, status) => {
    const app = await createTestApp();
    try {
      const res = await request(app.app)[method](path).set('Authorization', bearer(role)).send({});
      expect(res.status).toBe(status);
      await waitForEntry({ action: 'refused', status, role, path }, app.app);
    } finally {
      await app.close();
    }
  });

  it("a revoked person's key (401) on a worklist is recorded", async () => {
    const fresh = await createTestApp();
    try {
      const created = await request(fresh.app)
        .post('/v1/keys')
        .set('Authorization', bearer('supervisor'))
        .send({ person: 'g.revoked', role: 'agent' });
      expect(created.status).toBe(201);
      const { id: keyId, key } = created.body as { id: string; key: string };
      const revoked = await request(fresh.app)
        .post(`/v1/keys/${keyId}/revoke`)
        .set('Authorization', bearer('supervisor'))
        .send({ reason: 'left the call centre' });
      expect(revoked.status).toBe(200);
      const res = await request(fresh.app)
        .get('/v1/worklists/undelivered')
        .set('Authorization', `Bearer ${key}`);
      expect(res.status).toBe(401);
      await waitForEntry({ action: 'refused', status: 401, path: '/v1/worklists/undelivered' }, fresh.app);
      // The refused key's fingerprint is the one its creation recorded: the log says whose key it was.
      const entries = await audited(fresh.app);
      const refused = entries.find((e) => e.action === 'refused');
      expect(refused?.keyId).toMatch(/^[0-9a-f]{12}$/);
      expect(
        entries.find((e) => e.action === 'key-create' && e.targetFingerprint === refused?.keyId),
      ).toMatchObject({
        targetPerson: 'g.revoked',
        targetKey: keyId,
      });
    } finally {
      await fresh.close();
    }
  });

  it('a refusal on a path without personal data (the health check, campaigns) is not audited', async () => {
    const before = (await audited()).length;
    expect((await request(t.app).get('/v1/campaigns/x')).status).toBe(401);
    expect(
      (await request(t.app).get('/v1/conversations/zz').set('Authorization', bearer('system'))).status,
    ).toBe(403);
    await waitForEntry({ action: 'refused', status: 403, role: 'system' });
    expect((await audited()).length).toBe(before + 1);
  });
});

describe('the audit log holds no full number', () => {
  it('a phone number or an IIN typed where an id goes is recorded masked', async () => {
    for (const typed of ['77014445500', '900101300123']) {
      const res = await request(t.app)
        .get(`/v1/conversations/${typed}`)
        .set('Authorization', bearer('agent'));
      expect(res.status).toBe(404);
    }
    await waitForEntry({ action: 'view', role: 'agent', conversationId: '*******5500' });
    await waitForEntry({ action: 'view', role: 'agent', conversationId: '********0123' });
    const all = JSON.stringify(await audited());
    expect(all).not.toContain('77014445500');
    expect(all).not.toContain('900101300123');
  });

  it('a conversation looked up by its id is recorded by its id', async () => {
    expect(
      (await request(t.app).get(`/v1/conversations/${id}`).set('Authorization', bearer('agent'))).status,
    ).toBe(200);
    await waitForEntry({ action: 'view', role: 'agent', conversationId: id, msisdn: '7701***5500' });
  });
});

describe('the audit log is bounded and measured', () => {
  it('/metrics shows its entries against the most it keeps, and every refused attempt by status', async () => {
    const app = await createTestApp({ refusalFoldMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await request(app.app).get('/v1/audit').set('Authorization', bearer('agent'))).status).toBe(
          403,
        );
      }
      // Folded into one entry, counted three times.
      await waitForEntry({ action: 'refused', status: 403, role: 'agent', count: 1 }, app.app);
      const stored = (await audited(app.app)).length;
      const text = (await request(app.app).get('/metrics')).text;
      expect(text).toMatch(/^gateway_audit_refusals_total\{status="403"\} 3$/m);
      expect(text).toMatch(new RegExp(`^gateway_audit_entries ${stored}$`, 'm'));
      expect(text).toMatch(/^gateway_audit_entries_limit 1000000$/m);
      // A stopping process writes the two attempts its open window still folds.
      await app.flush();
      await waitForEntry({ action: 'refused', status: 403, role: 'agent', count: 2 }, app.app);
    } finally {
      await app.close();
    }
  });
});

describe('the reason for an unmasking', () => {
  const unmask = (reason: string) =>
    request(t.app)
      .get(`/v1/conversations/${id}?unmask=true&reason=${encodeURIComponent(reason)}`)
      .set('Authorization', bearer('supervisor'));

  it.each(['aaaaa', 'x y z w v', 'because I', '     .....'])(
    'refuses %j: not from the list, not in words',
    async (reason) => {
      const res = await unmask(reason);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/citizen-call/);
    },
  );

  it.each(['citizen-call', 'data-correction', 'citizen called 1414, ticket 881'])(
    'accepts %j',
    async (reason) => {
      expect((await unmask(reason)).status).toBe(200);
    },
  );
});
