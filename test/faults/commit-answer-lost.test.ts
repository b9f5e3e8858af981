/**
 * The answer to a turn's commit lost with the connection: Redis runs the call that commits a
 * citizen's consent (store/lua/commit-many-n.lua) and the connection dies before its answer
 * arrives (a proxy drops it, then cuts the connection). ioredis reconnects and sends the call
 * again; the step finds its conversation already at the version the first run wrote, its entries
 * in the call's own batch. The consent must still be handed over at once, not left in the batch
 * for the recovery sweep (the test gateway runs none).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { STATUS } from '../../gateway/smpp/status.js';
import { expectConsentedOnce } from '../support/accounting.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startLosingProxy, type LosingProxy } from '../support/redis-proxy.js';
import { assignment, drained, invite, messagesTo, numbers, outcomesOf } from '../support/scenario.js';

const REPLY = '123#3#1';
const msisdn = numbers('782');
let redis: RedisServerHandle;
let proxy: LosingProxy;
let admin: Redis;
let t: TestGateway;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startLosingProxy(redis.port);
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  t = await startTestGateway({ env: { REDIS_URL: proxy.url } });
});
afterAll(async () => {
  await t?.stop();
  admin?.disconnect();
  await proxy?.close();
  await redis?.stop();
});

describe("a consent whose commit's answer was lost with the connection", () => {
  it('is handed over once the call is sent again, without the recovery sweep, once', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage((m) => m.destination === phone);
    const { store } = t.gateway.core;
    await eventually(
      async () => (await store.outboxes.batchesDue(0, 10)).length === 0,
      "the invitation's batch to be handed over",
    );
    const batches = `${t.prefixes.keyPrefix}:{outbox}:batches`;

    // The only call naming a batch's outbox before its hand-over is the commit.
    const lost = proxy.loseAnswerTo('{outbox}:b:');
    expect((await t.sim.injectReply({ from: phone, text: REPLY })).statuses).toEqual([STATUS.ok]);
    const { cut } = await lost;
    // Redis ran it: the consent's batch is written, its answer never reaches the gateway.
    await eventually(async () => (await admin.zcard(batches)) === 1, 'the commit to run');
    cut();

    expect((await assignment(t, conv.id)).data.reply.text).toBe(REPLY);
    await eventually(async () => (await admin.zcard(batches)) === 0, "the consent's batch to be handed over");
    await drained(t);
    await expectConsentedOnce(t.gateway.core, [conv.id]);
    expect((await outcomesOf(t, conv.id)).filter((o) => o.outcome === 'consented')).toHaveLength(1);
    expect(messagesTo(t, phone)).toHaveLength(2);
  });
});
