/**
 * Several sweeping processes over one midnight of deadlines: each sweep claims its own due
 * deadlines, so the processes share them (none read by two) and each deadline fires once.
 * Two cores on one Redis, key and queue prefix stand for two gateway processes. A reply committed
 * between a batch's read and its commit wins its conversation cleanly: that step alone is not
 * written and is decided again.
 */
import { pino } from 'pino';
import { parseReply } from '../../parsers/reply.js';
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

const START = Date.UTC(2026, 10, 24, 6, 0);
const PREFIXES: Record<string, string> = { share: '77011', race: '77012', both: '77013', marked: '77014' };

/** `count` conversations invited at 11:00 Almaty on a working day, their offers accepted. */
async function invited(core: Core, count: number, tag: string): Promise<string[]> {
  a.clock.set(START);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: `${tag}-${i}`,
      msisdn: `${PREFIXES[tag]}${String(i).padStart(6, '0')}`,
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
      expect(await a.store.outcomes.marked([{ conversationId: id, outcome: 'expired' }])).toEqual([true]);
    }
    expect(await a.store.deadlines.count()).toBe(0);
    expect(await a.store.outboxes.pending()).toEqual([]);
    expect(await a.store.outboxes.batchesDue(0, 10)).toEqual([]);
  });

  it('add no outcome a conversation has already marked handed over, and add the others', async () => {
    const ids = await invited(a, 6, 'marked');
    const [done, ...rest] = ids;
    // As if an earlier hand-over of this outcome had gone through and its job been consumed.
    await a.store.outcomes.mark([{ conversationId: done!, outcome: 'expired' }]);
    a.clock.set((await a.conversations.get(done!))!.deadline! + 60_000);
    expect(await drain(sweeperOf(a))).toBe(ids.length);
    expect((await a.conversations.get(done!))?.state).toBe('expired');
    expect(await a.queues.outcomes.getJob(`${done}.expired`)).toBeUndefined();
    for (const id of rest) expect(await a.queues.outcomes.getJob(`${id}.expired`)).toBeDefined();
    expect(await a.store.outboxes.pending()).toEqual([]);
  });
});

/** An in-time consent to conversation `id`, delivered 1 ms before `deadline`. */
function consent(core: Core, id: string, deadline: number, n: number) {
  const text = '123#3#1';
  return core.conversations.apply(
    id,
    {
      type: 'reply',
      parsed: parseReply(text),
      reply: { text, receivedAt: deadline - 1, smscMessageId: `mo-${n}` },
    },
    `reply:mo-${n}`,
  );
}

describe('a reply committed in the same instant as a batch of deadlines', () => {
  it('wins its conversation: the batch writes the others and decides that one again', async () => {
    const ids = await invited(a, 20, 'race');
    const deadline = (await a.conversations.get(ids[0]!))!.deadline!;
    a.clock.set(deadline + 60_000);
    const reads = await a.store.getAll(ids);
    // Every other conversation gets its reply after the batch read it, before it commits.
    const replied = new Set(ids.filter((_, n) => n % 2 === 0));
    for (const [n, id] of ids.entries()) if (replied.has(id)) await consent(b, id, deadline, n);
    const results = await a.conversations.applyEach(
      { type: 'deadline' },
      ids.map((id, n) => [id, reads[n] ?? null] as const),
    );
    for (const [n, id] of ids.entries()) {
      const result = results[n];
      if (result === undefined || result instanceof Error) throw result ?? new Error(`no result for ${id}`);
      const conv = await a.conversations.get(id);
      if (replied.has(id)) {
        expect(result.status).toBe('unchanged');
        expect(conv?.state).toBe('consented');
        expect(await transitions(id)).toEqual(['invited', 'consented']);
        expect((await a.queues.assignments.getJob(id))?.id).toBe(id);
        expect(await a.queues.outcomes.getJob(`${id}.expired`)).toBeUndefined();
      } else {
        expect(result.status).toBe('applied');
        expect(conv?.state).toBe('expired');
        expect(await transitions(id)).toEqual(['invited', 'expired']);
        expect(await a.queues.assignments.getJob(id)).toBeUndefined();
        expect((await a.queues.outcomes.getJob(`${id}.expired`))?.data).toMatchObject({ outcome: 'expired' });
      }
      // The batch's commit moved the index for those it wrote; the reply's step for the others.
      expect(await a.store.dueDeadlines(a.clock.now() + 366 * 86_400_000, 100)).not.toContain(id);
    }
    const outboxes = await a.store.outboxes.pending();
    expect(outboxes.filter((id) => ids.includes(id))).toEqual([]);
  });

  it('racing two sweepers: each conversation ends once, consented or expired, never both', async () => {
    const ids = await invited(a, 40, 'both');
    const deadline = (await a.conversations.get(ids[0]!))!.deadline!;
    a.clock.set(deadline + 60_000);
    const [byA, byB] = await Promise.all([
      drain(sweeperOf(a)),
      drain(sweeperOf(b)),
      ...ids.map((id, n) => (n % 2 === 0 ? consent(n % 4 === 0 ? a : b, id, deadline, 1000 + n) : null)),
    ]);
    // Each due deadline fired by one sweeper at most; a reply committed before both claimed it
    // took its deadline out of the index in the same call, leaving nothing to fire.
    const fired = (byA ?? 0) + (byB ?? 0);
    expect(fired).toBeGreaterThanOrEqual(ids.length / 2);
    expect(fired).toBeLessThanOrEqual(ids.length);
    for (const [n, id] of ids.entries()) {
      const conv = await a.conversations.get(id);
      const states = await transitions(id);
      if (n % 2 === 0) {
        expect(conv?.state).toBe('consented');
        // The sweep may have come first: the in-time reply then reopened the conversation.
        expect([
          ['invited', 'consented'],
          ['invited', 'expired', 'invited', 'consented'],
        ]).toContainEqual(states);
        expect((await a.queues.assignments.getJob(id))?.id).toBe(id);
      } else {
        expect(conv?.state).toBe('expired');
        expect(states).toEqual(['invited', 'expired']);
      }
    }
  });
});
