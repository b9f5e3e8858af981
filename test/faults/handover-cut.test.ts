/**
 * A step's outbox hand-over cut by Redis, deterministically: the step (a citizen's consent) is
 * committed, and Redis refuses the hand-over's writes to `assignments` (an ACL taking the queue's
 * keys from the gateway's user, the way a Redis failing under the hand-over answers it with an
 * error) while everything else goes on: the commit, the acknowledgement SMS, the `consented`
 * outcome. The consent waits in its batch's outbox (store/lua/commit-many-n.lua). A redis-server
 * of its own: an ACL on the run's would cut the other test files. A second gateway on it tries again
 * after two short pauses (`handOverRetryMs`), so a cut longer than its tries needs no long wait.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { STATUS } from '../../gateway/smpp/status.js';
import { expectConsentedOnce } from '../support/accounting.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLog, type CapturedLog, type LogLine } from '../support/log-lines.js';
import {
  assignment,
  deadlineRuns,
  drained,
  invite,
  messagesTo,
  numbers,
  outcomeReached,
  outcomesOf,
  stateReached,
} from '../support/scenario.js';

const REPLY = '123#3#1';
const msisdn = numbers('781');
let redis: RedisServerHandle;
let admin: Redis;
let captured: CapturedLog;
let t: TestGateway;
/** The same gateway with two short pauses between its tries (its cut outlasts them at once). */
let brief: TestGateway;
const BRIEF_RETRY_MS = [20, 40];

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  captured = captureLog('warn');
  // No sweeper (tests tick it): a consent left in its batch waits for a recovery run here.
  t = await startTestGateway({ env: { REDIS_URL: redis.url }, log: captured.log });
  brief = await startTestGateway({
    env: { REDIS_URL: redis.url },
    log: captured.log,
    handOverRetryMs: BRIEF_RETRY_MS,
  });
});
afterAll(async () => {
  await brief?.stop();
  await t?.stop();
  admin?.disconnect();
  await redis?.stop();
});

/**
 * The gateways' user may touch every key but those of `gw`'s queue whose name starts with
 * `initial` (Redis's glob: `[^a]`): `a` is `assignments`, `o` is `outcomes`.
 */
async function refuseQueue(initial: 'a' | 'o', gw: TestGateway = t): Promise<void> {
  const { keyPrefix, queuePrefix } = gw.prefixes;
  const others = [t, brief]
    .filter((g) => g !== gw)
    .flatMap((g) => [`~${g.prefixes.keyPrefix}*`, `~${g.prefixes.queuePrefix}*`]);
  const patterns = [`~${keyPrefix}*`, `~${queuePrefix}:[^${initial}]*`, ...others];
  await admin.call('ACL', 'SETUSER', 'default', 'resetkeys', ...patterns);
}

async function allowEverything(): Promise<void> {
  await admin.call('ACL', 'SETUSER', 'default', 'resetkeys', 'allkeys');
}

