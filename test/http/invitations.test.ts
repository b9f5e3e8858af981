import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedSchema, batchResultSchema, errorSchema } from '../../gateway/http/schemas.js';
import { smsOfJob } from '../../queues/jobs.js';
import { homeSchoolingParams } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const invite = (body: unknown, role: Parameters<typeof bearer>[0] = 'system') =>
  request(t.app)
    .post('/v1/invitations')
    .set('Authorization', bearer(role))
    .send(body as object);

const home = (externalId: string, msisdn: unknown = '77011234567', extra: object = {}) => ({
  service: 'home-schooling',
  externalId,
  msisdn,
  language: 'ru',
  params: homeSchoolingParams(),
  ...extra,
});
const meals = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };

describe('POST /v1/invitations, one invitation', () => {
  it('answers 202 with the conversation id and state, storing the canonical msisdn', async () => {
    const res = await invite(home('one-1', '+7 (701) 555-12-34'));
    expect(res.status).toBe(202);
    const body = acceptedSchema.parse(res.body);
    expect(body.state).toBe('invited');
    expect((await t.core.conversations.get(body.conversationId))?.msisdn).toBe('77015551234');
  });

  it.each([['8 701 555 00 01'], ['+77015550001'], ['77015550001'], ['8-701-555-00-01']])(
    'accepts the spelling %s as 77015550001',
    async (msisdn) => {
      const res = await invite(home(`spell-${msisdn}`, msisdn));
      expect(res.status).toBe(202);
      const { conversationId } = acceptedSchema.parse(res.body);
      expect((await t.core.conversations.get(conversationId))?.msisdn).toBe('77015550001');
    },
  );

  it('is idempotent on (service, externalId): the same call answers the same conversation and queues one SMS', async () => {
    const first = await invite(home('idem-1'));
    const again = await invite(home('idem-1'));
    expect(again.status).toBe(202);
    expect(first.body.created).toBe(true);
    expect(again.body).toEqual({ ...first.body, created: false });
    const jobs = (
      await t.core.queues.smsOut.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])
    ).flatMap(smsOfJob);
    expect(jobs.filter((j) => j.conversationId === first.body.conversationId)).toHaveLength(1);
  });

  it.each([
    ['another msisdn', home('same-1', '77019998877'), ['msisdn']],
    ['another language', home('same-1', '77011234567', { language: 'kk' }), ['language']],
    [
      'other params',
      home('same-1', '77011234567', {
        params: { ...homeSchoolingParams(), fullName: 'Другое Имя', banks: [] },
      }),
      ['params.banks', 'params.fullName'],
    ],
  ])(
    'answers the same (service, externalId) with %s by 409 naming the fields, and sends nothing',
    async (_l, body, fields) => {
      const first = await invite(home('same-1'));
      expect(first.status).toBe(202);
      const res = await invite(body);
      expect(res.status).toBe(409);
      const { error } = errorSchema.parse(res.body);
      expect(error.code).toBe('GW_INVITATION_MISMATCH');
      expect((error.details as Array<{ path: string }>).map((d) => d.path)).toEqual(fields);
      expect(error.message).not.toContain('77019998877');
      const conv = await t.core.conversations.get(first.body.conversationId as string);
      expect(conv?.msisdn).toBe('77011234567');
    },
  );

  it.each([
    ['in the future', '2099-01-01', 'in the future'],
    ['more than 2 months ago', '2020-01-01', 'too long ago'],
  ])('answers 400 naming params.dataReceivedOn when the portal data arrived %s', async (_label, day, why) => {
    const res = await invite({
      service: 'social-portal',
      externalId: `portal-${day}`,
      msisdn: '77015550077',
      language: 'ru',
      params: { fullName: 'Айгүл Сейітқызы', dataReceivedOn: day },
    });
    expect(res.status).toBe(400);
    const { error } = errorSchema.parse(res.body);
    expect(error.code).toBe('GW_VALIDATION_FAILED');
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'params.dataReceivedOn', message: expect.stringContaining(why) }),
    ]);
  });

  it('answers a repeated school-meals invitation whose optional field was left out the same way', async () => {
    const body = {
      service: 'school-meals',
      externalId: 'm-opt',
      msisdn: '77010000021',
      language: 'ru',
      params: meals,
    };
    expect((await invite(body)).body.created).toBe(true);
    const again = await invite(body);
    expect(again.status).toBe(202);
    expect(again.body.created).toBe(false);
  });

  it('school-meals with recipients writes to the mother whatever the order of the list (002, item 9)', async () => {
    const recipients = [
      { role: 'guardian', msisdn: '77010000003' },
      { role: 'father', msisdn: '87010000002' },
      { role: 'mother', msisdn: '+7 701 000 00 01' },
    ];
    const res = await invite({
      service: 'school-meals',
      externalId: 'm-1',
      recipients,
      language: 'kk',
      params: meals,
    });
    expect(res.status).toBe(202);
    expect((await t.core.conversations.get(acceptedSchema.parse(res.body).conversationId))?.msisdn).toBe(
      '77010000001',
    );
  });

  it("takes every param CONTRACT.md lists, strict as params are: school-meals' optional schoolName with recipients, home-schooling's banks with a link", async () => {
    const withSchool = await invite({
      service: 'school-meals',
      externalId: 'm-contract',
      recipients: [{ role: 'mother', msisdn: '77010000021' }],
      language: 'ru',
      params: { ...meals, schoolName: 'Школа-гимназия № 5' },
    });
    expect(withSchool.status).toBe(202);
    const params = homeSchoolingParams();
    const withLink = await invite({
      ...home('h-contract', '77010000022'),
      params: {
        ...params,
        integratedBanks: [
          {
            code: 'FFIN',
            nameKk: 'Freedom Bank',
            nameRu: 'Freedom Bank',
            link: 'https://bankffin.kz/ru/open-account',
          },
        ],
      },
    });
    expect(withLink.status).toBe(202);
  });

  it('params full of fields the service does not list are a 400 naming the first few and counting the rest, not one detail each', async () => {
    const extra = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const res = await invite({
      service: 'school-meals',
      externalId: 'm-flood',
      msisdn: '77010000023',
      language: 'ru',
      params: { ...meals, ...extra },
    });
    expect(res.status).toBe(400);
    const { error } = errorSchema.parse(res.body);
    const details = error.details as Array<{ path: string; message: string }>;
    expect(details.length).toBeLessThanOrEqual(11);
    expect(details[0]).toMatchObject({ path: 'params.k0' });
    expect(details.at(-1)).toEqual({
      path: 'params',
      message: 'and 4990 more fields school-meals does not list',
    });
  });

  it('school-meals without a mother writes to the father, then the guardian', async () => {
    const recipients = [
      { role: 'guardian', msisdn: '77010000013' },
      { role: 'father', msisdn: '77010000012' },
    ];
    const res = await invite({
      service: 'school-meals',
      externalId: 'm-2',
      recipients,
      language: 'ru',
      params: meals,
    });
    expect((await t.core.conversations.get(acceptedSchema.parse(res.body).conversationId))?.msisdn).toBe(
      '77010000012',
    );
  });

  it.each([
    ['a number that is not Kazakh', home('bad-1', '+44 20 7946 0958'), 'msisdn'],
    ['a number of the wrong type', home('bad-2', 77011234567), 'msisdn'],
    ['an unknown service', { ...home('bad-3'), service: 'no-such' }, 'service'],
    ['an unknown language', { ...home('bad-4'), language: 'en' }, 'language'],
    ['params missing a field', { ...home('bad-5'), params: { serviceCode: '123' } }, 'params.fullName'],
    [
      'a misspelt optional param (the SMS would go without it)',
      {
        service: 'school-meals',
        externalId: 'bad-12',
        language: 'ru',
        msisdn: '77010000001',
        params: { ...meals, schoolname: 'Школа № 5' },
      },
      'params.schoolname',
    ],
    [
      'both msisdn and recipients',
      { ...home('bad-6'), recipients: [{ role: 'mother', msisdn: '77010000001' }] },
      'msisdn',
    ],
    ['neither msisdn nor recipients', { ...home('bad-7'), msisdn: undefined }, 'msisdn'],
    [
      'recipients for a service without roles',
      { ...home('bad-8'), msisdn: undefined, recipients: [{ role: 'mother', msisdn: '77010000001' }] },
      'recipients',
    ],
    [
      'an unknown recipient role',
      {
        service: 'school-meals',
        externalId: 'bad-9',
        language: 'ru',
        params: meals,
        recipients: [{ role: 'aunt', msisdn: '77010000001' }],
      },
      'recipients.0.role',
    ],
    [
      'school meals with no number at all (002 item 8: the portal ends that process and records it)',
      { service: 'school-meals', externalId: 'bad-11', language: 'ru', params: meals, recipients: [] },
      'recipients',
    ],
    ['a bad campaign id', home('bad-10', '77011234567', { campaign: 'no spaces please' }), 'campaign'],
    ['an empty body', {}, 'service'],
    ['an array', [1, 2], '(body)'],
  ])('refuses %s with 400 and a field-level detail', async (_name, body, path) => {
    const res = await invite(body);
    expect(res.status).toBe(400);
    const { error } = errorSchema.parse(res.body);
    expect(error.code).toBe('GW_VALIDATION_FAILED');
    expect((error.details as Array<{ path: string }>).map((d) => d.path)).toContain(path);
  });
});

