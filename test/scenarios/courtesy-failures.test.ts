/**
 * The undelivered worklist holds SMS a citizen needed (docs/console.md): a "no open request" SMS,
 * the answer to a reply after the consent, that the carrier reports undelivered or the SMSC refuses
 * for good stays in the timeline and is counted (`gateway_courtesy_sms_failed_total{stage}`), but
 * puts no conversation on the list; a failed consent answer or invitation still does. Real gateway,
 * real Redis, the simulator's SMSC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofKind } from '../../store/timeline-entry.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { metricValue } from '../smpp/helpers.js';
import { drained, invite, numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('791');
const CONSENT = '123#3#1';
const NO_OPEN_REQUEST = 'gateway.no-open-request';
const CONSENT_ANSWER = 'home-schooling.consent-accepted';

/** The conversations on today's undelivered worklist (Almaty day of the gateway's clock). */
async function undeliveredToday(): Promise<string[]> {
  const { core } = t.gateway;
  const day = core.worklists.day(core.now());
  const page = await core.worklists.store.page('undelivered', [...core.services.keys()], day, undefined, 200);
  return page.ids;
}

const courtesyFailed = async (stage: 'submit' | 'receipt'): Promise<number> =>
  (await metricValue(t.gateway.metrics, 'gateway_courtesy_sms_failed_total', { stage })) ?? 0;

/** A consented conversation whose invitation and consent answer reached `phone`, every receipt read. */
async function consented(phone: string): Promise<string> {
  const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
  await t.sim.nextMessage((m) => m.destination === phone);
  await drained(t);
  await t.sim.injectReply({ from: phone, text: CONSENT });
  await stateReached(t, conv.id, 'consented');
  await eventually(async () => {
    const timeline = await t.gateway.core.store.timeline(conv.id);
    const answer = timeline.filter(ofKind('sms')).find((e) => e.templateId === CONSENT_ANSWER);
    return timeline
      .filter(ofKind('sms-status'))
      .some((e) => e.smsId === answer?.smsId && e.status === 'delivered');
  }, 'the consent answer to be delivered');
  await drained(t);
  return conv.id;
}

/** The "no open request" SMS of the conversation's timeline and its statuses. */
async function noOpenRequest(id: string) {
  const timeline = await t.gateway.core.store.timeline(id);
  const sms = timeline.filter(ofKind('sms')).find((e) => e.templateId === NO_OPEN_REQUEST);
  const statuses = timeline.filter(ofKind('sms-status')).filter((e) => e.smsId === sms?.smsId);
  return { sms, statuses };
}

describe('a failed "no open request" SMS', () => {
  it('reported undelivered by the carrier: in the timeline and counted, not on the undelivered worklist', async () => {
    const phone = msisdn();
    const id = await consented(phone);
    const before = await courtesyFailed('receipt');
    t.sim.setFinalState(phone, 'UNDELIV');
    await t.sim.injectReply({ from: phone, text: 'а где деньги?' });
    await eventually(
      async () => (await courtesyFailed('receipt')) > before,
      'the failed receipt to be counted',
    );

    const { sms, statuses } = await noOpenRequest(id);
    expect(sms).toBeDefined();
    expect(statuses).toContainEqual(expect.objectContaining({ status: 'failed', stat: 'UNDELIV' }));
    expect(await undeliveredToday()).not.toContain(id);
  });

  it('refused for good by the SMSC: in the timeline and counted, not on the undelivered worklist', async () => {
    const phone = msisdn();
    const id = await consented(phone);
    const before = await courtesyFailed('submit');
    t.sim.setFaults({ rejectTo: [phone] });
    try {
      await t.sim.injectReply({ from: phone, text: 'а где деньги?' });
      await eventually(async () => (await courtesyFailed('submit')) > before, 'the refusal to be counted');
    } finally {
      t.sim.setFaults({ rejectTo: [] });
    }

    const { sms, statuses } = await noOpenRequest(id);
    expect(sms).toBeDefined();
    expect(statuses).toContainEqual(expect.objectContaining({ status: 'failed' }));
    expect(await undeliveredToday()).not.toContain(id);
  });
});

describe('a failed SMS the citizen needed', () => {
  it('a consent answer reported undelivered puts its conversation on the undelivered worklist', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);
    await drained(t);
    t.sim.setFinalState(phone, 'UNDELIV');
    await t.sim.injectReply({ from: phone, text: CONSENT });
    await eventually(async () => (await undeliveredToday()).includes(conv.id), 'the worklist to list it');
    const timeline = await t.gateway.core.store.timeline(conv.id);
    const answer = timeline.filter(ofKind('sms')).find((e) => e.templateId === CONSENT_ANSWER);
    expect(timeline.filter(ofKind('sms-status'))).toContainEqual(
      expect.objectContaining({ smsId: answer?.smsId, status: 'failed' }),
    );
  });

  it('an invitation the SMSC refuses for good puts its conversation on the undelivered worklist', async () => {
    const phone = msisdn();
    t.sim.setFaults({ rejectTo: [phone] });
    try {
      const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
      await eventually(async () => (await undeliveredToday()).includes(conv.id), 'the worklist to list it');
      const timeline = await t.gateway.core.store.timeline(conv.id);
      expect(timeline.filter(ofKind('sms-status'))).toContainEqual(
        expect.objectContaining({ smsId: '0.0', status: 'failed' }),
      );
    } finally {
      t.sim.setFaults({ rejectTo: [] });
    }
  });
});
