/**
 * Redis restarted during traffic: a redis-server of its own with the
 * append-only file fsynced on every write (`--appendonly yes --appendfsync always`), a gateway
 * on it, citizens' replies arriving 20 at a time; Redis is killed (SIGKILL, the harder case of
 * "stop") and started again on the same port and directory in the middle. A deliver_sm the
 * gateway could not store is answered 0x64 (ESME_RX_T_APPN, SMPP 3.4 §5.1.3) and the carrier
 * retransmits it, as the SMSC does. ioredis reconnects by itself; the BullMQ workers resume.
 *
 * Accounting: each reply stored once, each consent in `assignments` exactly once, each
 * acknowledgement SMS sent (at most one sent twice per SMS in flight at the kill), nothing lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import {
  assignmentsReach,
  expectConsentedOnce,
  messagesByNumber,
  queuesIdle,
} from '../support/accounting.js';
import { deliverUntilAcked, type Delivery } from '../support/carrier.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { invite, numbers } from '../support/scenario.js';

const N = 300;
const REPLY = '123#3#1';
const dir = mkdtempSync(join(tmpdir(), 'gw1414-redis-restart-'));
const redisArgs = ['--appendonly', 'yes', '--appendfsync', 'always'];
const msisdn = numbers('712');
let redis: RedisServerHandle;
let t: TestGateway;

beforeAll(async () => {
  redis = await startRedisServer({ dir, args: redisArgs });
  t = await startTestGateway({
    env: { REDIS_URL: redis.url, SMPP_TPS: '1000', SMPP_WINDOW: '50' },
    // A job whose completion was lost with the connection stays active until its lock expires
    // and a stalled check moves it back (BullMQ: 30 s + up to 30 s); 2 s here.
    stalledJobs: { lockDurationMs: 2000, checkIntervalMs: 1000 },
    // The sweeper on real time, as in production: its recovery hands over what the crash left in a
    // batch beyond the hand-over's tries (docs/reliability.md, "A hand-over cut by Redis").
    // The deadlines are days away on the test's clock: nothing here fires one.
    sweepIntervalMs: 1000,
  });
});
afterAll(async () => {
  await t?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Kills Redis (no shutdown, no last fsync beyond `always`) and starts it on the same port and files. */
async function crashAndRestart(): Promise<Restart> {
  const killedAt = Date.now();
  redis.process.kill('SIGKILL');
  if (redis.process.exitCode === null && redis.process.signalCode === null) await once(redis.process, 'exit');
  redis = await startRedisServer({ dir, port: redis.port, args: redisArgs });
  return { killedAt, downMs: Date.now() - killedAt, restartedAt: Date.now() };
}

interface Restart {
  readonly killedAt: number;
  readonly downMs: number;
  readonly restartedAt: number;
}

type Timed = Delivery & { readonly startedAt: number; readonly ackedAt: number };

interface Burst {
  readonly deliveries: Map<string, Timed>;
  readonly restart: Restart;
}

/** Every citizen replies (20 lanes); once a third are acknowledged, Redis crashes and restarts. */
async function burstWithRestart(phones: readonly string[]): Promise<Burst> {
  const deliveries = new Map<string, Timed>();
  const queue = [...phones];
  let restart: Promise<Restart> | undefined;
  const lane = async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const startedAt = Date.now();
      const delivery = await deliverUntilAcked(t.sim, p, REPLY, { withinMs: 40_000 });
      deliveries.set(p, { ...delivery, startedAt, ackedAt: Date.now() });
      if (deliveries.size === Math.floor(phones.length / 3)) restart = crashAndRestart();
    }
  };
  await Promise.all(Array.from({ length: 20 }, lane));
  if (!restart) throw new Error('Redis was never restarted');
  return { deliveries, restart: await restart };
}

describe('Redis killed and restarted (AOF, fsync always) during a burst of replies', () => {
  it('stores each reply once, hands each consent over once and loses nothing', async () => {
    const phones = Array.from({ length: N }, () => msisdn());
    const convs = await Promise.all(
      phones.map((p) => invite(t, 'home-schooling', p, homeSchoolingParams([KASPI]))),
    );
    await eventually(() => Promise.resolve(t.sim.messages.length >= N), 'the invitations', 20_000);

    const { deliveries, restart } = await burstWithRestart(phones);
    await assignmentsReach(t.gateway.core, N, 30_000);
    await queuesIdle(t.gateway.core, 30_000);
    const recoveredMs = Date.now() - restart.restartedAt;

    await expectConsentedOnce(
      t.gateway.core,
      convs.map((c) => c.id),
    );
    const byNumber = messagesByNumber(t.sim);
    let ackedTwice = 0;
    for (const p of phones) {
      const [invitation, ...acks] = byNumber.get(p) ?? [];
      expect(invitation, p).toBeDefined();
      expect(acks.length, p).toBeGreaterThanOrEqual(1);
      expect(acks.length, p).toBeLessThanOrEqual(2);
      expect(new Set(acks.map((m) => m.text)).size, p).toBe(1);
      if (acks.length > 1) ackedTwice += 1;
    }
    const all = [...deliveries.values()];
    const refused = all.filter((d) => d.refusals.length > 0).length;
    const unanswered = all.filter((d) => d.unanswered > 0).length;
    // Replies were in flight while Redis was down: answered 0x64, or held by ioredis's offline
    // queue and acknowledged once it reconnected (within the 3 s of gateway/core/inbound.ts).
    const across = all.filter((d) => d.startedAt < restart.restartedAt && d.ackedAt > restart.restartedAt);
    expect(across.length).toBeGreaterThan(0);
    const firstAckAfter = Math.min(...all.map((d) => d.ackedAt).filter((at) => at >= restart.restartedAt));
    console.log(
      `Redis restart: down ${restart.downMs} ms; ${refused} replies answered 0x64 ` +
        `(${all.reduce((n, d) => n + d.refusals.length, 0)} refusals), ${unanswered} unanswered within 2 s, all retransmitted; ` +
        `${across.length} in flight across the outage; ` +
        `first acknowledgement ${firstAckAfter - restart.restartedAt} ms after Redis was back, all settled ${recoveredMs} ms after; ` +
        `${N} consents once each; ${ackedTwice} acknowledgement SMS sent twice`,
    );
  }, 60_000);
});
