/**
 * A rolling restart in the middle of a campaign, as docs/operations.md ("Upgrade") tells the
 * operator: start a process of the new version beside the old one, wait for it, SIGTERM the old
 * one; role by role (GATEWAY_ROLE=edge holds the bind and sends, GATEWAY_ROLE=workers decides the
 * replies). The edge is rolled while the invitations go out and again among the replies, the
 * workers among the replies.
 *
 * A SIGTERM drains (the SMS being submitted finish, the jobs being run finish), so unlike a
 * SIGKILL (sigkill.test.ts, two-instances.test.ts) nothing may be sent twice: each citizen gets
 * the invitation once and one acknowledgement, no part is accepted twice, every consent is in
 * `assignments` once, and every old process exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignmentsReach,
  countParts,
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

const N = 90;
const REPLY = '123#3#1';
const msisdn = numbers('714');
const prefix = testPrefix('roll');
let rig: ProcessRig;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  rig = await startProcessRig(prefix);
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await rig?.close();
});

/** A process of `role` on the shared prefixes; an edge resolves once bound, with its bind's connection. */
async function start(role: 'edge' | 'workers'): Promise<{ process: GatewayProcess; connection?: number }> {
  const { sim } = rig;
  const before = new Set(rig.bindConnections());
  const env = {
    ...gatewayProcessEnv({
      redisUrl: redisUrl(),
      smppPort: sim.port,
      prefix,
      apiKey: KEYS.system,
      // Slow enough that the campaign is still going out when the edge is rolled.
      tps: 400,
      window: 10,
    }),
    GATEWAY_ROLE: role,
  };
  const process = await spawnGateway(env);
  processes.push(process);
  if (role === 'workers') return { process };
  const added = rig.bindConnections().filter((c) => !before.has(c));
  expect(added).toHaveLength(1);
  return { process, connection: added[0]! };
}

/** SIGTERM and the exit status: 0 when the drain finished within its deadline. */
async function stop(p: GatewayProcess): Promise<number | null> {
  await p.stop();
  return p.child.exitCode;
}

describe('a rolling restart of each role during a campaign', () => {
  it('finishes what each old process had begun: every SMS once, every consent once, exits 0', async () => {
    const { sim, core } = rig;
    const edge1 = await start('edge');
    const workers1 = await start('workers');
    const phones = Array.from({ length: N }, () => msisdn());
    const ids: string[] = [];
    const invite = async (some: readonly string[]) => {
      for (const p of some) {
        const { conversation } = await core.conversations.invite({
          service: 'home-schooling',
          externalId: `roll-${p}`,
          msisdn: p,
          language: 'ru',
          params: homeSchoolingParams([KASPI]),
        });
        ids.push(conversation.id);
      }
    };

    // The edge rolled while the invitations go out: half of them first; the other half just
    // before the old edge's SIGTERM, so that both edges hold some when it comes.
    await invite(phones.slice(0, N / 2));
    await eventually(
      () => Promise.resolve(sim.messages.length >= N / 6),
      'a sixth of the invitations',
      30_000,
    );
    const edge2 = await start('edge');
    await invite(phones.slice(N / 2));
    const sentBeforeStop = sim.messages.length;
    const stopAt = new Date();
    const exits = [await stop(edge1.process)];
    const sentByOld = sim.submits.filter(
      (s) => s.connection === edge1.connection && s.status === 0 && s.at >= stopAt,
    ).length;
    await eventually(() => Promise.resolve(sim.messages.length >= N), 'every invitation', 60_000);
    await queuesIdle(core, 60_000);

    // The workers rolled after a third of the replies, the edge again after two thirds.
    let current = edge2.connection!;
    const queue = [...phones];
    const deliveries: Delivery[] = [];
    let rolling: Promise<void> | undefined;
    const lane = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        deliveries.push(
          await deliverUntilAcked(sim, p, REPLY, { connection: () => current, withinMs: 40_000 }),
        );
        if (deliveries.length === N / 3)
          rolling = start('workers').then(async () => void exits.push(await stop(workers1.process)));
        if (deliveries.length === (2 * N) / 3)
          rolling = rolling!.then(async () => {
            const edge3 = await start('edge');
            current = edge3.connection!;
            exits.push(await stop(edge2.process));
          });
      }
    };
    await Promise.all(Array.from({ length: 10 }, () => lane()));
    await rolling;
    await assignmentsReach(core, N, 60_000);
    await queuesIdle(core, 60_000);

    expect(exits).toEqual([0, 0, 0]);
    await expectConsentedOnce(core, ids);
    const byNumber = messagesByNumber(sim);
    const invitation = byNumber.get(phones[0]!)?.[0]?.text;
    for (const p of phones) {
      const [first, ...acks] = byNumber.get(p) ?? [];
      expect(first?.text, p).toBe(invitation);
      // The texts in the message: a second SMS tells by its text whether a step ran twice.
      expect(acks.length, `${p}: ${JSON.stringify(acks.map((m) => m.text.slice(0, 70)))}`).toBe(1);
    }
    expect(countParts(sim, new Set(phones)).acceptedTwice).toBe(0);
    console.log(
      `rolling restart: ${sentBeforeStop} of ${N} invitations sent when the first edge was stopped, ` +
        `${sentByOld} parts accepted from it after its SIGTERM; ${deliveries.filter((d) => d.tries > 1).length} replies ` +
        `retransmitted across the rolls; every process exited 0`,
    );
  }, 120_000);

  it('stops a long SMS that a slow SMSC takes part by part at its current part; the new edge sends the rest under its reference', async () => {
    const { sim, core } = rig;
    await Promise.all(processes.map((p) => p.stop()));
    // A second a part: the 10-part invitation takes longer than the drain waits for it.
    sim.setFaults({ responseDelayMs: 1000 });
    try {
      const old = await start('edge');
      const phone = msisdn();
      await core.conversations.invite({
        service: 'home-schooling',
        externalId: `roll-${phone}`,
        msisdn: phone,
        language: 'kk',
        params: homeSchoolingParams([KASPI]),
      });
      const accepted = () => sim.submits.filter((s) => s.destination === phone && s.status === 0);
      await eventually(
        () => Promise.resolve(accepted().length >= 2 || undefined),
        'two parts accepted',
        20_000,
      );
      expect(await stop(old.process)).toBe(0);
      const total = accepted()[0]!.concat!.total;
      const byOld = accepted().length;
      expect(byOld).toBeLessThan(total);

      await start('edge');
      await eventually(
        () => Promise.resolve(sim.messages.some((m) => m.destination === phone) || undefined),
        'the invitation whole',
        30_000,
      );
      expect(messagesByNumber(sim).get(phone)).toHaveLength(1);
      expect(countParts(sim, new Set([phone])).acceptedTwice).toBe(0);
      expect(new Set(accepted().map((s) => s.concat?.ref)).size).toBe(1);
      console.log(
        `slow SMSC: ${byOld} of ${total} parts accepted from the stopped edge, the rest from the new one`,
      );
    } finally {
      sim.setFaults({ responseDelayMs: 0 });
    }
  }, 60_000);
});