describe('POST /v1/invitations, a batch', () => {
  it('answers per entry: a bad entry fails alone and the others start', async () => {
    const res = await invite({
      invitations: [
        home('b-1', '77012220001'),
        home('b-2', 'not a phone'),
        'junk',
        home('b-3', '87012220003'),
      ],
    });
    expect(res.status).toBe(202);
    const body = batchResultSchema.parse(res.body);
    expect(body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(body.results.map((r) => [r.index, r.state ?? r.error?.code])).toEqual([
      [0, 'invited'],
      [1, 'GW_VALIDATION_FAILED'],
      [2, 'GW_VALIDATION_FAILED'],
      [3, 'invited'],
    ]);
    expect(body.results[1]?.error?.details).toEqual([
      { path: 'msisdn', message: expect.stringMatching(/Kazakh/) },
    ]);
  });

  it('starts two thousand invitations in one request, each once, and counts them for the campaign', async () => {
    const entries = Array.from({ length: 2000 }, (_, i) =>
      home(`bulk-${i}`, `7702${String(i).padStart(7, '0')}`, { campaign: 'bulk-test' }),
    );
    const started = performance.now();
    const res = await invite({ invitations: entries });
    console.log(`batch of 2000 invitations answered in ${Math.round(performance.now() - started)} ms`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2000, rejected: 0 });
    const { results } = batchResultSchema.parse(res.body);
    expect(new Set(results.map((r) => r.conversationId)).size).toBe(2000);
    const again = batchResultSchema.parse((await invite({ invitations: entries.slice(0, 10) })).body);
    expect(again.results.every((r) => r.created === false)).toBe(true);
    const progress = await request(t.app)
      .get('/v1/campaigns/bulk-test')
      .set('Authorization', bearer('system'));
    expect(progress.body.progress.queued).toBe(2000);
  });

  it('the same invitation twice in a batch starts one conversation, created by the first entry and counted once for its campaign', async () => {
    const entries: Array<[campaign: string, entry: object]> = [
      ['twice-home', home('twice-home', '77013330010', { campaign: 'twice-home' })],
      [
        'twice-meals',
        {
          service: 'school-meals',
          externalId: 'twice-meals',
          msisdn: '77013330020',
          language: 'ru',
          params: meals,
          campaign: 'twice-meals',
        },
      ],
    ];
    for (const [campaign, entry] of entries) {
      const res = await invite({ invitations: [entry, entry, { ...entry, msisdn: '77013339999' }, entry] });
      const { results } = batchResultSchema.parse(res.body);
      expect(new Set(results.map((r) => r.conversationId)).size, campaign).toBe(2);
      expect(results.map((r) => r.created ?? r.error?.code)).toEqual([
        true,
        false,
        'GW_INVITATION_MISMATCH',
        false,
      ]);
      const progress = await request(t.app)
        .get(`/v1/campaigns/${campaign}`)
        .set('Authorization', bearer('system'));
      expect(progress.body.progress.queued).toBe(1);
    }
  });

  it('refuses an empty batch and one over the limit as a whole', async () => {
    expect((await invite({ invitations: [] })).status).toBe(400);
    const res = await invite({ invitations: Array.from({ length: 10_001 }, () => 0) });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('invitations');
  });
});
