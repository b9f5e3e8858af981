/**
 * Several sweeping processes over one midnight of deadlines: each sweep claims its own due
 * deadlines, so the processes share them (none read by two) and each deadline fires once.
 * Two cores on one Redis, key and queue prefix stand for two gateway processes.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../gateway/core/runtime.js';
import { createSweeper, type Sweeper } from '../../gateway/core/sweeper.js';
import type { RedisClient } from '../../store/connection.js';
import { createTestCore, homeSchoolingParams, markSent, type TestCore } from '../support/core.js';
import { redisClient } from '../support/redis.js';

let a: TestCore;
let b: Core;
let bRedis: RedisClient;
beforeAll(async () => {
  a = await createTestCore();
  bRedis = redisClient();
  b = await createCore({
    redis: bRedis,
    log: pino({ level: 'silent' }),
    keyPrefix: a.keyPrefix,
    queuePrefix: a.keyPrefix.replace(/^gw-/, 'bull-'),
    now: a.clock.now,
  });
});
afterAll(async () => {
  await b?.close();
  await bRedis?.quit();
  await a?.close();
});

const sweeperOf = (core: Core): Sweeper =>
  createSweeper({ core, log: pino({ level: 'silent' }), intervalMs: 0, graceMs: 0, batch: 20, parallel: 8 });

/** Ticks until a sweep finds nothing due: how many deadlines this sweeper handled. */
async function drain(sweeper: Sweeper): Promise<number> {
  let handled = 0;
  for (let n = await sweeper.tick(); n > 0; n = await sweeper.tick()) handled += n;
  return handled;
}

async function invited(core: Core, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: `${tag}-${i}`,
      msisdn: `7701${tag === 'race' ? 1 : 2}${String(i).padStart(6, '0')}`,
      language: 'ru',
      params: homeSchoolingParams(),
    });
    await markSent(core, conversation.id);
    ids.push(conversation.id);
  }
  return ids;
}

async function transitions(id: string): Promise<string[]> {
  return (await a.store.timeline(id)).filter((e) => e.kind === 'transition').map((e) => e.to);
}

describe('two sweeping processes over one batch of due deadlines', () => {
  it('share the batch: each deadline is claimed by one of them and fires once', async () => {
    const ids = await invited(a, 60, 'share');
    const deadline = (await a.conversations.get(ids[0]!))!.deadline!;
    a.clock.set(deadline + 60_000);
    const [byA, byB] = await Promise.all([drain(sweeperOf(a)), drain(sweeperOf(b))]);
    // Both sweeps claimed their first batch of 20 at once: neither read the other's.
    expect(byA + byB).toBe(ids.length);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    for (const id of ids) {
      expect((await a.conversations.get(id))?.state).toBe('expired');
      expect(await transitions(id)).toEqual(['invited', 'expired']);
      const expiries = (await a.store.timeline(id)).filter(
        (e) => e.kind === 'sms' && e.templateId === 'home-schooling.expired',
      );
      expect(expiries).toHaveLength(1);
      expect((await a.queues.outcomes.getJob(`${id}.expired`))?.data).toMatchObject({ outcome: 'expired' });
    }
    expect(await a.store.deadlines.count()).toBe(0);
  });
});
