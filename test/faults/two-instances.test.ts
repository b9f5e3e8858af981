/**
 * Two gateway processes, one Redis, one carrier: both bind to the same SMSC
 * (two binds) and share the work through the BullMQ queues; one is SIGKILLed in the middle of
 * the citizens' replies and the other serves every conversation. Jobs the dead one held are
 * retried by the survivor once their lock expires (GW_STALLED_LOCK_MS). Both run the deadline
 * sweeper on real time: the deadlines are days away, so nothing here depends on them.
 *
 * Accounting: each invitation sent once, each reply stored once, each consent in
 * `assignments` exactly once; an acknowledgement may go twice only if it, or the reply that
 * caused it, was being processed at the kill (sent, not yet recorded: at least once on the SMPP side).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../gateway/core/runtime.js';
import type { CarrierSimulator } from '../../dev/simulator/index.js';
import {
  assignmentsReach,
  expectConsentedOnce,
  messagesByNumber,
  queuesIdle,
} from '../support/accounting.js';
import { deliverUntilAcked, type Delivery } from '../support/carrier.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, KEYS } from '../support/gateway.js';
import {
  gatewayProcessEnv,
  spawnGateway,
  startProcessRig,
  type GatewayProcess,
  type ProcessRig,
} from '../support/process.js';
import { redisUrl, testPrefix } from '../support/redis.js';
import { numbers } from '../support/scenario.js';
import { repliesOfJob, smsOfJob } from '../../queues/jobs.js';

const N = 300;
const REPLY = '123#3#1';
const msisdn = numbers('713');
const prefix = testPrefix('two');
let rig: ProcessRig;
let sim: CarrierSimulator;
let core: Core;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  rig = await startProcessRig(prefix);
  ({ sim, core } = rig);
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await rig?.close();
});

/** One more gateway process on the shared Redis prefixes; resolves with its bind's connection id. */
async function startInstance(): Promise<number> {
  const before = new Set(rig.bindConnections());
  gateways.push(
    await spawnGateway(
      gatewayProcessEnv({
        redisUrl: redisUrl(),
        smppPort: sim.port,
        prefix,
        apiKey: KEYS.system,
        tps: 1000,
        window: 20,
      }),
    ),
  );
  const added = rig.bindConnections().filter((c) => !before.has(c));
  expect(added).toHaveLength(1);
  return added[0]!;
}

function inviteAll(phones: readonly string[]): Promise<string[]> {
  return Promise.all(
    phones.map(async (p) => {
      const { conversation } = await core.conversations.invite({
        service: 'home-schooling',
        externalId: `two-${p}`,
        msisdn: p,
        language: 'ru',
        params: homeSchoolingParams([KASPI]),
      });
      return conversation.id;
    }),
  );
}

/** Whose acknowledgements are being submitted or whose replies applied now, in either process. */
async function running(): Promise<{ acks: string[]; replies: number }> {
  const [sms, replies] = await Promise.all([core.queues.smsOut.getActive(), core.queues.inbound.getActive()]);
  const acks = sms.flatMap(smsOfJob).map((s) => s.to);
  const from = replies.flatMap(repliesOfJob).map((r) => r.from);
  return { acks: [...acks, ...from], replies: replies.length };
}

/**
 * Every citizen answers, 20 at a time, alternately on the two binds; once a third are
 * acknowledged the first process is SIGKILLed. From then on the carrier can only deliver on
 * the surviving bind; what was in flight on the dead one is retransmitted there.
 */
