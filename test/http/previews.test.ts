import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI, LONG_BANKS } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const preview = (body: object, role: Parameters<typeof bearer>[0] = 'system') =>
  request(t.app).post('/v1/previews').set('Authorization', bearer(role)).send(body);

describe('POST /v1/previews', () => {
  it('renders the invitation with its encoding, parts, template version and act, and sends nothing', async () => {
    const res = await preview({ service: 'home-schooling', language: 'ru', params: homeSchoolingParams() });
    expect(res.status).toBe(200);
    expect(res.body.source).toContain('003');
    const [sms] = res.body.sms as Array<Record<string, unknown>>;
    expect(sms).toMatchObject({
      templateId: 'home-schooling.offer-one-bank',
      language: 'ru',
      encoding: 'ucs2',
      asksConsent: true,
    });
    expect(sms?.text).toContain('Kaspi Bank');
    expect(sms?.parts).toBeGreaterThan(1);
    expect(sms?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const queued = await t.core.queues.smsOut.getJobCounts('waiting', 'prioritized', 'delayed');
    expect(Object.values(queued).every((n) => n === 0)).toBe(true);
  });

  it.each([
    ['banks', { banks: LONG_BANKS, integratedBanks: [KASPI] }],
    ['integratedBanks', { banks: [KASPI], integratedBanks: LONG_BANKS }],
  ])(
    'refuses, as the invitation would, a list in params.%s whose SMS would exceed maxParts (the preview answered 200 for what POST /v1/invitations refuses)',
    async (field, lists) => {
      const params = { ...homeSchoolingParams(), ...lists };
      const res = await preview({ service: 'home-schooling', language: 'ru', params });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        expect.objectContaining({ path: `params.${field}`, maxParts: 20 }),
      ]);
    },
  );

  it('names a missing param, and is for the system role only', async () => {
    const res = await preview({ service: 'school-meals', language: 'kk', params: { parentFullName: 'А' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('params.childFullName');
    expect((await preview({ service: 'school-meals', language: 'kk', params: {} }, 'agent')).status).toBe(
      403,
    );
  });
});
