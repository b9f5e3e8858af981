import { afterAll, describe, expect, it } from 'vitest';
import { claimSmsRecords, readSmsRecord, releaseSmsClaim, sentRecord } from '../../store/sms-record.js';
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

describe('claiming the records of SMS a job is about to send', () => {
  it('claims free records for the job and reports what the others hold', async () => {
    const base = testPrefix('claim');
    const [free, other, sent, partial, legacy] = ['free', 'other', 'sent', 'partial', 'legacy'].map(
      (k) => `${base}:sms:${k}`,
    ) as [string, string, string, string, string];
    await claimSmsRecords(redis, [other], 'job-2', 60);
    await redis.set(sent, sentRecord('gateway.help'));
    await redis.set(partial, '{"ref":1,"accepted":[]}');
    await redis.hset(legacy, 'ids', '["a"]', 't', 'gateway.help');
    const records = await claimSmsRecords(redis, [free, other, sent, partial, legacy], 'job-1', 60);
    expect(records).toEqual([
      { state: 'claimed', owner: 'job-1' },
      { state: 'claimed', owner: 'job-2' },
      { state: 'sent', templateId: 'gateway.help', campaign: null },
      { state: 'partial', resume: '{"ref":1,"accepted":[]}' },
      { state: 'sent', templateId: 'gateway.help', campaign: null },
    ]);
    // The same job again (a retry after a crash) finds its own claim; it expires with the record.
    expect(await claimSmsRecords(redis, [free], 'job-1', 60)).toEqual([{ state: 'claimed', owner: 'job-1' }]);
    expect(await redis.ttl(free)).toBeGreaterThan(0);
  });

  it('gives up a claim only while the job itself holds it', async () => {
    const key = `${testPrefix('claim')}:sms:release`;
    await claimSmsRecords(redis, [key], 'job-1', 60);
    await releaseSmsClaim(redis, key, 'job-2');
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'claimed', owner: 'job-1' });
    await releaseSmsClaim(redis, key, 'job-1');
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'none' });
    await redis.set(key, sentRecord('gateway.help'));
    await releaseSmsClaim(redis, key, 'job-1');
    expect((await readSmsRecord(redis, key)).state).toBe('sent');
  });
});