async function repliesWithKill(phones: readonly string[], binds: readonly [number, number]) {
  const deliveries: Delivery[] = [];
  const queue = [...phones];
  let killed: Promise<{ at: number; acks: string[]; replies: number }> | undefined;
  let dead = false;
  const lane = async (n: number) => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const connection = () => (dead ? binds[1] : binds[n % 2]);
      deliveries.push(await deliverUntilAcked(sim, p, REPLY, { connection, withinMs: 40_000 }));
      if (deliveries.length === Math.floor(phones.length / 3)) {
        // Replies keep going to both binds until the process is dead: those sent to it in the
        // meantime get no answer and are retransmitted to the survivor.
        killed = (async () => {
          // Running at the kill, in either process: acknowledgements being submitted, and replies
          // being applied (a reply retried after the kill may enqueue its acknowledgement again).
          // Read as the SIGKILL goes, in the same turn: by the time the exit is seen (late, on a
          // loaded machine) the survivor may have taken the dead one's jobs back to `waiting`
          // (their 1 s locks lapsed), and they would be missing here. Read once more after it.
          const exit = gateways[0]!.kill();
          const atKill = running();
          await exit;
          dead = true;
          const at = Date.now();
          const [first, after] = await Promise.all([atKill, running()]);
          return { at, acks: [...first.acks, ...after.acks], replies: first.replies };
        })();
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, (_, n) => lane(n)));
  if (!killed) throw new Error('the first instance was never killed');
  const left = await killed;
  return { deliveries, killedAt: left.at, unfinished: new Set(left.acks), stranded: left.replies };
}

describe('two gateway processes on one Redis and one carrier', () => {
  it('share the traffic, and when one is killed the other serves every conversation once', async () => {
    const binds: [number, number] = [await startInstance(), await startInstance()];
    await sim.waitForBind(2);
    const phones = Array.from({ length: N }, () => msisdn());
    const ids = await inviteAll(phones);
    await eventually(() => Promise.resolve(sim.messages.length >= N), 'the invitations', 40_000);
    // Every invitation recorded sent (its receipt links written) before the kill, which is meant
    // to land among the replies: an SMS accepted but not yet recorded by the killed process would
    // leave receipts no link matches.
    await queuesIdle(core, 60_000);
    const carried = binds.map((c) => sim.submits.filter((s) => s.connection === c && s.status === 0).length);
    expect(carried.every((n) => n > 0)).toBe(true);

    const { deliveries, killedAt, unfinished, stranded } = await repliesWithKill(phones, binds);
    // Generous budgets: on a loaded machine the survivor first waits out the dead one's job locks.
    await assignmentsReach(core, N, 60_000);
    // An acknowledgement the killed process had sent but not recorded is sent again by the
    // survivor; the receipts of the first copy match no SMS and keep retrying.
    const orphans = sim.submits.filter((s) => s.connection === binds[0] && unfinished.has(s.destination));
    await queuesIdle(core, 60_000, new Set(orphans.flatMap((s) => (s.messageId ? [s.messageId] : []))));
    const settledMs = Date.now() - killedAt;

    await expectConsentedOnce(core, ids);
    const byNumber = messagesByNumber(sim);
    const invitation = byNumber.get(phones[0]!)?.[0]?.text;
    let ackedTwice = 0;
    for (const p of phones) {
      const [first, ...acks] = byNumber.get(p) ?? [];
      expect(first?.text, p).toBe(invitation);
      expect(acks.length, p).toBeGreaterThanOrEqual(1);
      expect(acks.length, p).toBeLessThanOrEqual(unfinished.has(p) ? 2 : 1);
      if (acks.length > 1) ackedTwice += 1;
    }
    const afterKill = sim.submits.filter(
      (s) => s.connection === binds[1] && s.at.getTime() > killedAt,
    ).length;
    const retransmitted = deliveries.filter((d) => d.tries > 1).length;
    console.log(
      `two instances: invitations ${carried[0]} + ${carried[1]} parts accepted on the two binds; ` +
        `first instance SIGKILLed after ${Math.floor(N / 3)} replies, ${retransmitted} replies retransmitted ` +
        `to the survivor, which then carried ${afterKill} submits; ${stranded} replies and ${unfinished.size} ` +
        `acknowledgements were running at the kill (either process), ${ackedTwice} sent twice; ${N} consents once each; settled ${settledMs} ms after the kill`,
    );
  }, 180_000);
});
