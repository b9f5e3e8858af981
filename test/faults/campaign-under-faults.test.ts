/**
 * A campaign under carrier faults: 300 invitations posted to the HTTP API
 * while the SMSC stalls and cuts the link every 1-2 s and throttles every 5th submit (SMPP 3.4
 * §5.1.3, 0x58); then every citizen answers while the link is cut again, the carrier
 * retransmitting each reply until acknowledged, and every 10th once more after its ack.
 *
 * Accounting: each invitation reassembled once with the right text, no part accepted twice
 * (a part may be received twice: unanswered at a cut, or throttled), each reply stored once,
 * every conversation consented, `assignments` holding exactly the conversation ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignmentsReach,
  countParts,
  expectConsentedOnce,
  messagesByNumber,
  queuesIdle,
} from '../support/accounting.js';
import { cutLinkEvery, cutOnce, deliverUntilAcked, spread, type Cuts } from '../support/carrier.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { numbers } from '../support/scenario.js';

const N = 300;
const REPLY = '123#3#1';
/** The SMSC cuts the link after 1, 1.5, 2, 1, 1.5 s of campaign. */
const CUTS_MS = [1000, 1500, 2000];
const msisdn = numbers('711');
let t: TestGateway;

beforeAll(async () => {
  // Fast enough that the campaign lasts a few seconds, slow enough that it spans several cuts.
  // A throttle pauses the bind 100 ms instead of ESME_STATUS's 1 s (gateway/smpp/status.ts):
  // with every 5th submit refused, 1 s would stretch the campaign past a test's time.
  t = await startTestGateway({
    env: { SMPP_TPS: '400', SMPP_WINDOW: '20' },
    smpp: { throttleBackoffMs: 100 },
  });
});
afterAll(async () => {
  await t?.stop();
});

/** POST /v1/invitations with a batch, as an upstream system starts a campaign (docs/api.md). */
async function postCampaign(phones: readonly string[]): Promise<string[]> {
  const invitations = phones.map((p) => ({
    service: 'home-schooling',
    externalId: `campaign-${p}`,
    msisdn: p,
    language: 'kk',
    campaign: 'faults-campaign',
    params: homeSchoolingParams([KASPI]),
  }));
  const res = await fetch(`${t.gateway.httpUrl}/v1/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.system}`, 'content-type': 'application/json' },
    body: JSON.stringify({ invitations }),
  });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { accepted: number; results: Array<{ conversationId?: string }> };
  expect(body.accepted).toBe(phones.length);
  return body.results.map((r) => r.conversationId ?? '');
}

/**
 * Every citizen answers; the carrier keeps 20 deliver_sm in flight, as on a real bind, and
 * cuts the link after every 100th acknowledgement. Returns how many replies needed more than
 * one deliver_sm.
 */
async function everyoneReplies(phones: readonly string[], cuts: Cuts): Promise<number> {
  const queue = phones.map((p, i) => ({ p, i }));
  let acked = 0;
  let retransmitted = 0;
  // One cut at a time: a cut's stall lasts while other lanes go on acknowledging.
  let cutting = Promise.resolve();
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const delivery = await deliverUntilAcked(t.sim, next.p, REPLY);
      if (delivery.tries > 1) retransmitted += 1;
      if (++acked % 100 === 0 && acked < phones.length) {
        // No stall: the RST lands while deliver_sm are in flight, as a carrier link fails.
        cutting = cutting.then(() => cutOnce(t.sim, cuts, 0));
        await cutting;
      }
      // A carrier that missed our deliver_sm_resp sends the reply again: every 10th does.
      if (next.i % 10 === 0) await deliverUntilAcked(t.sim, next.p, REPLY);
    }
  };
  await Promise.all(Array.from({ length: 20 }, lane));
  return retransmitted;
}

/** Each number got exactly its invitation (the reference text, no part twice) and one acknowledgement. */
function expectInvitedAndAcknowledgedOnce(phones: readonly string[], reference: string): void {
  const byNumber = messagesByNumber(t.sim);
  for (const p of phones) {
    const [invitation, ack, ...more] = byNumber.get(p) ?? [];
    expect(invitation?.text, p).toBe(reference);
    expect(invitation?.duplicates, p).toBe(0);
    expect(ack, p).toBeDefined();
    expect(more, p).toEqual([]);
  }
}

describe('a campaign while the SMSC cuts the link and throttles', () => {
  it('sends each invitation once, stores each reply once and hands each consent over once', async () => {
    // The reference text: one invitation sent with no fault in force.
    await postCampaign([msisdn()]);
    const reference = await t.sim.nextMessage(() => true, 10_000);
    expect(reference.parts.length).toBeGreaterThan(1);

    const phones = Array.from({ length: N }, () => msisdn());
    t.sim.setFaults({ throttleEvery: 5 });
    const started = Date.now();
    const campaignCuts = cutLinkEvery(t.sim, CUTS_MS, 5);
    const ids = await postCampaign(phones);
    const campaign = await campaignCuts.done;
    const lastCutMs = Date.now() - started;
    await eventually(
      () => Promise.resolve(phones.every((p) => t.sim.messages.some((m) => m.destination === p))),
      'every invitation reassembled at the SMSC',
      40_000,
    );
    const sentMs = Date.now() - started;

    const replyCuts: Cuts = { drops: 0, recoveryMs: [] };
    const retransmitted = await everyoneReplies(phones, replyCuts);
    await assignmentsReach(t.gateway.core, N, 20_000);
    t.sim.setFaults({ throttleEvery: 0 });
    await queuesIdle(t.gateway.core, 30_000);

    expectInvitedAndAcknowledgedOnce(phones, reference.text);
    const parts = countParts(t.sim, new Set(phones));
    expect(parts.acceptedTwice).toBe(0);
    await expectConsentedOnce(t.gateway.core, ids);

    // The faults did happen.
    expect(campaign.drops).toBe(5);
    expect(replyCuts.drops).toBe(2);
    expect(parts.throttled).toBeGreaterThan(0);
    expect(parts.unanswered).toBeGreaterThan(0);
    expect(retransmitted).toBeGreaterThan(0);
    console.log(
      `campaign under faults: ${N} invitations of ${reference.parts.length} UCS2 parts at the SMSC after ${sentMs} ms ` +
        `(last of ${campaign.drops} cuts at ${lastCutMs} ms; re-bind ${spread(campaign.recoveryMs)}); ` +
        `${parts.parts} parts: ${parts.resent} received more than once and accepted once ` +
        `(${parts.throttled} submits throttled, ${parts.unanswered} unanswered at a cut), ` +
        `${parts.neverAccepted} abandoned with their reference (nothing of their SMS accepted yet), 0 accepted twice; ` +
        `replies: ${replyCuts.drops} cuts, ${retransmitted} retransmitted after no answer, ` +
        `${N / 10} again after their ack; ${N} consents once each; all done after ${Date.now() - started} ms`,
    );
  }, 60_000);
});
