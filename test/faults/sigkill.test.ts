/**
 * The gateway process is SIGKILLed in the middle of a burst of replies and
 * restarted; every consent is in `assignments` exactly once. The carrier simulator runs here, the
 * gateway in a child process; invitations are made through a core on the same Redis prefixes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import type { Core } from '../../gateway/core/runtime.js';
import type { CarrierSimulator, ReplyResult } from '../../dev/simulator/index.js';
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
import { smsOfJob } from '../../queues/jobs.js';

const N = 300;
const msisdn = numbers('708');
const prefix = testPrefix('kill');
let rig: ProcessRig;
let sim: CarrierSimulator;
let core: Core;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  rig = await startProcessRig(prefix);
  ({ sim, core } = rig);
});
afterAll(async () => {
  await gateway?.stop();
  await rig?.close();
});

const start = () =>
  spawnGateway(
    gatewayProcessEnv({
      redisUrl: redisUrl(),
      smppPort: sim.port,
      prefix,
      apiKey: KEYS.system,
      tps: 5000,
      window: 100,
    }),
  );

/** Nothing waiting, running or retrying in sms-out: every SMS the gateway means to send is out. */
const smsOutIdle = async () => {
  const counts = await core.queues.smsOut.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(counts).every((n) => n === 0);
};

function inviteAll(phones: readonly string[]): Promise<Conversation[]> {
  return Promise.all(
    phones.map(async (p) => {
      const input = {
        service: 'home-schooling',
        externalId: `kill-${p}`,
        msisdn: p,
        language: 'ru' as const,
      };
      return (await core.conversations.invite({ ...input, params: homeSchoolingParams([KASPI]) }))
        .conversation;
    }),
  );
}

/**
 * Every citizen answers, the carrier keeping 10 deliver_sm in flight (its window). Once a third
 * are acknowledged the gateway dies; those in flight are answered by nobody (their promises
 * reject) and the rest cannot be sent until it is back.
 */
async function burstAndKill(phones: readonly string[]): Promise<Map<string, ReplyResult | Error>> {
  const results = new Map<string, ReplyResult | Error>();
  const queue = [...phones];
  let acked = 0;
  let killed: Promise<void> | undefined;
  const window = async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      try {
        results.set(p, await sim.injectReply({ from: p, text: '123#3#1' }, { timeoutMs: 3000 }));
        if (++acked === Math.floor(phones.length / 3)) killed = gateway?.kill();
      } catch (err) {
        results.set(p, err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, window));
  await killed;
  return results;
}

/** As a carrier does: retransmit every deliver_sm without a deliver_sm_resp 0, until each has one. */
async function retransmit(phones: readonly string[]): Promise<void> {
  let resend = phones;
  while (resend.length > 0) {
    const again = await Promise.all(resend.map((p) => sim.injectReply({ from: p, text: '123#3#1' })));
    resend = resend.filter((_, i) => again[i]?.statuses.some((s) => s !== 0));
  }
}

async function expectEachConsentedOnce(convs: readonly Conversation[]): Promise<void> {
  const states = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const;
  const jobs = await core.queues.assignments.getJobs([...states]);
  expect(jobs.map((j) => j.id).sort()).toEqual(convs.map((c) => c.id).sort());
  for (const conv of convs) {
    expect((await core.conversations.get(conv.id))?.state).toBe('consented');
    const timeline = await core.store.timeline(conv.id);
    expect(timeline.filter((e) => e.kind === 'reply' && e.accepted)).toHaveLength(1);
  }
}

/**
 * One acknowledgement per citizen. A retransmitted deliver_sm is deduplicated (same bytes, same
 * key), so it never adds one. The one way to get two: the process died after the SMSC accepted
 * the acknowledgement and before the sender recorded it; the job is retried and sent again (at
 * least once on the SMPP side). Only jobs active at the kill can do that.
 */
function expectAcknowledgedOnce(phones: readonly string[], unfinished: ReadonlySet<string>): number {
  let twice = 0;
  for (const p of phones) {
    const acks = sim.messages.filter((m) => m.destination === p && m.text.startsWith('Ответ принят'));
    expect(acks.length).toBeGreaterThanOrEqual(1);
    expect(acks.length).toBeLessThanOrEqual(unfinished.has(p) ? 2 : 1);
    if (acks.length > 1) twice += 1;
  }
  return twice;
}

describe('SIGKILL in the middle of a burst of replies', () => {
  it('every consent reaches assignments exactly once, every conversation is consented', async () => {
    const phones = Array.from({ length: N }, () => msisdn());
    const convs = await inviteAll(phones);
    gateway = await start();
    await eventually(async () => sim.messages.length >= N && (await smsOutIdle()), 'the invitations', 20_000);

    const results = await burstAndKill(phones);
    const unanswered = phones.filter((p) => !isAcked(results.get(p)));
    expect(unanswered.length).toBeGreaterThan(0);
    // What the dead process left: acknowledgements being submitted, replies being applied.
    const unfinishedAcks = new Set((await core.queues.smsOut.getActive()).flatMap(smsOfJob).map((s) => s.to));
    const stranded = (await core.queues.inbound.getActive()).length;

    gateway = await start();
    await sim.waitForBind();
    await retransmit(unanswered);
    await eventually(async () => (await core.queues.assignments.count()) === N, `${N} assignments`, 20_000);
    await eventually(smsOutIdle, 'the acknowledgements', 20_000);

    await expectEachConsentedOnce(convs);
    const twice = expectAcknowledgedOnce(phones, unfinishedAcks);
    console.log(
      `SIGKILL: ${N - unanswered.length} of ${N} replies acknowledged before, ${unanswered.length} retransmitted; ` +
        `${stranded} inbound jobs and ${unfinishedAcks.size} SMS left running; ${twice} acknowledgements sent twice`,
    );
  }, 60_000);
});

function isAcked(result: ReplyResult | Error | undefined): boolean {
  return result !== undefined && !(result instanceof Error) && result.statuses.every((s) => s === 0);
}