/** A counter of a gateway's /metrics, as a scrape reads it. */
async function metric(name: string, gw: TestGateway = t): Promise<number> {
  const text = await (await fetch(`${gw.gateway.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** A hand-over's log line names the conversations of its steps. */
const about = (line: LogLine, id: string): boolean =>
  Array.isArray(line.conversations) && line.conversations.includes(id);

/** The citizen consents while Redis refuses `assignments`; resolves once the hand-over has failed. */
async function consentWhileRefused(
  phone: string,
  conversationId: string,
  gw: TestGateway = t,
): Promise<void> {
  await refuseQueue('a', gw);
  const reply = await gw.sim.injectReply({ from: phone, text: REPLY });
  expect(reply.statuses).toEqual([STATUS.ok]);
  await stateReached(gw, conversationId, 'consented');
  await captured.waitFor(
    (line) => line.msg === 'outbox hand-over failed; trying it again' && about(line, conversationId),
    "the consent's hand-over to fail",
  );
}

describe('a step whose outbox hand-over Redis refused', () => {
  it('a consent goes to assignments once Redis takes it again, without the recovery sweep, once', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);
    const retriesBefore = await metric('gateway_outbox_handover_retries_total');

    await consentWhileRefused(phone, conv.id);
    // The SMSC delivers the reply again while the hand-over is still cut: a retransmission.
    expect((await t.sim.injectReply({ from: phone, text: REPLY })).statuses).toEqual([STATUS.ok]);
    await allowEverything();

    expect((await assignment(t, conv.id)).data.reply.text).toBe(REPLY);
    await eventually(
      async () => (await t.gateway.core.store.outboxes.batchesDue(0, 10)).length === 0,
      "the consent's batch to be handed over",
    );
    // And once more after the hand-over: nothing is enqueued twice.
    expect((await t.sim.injectReply({ from: phone, text: REPLY })).statuses).toEqual([STATUS.ok]);
    await drained(t);
    await expectConsentedOnce(t.gateway.core, [conv.id]);
    expect((await outcomesOf(t, conv.id)).filter((o) => o.outcome === 'consented')).toHaveLength(1);
    // The invitation and one acknowledgement.
    expect(messagesTo(t, phone)).toHaveLength(2);
    expect(await metric('gateway_outbox_handover_retries_total')).toBeGreaterThan(retriesBefore);
    expect(await metric('gateway_outbox_left_to_recovery_total')).toBe(0);
    expect(await metric('gateway_outbox_batches_recovered_total')).toBe(0);
  });

  it('a consent is left to the recovery sweep, and counted, when Redis refuses it longer than the tries', async () => {
    const phone = msisdn();
    const conv = await invite(brief, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await brief.sim.nextMessage((m) => m.destination === phone);
    const retriesBefore = await metric('gateway_outbox_handover_retries_total', brief);

    await consentWhileRefused(phone, conv.id, brief);
    await captured.waitFor(
      (line) =>
        line.msg === 'outbox hand-over failed every try; left to the recovery sweep' && about(line, conv.id),
      'the tries to end',
    );
    await allowEverything();
    expect(await metric('gateway_outbox_left_to_recovery_total', brief)).toBe(1);
    // Each pause was one more try, and no more.
    expect((await metric('gateway_outbox_handover_retries_total', brief)) - retriesBefore).toBe(
      BRIEF_RETRY_MS.length,
    );
    // One line says so, naming the turn's conversations, not one more per step or per caller.
    const left = captured.lines().filter((l) => String(l.msg).includes('left to the recovery sweep'));
    expect(left).toHaveLength(1);
    expect(about(left[0] as LogLine, conv.id)).toBe(true);
    await drained(brief);
    expect(await brief.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();

    await brief.gateway.core.outbox.recover(500, 0);
    expect((await assignment(brief, conv.id)).data.reply.text).toBe(REPLY);
    expect(await brief.gateway.core.store.outboxes.batchesDue(0, 10)).toEqual([]);
    expect(await metric('gateway_outbox_batches_recovered_total', brief)).toBe(1);
    const ids = (await brief.gateway.core.queues.assignments.getJobs(['waiting'])).map((j) => j.id);
    expect(ids.filter((id) => id === conv.id)).toHaveLength(1);
    expect((await outcomesOf(brief, conv.id)).filter((o) => o.outcome === 'consented')).toHaveLength(1);
    expect(messagesTo(brief, phone)).toHaveLength(2);
  });

  it("a deadline's expiry: its outcome goes to outcomes once Redis takes it again, without the recovery sweep", async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);
    const { deadline } = await deadlineRuns(t, conv.id);
    // The invitation's own outcomes are in before the cut.
    await outcomeReached(t, conv.id, 'delivered');

    t.clock.set(deadline);
    await refuseQueue('o');
    const sweep = t.gateway.sweeper.tick();
    await captured.waitFor(
      (line) => line.msg === 'outbox hand-over failed; trying it again' && about(line, conv.id),
      "the expiry's hand-over to fail",
    );
    await allowEverything();
    await sweep;

    await stateReached(t, conv.id, 'expired');
    expect((await outcomeReached(t, conv.id, 'expired')).state).toBe('expired');
    expect(await t.gateway.core.store.outboxes.batchesDue(0, 10)).toEqual([]);
    await drained(t);
    expect((await outcomesOf(t, conv.id)).map((o) => o.outcome)).toEqual(['sent', 'delivered', 'expired']);
    // The invitation and the expiry notice, once each.
    expect(messagesTo(t, phone)).toHaveLength(2);
  });
});
