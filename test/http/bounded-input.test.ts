/**
 * Inputs bounded at the edge: one rule per field, shared by the API and the templates, so whatever the API
 * accepts renders, and no SMS the API causes takes more parts than its service allows.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorSchema } from '../../gateway/http/schemas.js';
import { smsOfJob } from '../../queues/jobs.js';
import { MAX_SMS_PARTS, buildConcatUdh, segment } from '../../sms/encoding.js';
import { KASPI, LONG_BANKS, homeSchoolingParams } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const post = (path: string, body: unknown) =>
  request(t.app)
    .post(path)
    .set('Authorization', bearer('system'))
    .send(body as object);

const portal = (externalId: string, fullName: unknown) => ({
  service: 'social-portal',
  externalId,
  msisdn: '77017770000',
  language: 'ru',
  params: { fullName, dataReceivedOn: '2026-11-20' },
});

async function queuedFor(conversationId: string): Promise<number> {
  const jobs = (
    await t.core.queues.smsOut.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])
  ).flatMap(smsOfJob);
  return jobs.filter((j) => j.conversationId === conversationId).length;
}

describe('a name is one line of well-formed text', () => {
  it.each([
    ['a 20,000-character name', 'Ә'.repeat(20_000), /at most 200/],
    ['a lone surrogate', 'Айгүл \ud800 Сейітқызы', /well-formed Unicode/],
    ['a NUL', 'Айгүл\u0000Сейітқызы', /U\+0000/],
    ['a line break', 'Айгүл\nСейітқызы', /line break/],
    ['a right-to-left override', 'Айгүл \u202eызқытйеС', /U\+202E/],
    ['a zero-width space', 'Ай\u200bгүл', /U\+200B/],
    ['a template brace', 'Айгүл {{x}}', /brace/],
  ])('refuses %s with a 400 naming params.fullName', async (_label, fullName, message) => {
    const res = await post('/v1/invitations', portal(`bad-name-${_label}`, fullName));
    expect(res.status).toBe(400);
    const { error } = errorSchema.parse(res.body);
    expect(error.code).toBe('GW_VALIDATION_FAILED');
    expect(error.details).toEqual(
      expect.arrayContaining([{ path: 'params.fullName', message: expect.stringMatching(message) }]),
    );
  });

  it('accepts a name with a character outside the BMP (a well-formed surrogate pair)', async () => {
    const res = await post('/v1/invitations', portal('good-name', 'Айгүл Сейітқызы 𝔸'));
    expect(res.status).toBe(202);
  });
});

describe('account-opened with a hostile bank name', () => {
  async function awaitingAccount(externalId: string): Promise<string> {
    const { conversation } = await t.core.conversations.invite({
      service: 'home-schooling',
      externalId,
      msisdn: '77013330001',
      language: 'ru',
      params: homeSchoolingParams([]),
    });
    return conversation.id;
  }

  it.each([
    ['{{x}}', 'Банк {{x}}'],
    ['a line break', 'Банк\nКаспи'],
  ])('a bank name with %s is a 400 naming bank.nameRu, not GW_INTERNAL', async (_label, nameRu) => {
    const id = await awaitingAccount(`ev-hostile-${_label}`);
    const res = await post('/v1/events', {
      type: 'account-opened',
      conversationId: id,
      bank: { code: 'CASP', nameKk: 'Kaspi Bank', nameRu },
    });
    expect(res.status).toBe(400);
    const { error } = errorSchema.parse(res.body);
    expect(error.code).toBe('GW_VALIDATION_FAILED');
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'bank.nameRu' })]));
    expect((await t.core.conversations.get(id))?.state).toBe('awaiting_account');
  });
});

describe('the parts an SMS may take', () => {
  const longBanks = LONG_BANKS;
  const homeWith = (externalId: string, banks: unknown[]) => ({
    service: 'home-schooling',
    externalId,
    msisdn: '77017770002',
    language: 'ru',
    params: homeSchoolingParams(banks),
  });

  it('refuses an invitation whose SMS would exceed the service maxParts, naming the field and the parts', async () => {
    // 20 banks of 200 characters: every field within its own limit, the SMS far over 20 parts.
    const res = await post('/v1/invitations', homeWith('too-many-parts', longBanks));
    expect(res.status).toBe(400);
    const { error } = errorSchema.parse(res.body);
    expect(error.code).toBe('GW_VALIDATION_FAILED');
    expect(error.message).toMatch(/would take \d+ parts; home-schooling allows at most 20/);
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'params.banks', parts: expect.any(Number), maxParts: 20 }),
    ]);
  });

  it.each([
    ['one bank (Appendix 1, then Appendix 2 after #3#0)', [KASPI]],
    ['no bank (Appendix 3)', []],
  ])(
    'refuses an invitation with %s whose integratedBanks would make a later SMS exceed maxParts, naming params.integratedBanks (it was accepted, and the #3#0 reply then failed with no answer)',
    async (_label, banks) => {
      const res = await post('/v1/invitations', {
        ...homeWith(`integrated-too-long-${banks.length}`, banks),
        params: { ...homeSchoolingParams(banks), integratedBanks: longBanks },
      });
      expect(res.status).toBe(400);
      const { error } = errorSchema.parse(res.body);
      expect(error.code).toBe('GW_VALIDATION_FAILED');
      expect(error.details).toEqual([
        expect.objectContaining({ path: 'params.integratedBanks', parts: expect.any(Number), maxParts: 20 }),
      ]);
    },
  );

  it('queues nothing for the refused invitation; the corrected one with the same externalId goes out once', async () => {
    expect((await post('/v1/invitations', homeWith('fixed-after-400', longBanks))).status).toBe(400);
    const fixed = await post('/v1/invitations', homeWith('fixed-after-400', [KASPI]));
    expect(fixed.status).toBe(202);
    expect(await queuedFor(String(fixed.body.conversationId))).toBe(1);
  });

  it('accepts the longest name a field allows: it fits in the service maxParts', async () => {
    const res = await post('/v1/invitations', portal('longest-name', 'Ә'.repeat(200)));
    expect(res.status).toBe(202);
    expect(await queuedFor(String(res.body.conversationId))).toBe(1);
  });
});

describe('the SMS layer', () => {
  it(`refuses a text of more than ${MAX_SMS_PARTS} parts as a bug`, () => {
    expect(segment('я'.repeat(67 * MAX_SMS_PARTS)).parts).toHaveLength(MAX_SMS_PARTS);
    expect(() => segment('я'.repeat(67 * MAX_SMS_PARTS + 1))).toThrow(RangeError);
  });

  it('never builds a concatenation header whose octets would wrap', () => {
    expect(buildConcatUdh({ ref: 1, total: 255, seq: 255, refBits: 8 })).toHaveLength(6);
    expect(() => buildConcatUdh({ ref: 1, total: 256, seq: 1, refBits: 8 })).toThrow(RangeError);
    expect(() => buildConcatUdh({ ref: 1, total: 302, seq: 257, refBits: 16 })).toThrow(RangeError);
    expect(() => buildConcatUdh({ ref: 1, total: 3, seq: 0, refBits: 8 })).toThrow(RangeError);
  });
});
