/**
 * A step's outbox hand-over cut by Redis, deterministically: the step (a citizen's consent) is
 * committed, and Redis refuses the hand-over's writes to `assignments` (an ACL taking the queue's
 * keys from the gateway's user, the way a Redis failing under the hand-over answers it with an
 * error) while everything else goes on: the commit, the acknowledgement SMS, the `consented`
 * outcome. The consent waits in its batch's outbox (store/lua/commit-many-n.lua). A redis-server
 * of its own: an ACL on the run's would cut the other test files.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { STATUS } from '../../gateway/smpp/status.js';
import { expectConsentedOnce } from '../support/accounting.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLog, type CapturedLog } from '../support/log-lines.js';
import {
  assignment,
  drained,
  invite,
  messagesTo,
  numbers,
  outcomesOf,
  stateReached,
} from '../support/scenario.js';

const REPLY = '123#3#1';
const msisdn = numbers('781');
let redis: RedisServerHandle;
let admin: Redis;
let captured: CapturedLog;
let t: TestGateway;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  captured = captureLog('warn');
  // No sweeper (tests tick it): a consent left in its batch waits for a recovery run here.
  t = await startTestGateway({ env: { REDIS_URL: redis.url }, log: captured.log });
});
afterAll(async () => {
  await t?.stop();
  admin?.disconnect();
  await redis?.stop();
});

/** The gateway's user may touch every key but `assignments`' (Redis's glob: `[^a]`). */
async function refuseAssignments(): Promise<void> {
  const { keyPrefix, queuePrefix } = t.prefixes;
  await admin.call('ACL', 'SETUSER', 'default', 'resetkeys', `~${keyPrefix}*`, `~${queuePrefix}:[^a]*`);
}

async function allowEverything(): Promise<void> {
  await admin.call('ACL', 'SETUSER', 'default', 'resetkeys', 'allkeys');
}

describe('a consent whose hand-over Redis refused', () => {
  it('waits in its batch until the recovery sweep hands it over, once', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);

    await refuseAssignments();
    const reply = await t.sim.injectReply({ from: phone, text: REPLY });
    expect(reply.statuses).toEqual([STATUS.ok]);
    await captured.waitFor(
      (line) => line.conversationId === conv.id && line.msg === 'outbox flush failed; will retry',
      "the consent's hand-over to fail",
    );
    await stateReached(t, conv.id, 'consented');
    await allowEverything();

    // The SMSC delivers the reply again: a retransmission, taken once, handing nothing over.
    expect((await t.sim.injectReply({ from: phone, text: REPLY })).statuses).toEqual([STATUS.ok]);
    await drained(t);
    const { outbox, queues } = t.gateway.core;
    expect(await queues.assignments.getJob(conv.id)).toBeUndefined();
    expect(await t.gateway.core.store.outboxes.batchesDue(0, 10)).toHaveLength(1);

    await outbox.recover(500, 0);
    expect((await assignment(t, conv.id)).data.reply.text).toBe(REPLY);
    expect(await t.gateway.core.store.outboxes.batchesDue(0, 10)).toEqual([]);
    await expectConsentedOnce(t.gateway.core, [conv.id]);
    expect((await outcomesOf(t, conv.id)).filter((o) => o.outcome === 'consented')).toHaveLength(1);
    // The invitation and one acknowledgement.
    expect(messagesTo(t, phone)).toHaveLength(2);
  });
});
