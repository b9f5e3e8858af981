import { afterAll, describe, expect, it } from 'vitest';
import { readSmsRecord, sentRecord } from '../../store/sms-record.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe('the record of a sent SMS', () => {
  it('is absent, then partial, then sent with its template and campaign', async () => {
    const key = `${testPrefix('smsrec')}:sms:0.0`;
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'none' });
    const resume = JSON.stringify({ ref: 7, accepted: [{ index: 0, messageId: 'a' }] });
    await redis.set(key, resume);
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'partial', resume });
    await redis.set(key, sentRecord('home-schooling.offer', 'spring-2026'));
    expect(await readSmsRecord(redis, key)).toEqual({
      state: 'sent',
      templateId: 'home-schooling.offer',
      campaign: 'spring-2026',
    });
    await redis.set(key, sentRecord('gateway.help'));
    expect(await readSmsRecord(redis, key)).toEqual({
      state: 'sent',
      templateId: 'gateway.help',
      campaign: null,
    });
  });

  it('written as a hash by the earlier version still reads', async () => {
    const key = `${testPrefix('smsrec')}:sms:0.1`;
    await redis.hset(key, 'partial', '{"ref":1,"accepted":[]}');
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'partial', resume: '{"ref":1,"accepted":[]}' });
    await redis.hset(key, 'ids', '["a","b"]', 'bind', 'b1', 't', 'home-schooling.offer');
    expect(await readSmsRecord(redis, key)).toEqual({
      state: 'sent',
      templateId: 'home-schooling.offer',
      campaign: null,
    });
  });
});
