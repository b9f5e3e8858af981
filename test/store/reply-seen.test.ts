/**
 * Which copy of a reply counts (store/lua/reply-seen-2.lua), against real Redis: the same SMS
 * received again within the window is a retransmission, at or beyond it a new SMS; the job that
 * took a reply takes it again on its retry; nothing is taken while the number's turn is decided.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../store/keys.js';
import { ReplyState } from '../../store/replies.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const WINDOW = 15 * 60_000;
const TTL = 60 * 60_000;
const PHONE = '77011234567';

function setup() {
  const keys = createKeys(testPrefix('seen'));
  return { keys, replies: new ReplyState(redis, keys) };
}

describe('telling a retransmission from a new SMS', () => {
  it('takes the first copy, answers a copy within the window as a retransmission, and one at the window as new', async () => {
    const { replies } = setup();
    const t0 = 1_000_000;
    expect(await replies.lastTakenAt(PHONE)).toBeNull();
    expect(await replies.take(PHONE, 'mo-a', t0, 'job1', WINDOW, TTL)).toBe('taken');
    expect(await replies.take(PHONE, 'mo-a', t0, 'job2', WINDOW, TTL)).toBe('retransmission');
    expect(await replies.take(PHONE, 'mo-a', t0 + WINDOW - 1, 'job3', WINDOW, TTL)).toBe('retransmission');
    // Copies may be decided out of order: one received before the taken one is the same SMS too.
    expect(await replies.take(PHONE, 'mo-a', t0 - 60_000, 'job4', WINDOW, TTL)).toBe('retransmission');
    // Another text in between is its own SMS.
    expect(await replies.take(PHONE, 'mo-b', t0 + 1000, 'job5', WINDOW, TTL)).toBe('taken');
    expect(await replies.lastTakenAt(PHONE)).toBe(t0 + 1000);
    expect(await replies.take(PHONE, 'mo-a', t0 + WINDOW, 'job6', WINDOW, TTL)).toBe('taken');
    expect(await replies.lastTakenAt(PHONE)).toBe(t0 + WINDOW);
    // The window now counts from the copy taken last.
    expect(await replies.take(PHONE, 'mo-a', t0 + WINDOW + 5, 'job7', WINDOW, TTL)).toBe('retransmission');
  });

  it("takes a job's own retry again, even after a newer copy was absorbed", async () => {
    const { replies } = setup();
    expect(await replies.take(PHONE, 'mo-a', 5000, 'job1', WINDOW, TTL)).toBe('taken');
    expect(await replies.take(PHONE, 'mo-a', 6000, 'job2', WINDOW, TTL)).toBe('retransmission');
    expect(await replies.take(PHONE, 'mo-a', 5000, 'job1', WINDOW, TTL)).toBe('taken');
    expect(await replies.lastTakenAt(PHONE)).toBe(5000);
  });

  it("takes nothing new while the number's turn is being decided, and answers retransmissions meanwhile", async () => {
    const { keys, replies } = setup();
    expect(await replies.take(PHONE, 'mo-a', 5000, 'job1', WINDOW, TTL)).toBe('taken');
    await redis.set(keys.turnLock(PHONE), 'someone', 'PX', 10_000);
    expect(await replies.take(PHONE, 'mo-b', 6000, 'job2', WINDOW, TTL)).toBe('busy');
    expect(await replies.take(PHONE, 'mo-a', 6000, 'job3', WINDOW, TTL)).toBe('retransmission');
    expect(await replies.take(PHONE, 'mo-a', 5000, 'job1', WINDOW, TTL)).toBe('taken');
    expect(await replies.lastTakenAt(PHONE)).toBe(5000);
    await redis.del(keys.turnLock(PHONE));
    expect(await replies.take(PHONE, 'mo-b', 6000, 'job2', WINDOW, TTL)).toBe('taken');
    expect(await replies.lastTakenAt(PHONE)).toBe(6000);
  });

  it('keeps a busy number to what can still be retransmitted, and expires with the TTL', async () => {
    const { keys, replies } = setup();
    for (let i = 0; i < 20; i++)
      expect(await replies.take(PHONE, `mo-${i}`, i * 60_000, `job${i}`, WINDOW, TTL)).toBe('taken');
    const fields = await redis.hkeys(keys.replySeen(PHONE));
    // Received at 4..19 minutes: within 15 minutes of the last (19), or the last few before pruning.
    expect(fields.length).toBeLessThanOrEqual(17);
    expect(fields).toContain('mo-19');
    expect(fields).toContain('mo-4');
    expect(fields).not.toContain('mo-0');
    const ttl = await redis.pttl(keys.replySeen(PHONE));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL);
  });
});
