/**
 * Paced campaigns (docs/operations.md, "Campaigns"): a campaign's invitations go one pace interval
 * apart, can be paused and resumed through the API, show their progress and forecast end, and
 * never hold up the answers to citizens' own SMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../smpp/helpers.js';
import { startCarriersGateway, type CarriersGateway } from '../support/carriers.js';
import { eventually, KEYS } from '../support/gateway.js';

let t: CarriersGateway;
beforeAll(async () => {
  t = await startCarriersGateway({ start: { smsLifetime: { pauseRecheckMs: 100 } } });
});
afterAll(async () => {
  await t?.stop();
});

const PARAMS = { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' };
const CAMPAIGN = 'meals-2026-12';
const phones = ['77011260001', '77011260002', '77011260003', '77011260004'];

async function api(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${t.gateway.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS.system}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function invite(msisdn: string) {
  return t.gateway.core.conversations.invite({
    service: 'school-meals',
    externalId: `pace-${msisdn}`,
    msisdn,
    language: 'ru',
    params: PARAMS,
  });
}

const campaignSent = () => t.kcell.messages.filter((m) => phones.includes(m.destination)).length;
const sentCount = (n: number, what: string) =>
  eventually(() => Promise.resolve(campaignSent() === n), what, 8000);
const deferred = async () =>
  (await metricValue(t.gateway.metrics, 'gateway_sms_total', { outcome: 'deferred' })) ?? 0;

describe('a paced campaign', () => {
  it('goes one interval apart, lets answers overtake it, pauses and resumes, with its forecast', async () => {
    const citizen = '77011260099';
    await invite(citizen);
    await t.kcell.nextMessage((m) => m.destination === citizen);

    const paced = await api('POST', `/v1/campaigns/${CAMPAIGN}/pace`, { perHour: 3600 });
    expect(paced.status).toBe(200);
    expect(paced.body).toMatchObject({ pace: { perMinute: 60, perHour: 3600 }, paused: false });

    const batch = await api('POST', '/v1/invitations', {
      invitations: phones.map((msisdn) => ({
        service: 'school-meals',
        externalId: `pace-${msisdn}`,
        msisdn,
        language: 'ru',
        params: PARAMS,
        campaign: CAMPAIGN,
      })),
    });
    expect(batch.body).toMatchObject({ accepted: 4 });
    await sentCount(1, 'the first invitation at once');

    // The citizen's own reply is answered at once, while the campaign waits for its next slot.
    await t.kcell.injectReply({ from: citizen, text: '3#1' });
    const answer = await t.kcell.nextMessage((m) => m.destination === citizen);
    expect(answer.text).toContain('socwallet');
    expect(campaignSent()).toBe(1);

    t.clock.advance(1000);
    await sentCount(2, 'the second one interval later');
    const progress = await eventually(async () => {
      const view = await api('GET', `/v1/campaigns/${CAMPAIGN}`);
      return view.body.remaining === 2 && view.body;
    }, 'two remaining');
    expect(progress.forecastEnd).toMatch(/^2026-11-24T11:00:03\+05:00$/);

    const paused = await api('POST', `/v1/campaigns/${CAMPAIGN}/pause`);
    expect(paused.body).toMatchObject({ paused: true, forecastEnd: null });
    t.clock.advance(10_000);
    // Both waiting invitations looked again (twice) and stayed.
    const before = await deferred();
    await eventually(async () => (await deferred()) >= before + 4, 'the waiting SMS to look again');
    expect(campaignSent()).toBe(2);

    const resumed = await api('POST', `/v1/campaigns/${CAMPAIGN}/resume`);
    expect(resumed.body).toMatchObject({ paused: false });
    await sentCount(3, 'the third at once after the resume');
    t.clock.advance(1000);
    await sentCount(4, 'the last one interval later');
    const done = await eventually(async () => {
      const view = await api('GET', `/v1/campaigns/${CAMPAIGN}`);
      return view.body.remaining === 0 && view.body;
    }, 'nothing remaining');
    expect(done.progress).toMatchObject({ queued: 4, sent: 4 });
  });

  it('a pace must be positive, per minute or per hour, not both', async () => {
    expect((await api('POST', '/v1/campaigns/x/pace', { perMinute: 0 })).status).toBe(400);
    expect((await api('POST', '/v1/campaigns/x/pace', { perMinute: 1, perHour: 60 })).status).toBe(400);
    expect((await api('GET', '/v1/campaigns/never-seen')).status).toBe(404);
  });
});
