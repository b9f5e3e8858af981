/**
 * The daily limit on SMS a citizen's SMS causes (gateway/core/reply-limits.ts) against a real Redis:
 * steps refused while others hold the last SMS spend nothing, so an SMS given back (its step lost
 * its compare-and-set) can be taken again by the retry.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { REPLY_SMS_LIMITS, ReplyLimits } from '../../gateway/core/reply-limits.js';
import { ReplyState } from '../../store/replies.js';
import { createKeys } from '../../store/keys.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const TEMPLATE = 'gateway.after-deadline';
const LIMIT = REPLY_SMS_LIMITS[TEMPLATE] ?? 0;
const NOW = Date.UTC(2026, 9, 5, 6);

describe('taking an SMS within the daily limit', () => {
  it('50 concurrent takers get exactly the limit; one given back is taken again, once', async () => {
    const limits = new ReplyLimits(new ReplyState(redis, createKeys(testPrefix('limits'))));
    const taken = await Promise.all(
      Array.from({ length: 50 }, () => limits.takeSms('77010000001', TEMPLATE, NOW)),
    );
    expect(taken.filter(Boolean)).toHaveLength(LIMIT);
    await limits.returnSms('77010000001', TEMPLATE, NOW);
    expect(await limits.takeSms('77010000001', TEMPLATE, NOW)).toBe(true);
    expect(await limits.takeSms('77010000001', TEMPLATE, NOW)).toBe(false);
    expect(limits.counts.limited.get(TEMPLATE)).toBe(50 - LIMIT + 1);
  });

  it('counts per number and per Almaty day', async () => {
    const limits = new ReplyLimits(new ReplyState(redis, createKeys(testPrefix('limits'))));
    for (let i = 0; i < LIMIT; i++) expect(await limits.takeSms('77010000002', TEMPLATE, NOW)).toBe(true);
    expect(await limits.takeSms('77010000002', TEMPLATE, NOW)).toBe(false);
    expect(await limits.takeSms('77010000003', TEMPLATE, NOW)).toBe(true);
    expect(await limits.takeSms('77010000002', TEMPLATE, NOW + 86_400_000)).toBe(true);
  });
});
