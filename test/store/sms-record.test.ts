import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../store/keys.js';
import { FAILED_RECORD, partialRecord, sentRecord, SmsRecords, type SmsRef } from '../../store/sms-record.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const records = new SmsRecords(redis, createKeys(testPrefix('smsrec')));
/** An SMS of a conversation that does not exist (the record alone decides). */
const sms = (smsId: string): SmsRef => ({ conversationId: 'no-conversation', smsId });
const readSmsRecord = (_: unknown, ref: SmsRef) => records.read(ref);
const claimSmsRecords = (_: unknown, refs: SmsRef[], owner: string, ttl: number) =>
  records.claim(refs, owner, ttl);
const transferSmsClaim = (_: unknown, ref: SmsRef, from: string, to: string) =>
  records.transferClaim(ref, from, to);
const set = (ref: SmsRef, value: string) => redis.set(records.key(ref), value);

describe('the record of a sent SMS', () => {
  it('is absent, then partial, then sent with its template and campaign', async () => {
    const key = sms('0.0');
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'none' });
    const resume = { ref: 7, accepted: [{ index: 0, messageId: 'a' }] };
    await set(key, partialRecord(resume, 'job-1'));
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'partial', resume, owner: 'job-1' });
    await set(key, sentRecord('home-schooling.offer', 'spring-2026'));
    expect(await readSmsRecord(redis, key)).toEqual({
      state: 'sent',
      templateId: 'home-schooling.offer',
      campaign: 'spring-2026',
    });
    await set(key, sentRecord('gateway.help'));
    expect(await readSmsRecord(redis, key)).toEqual({
      state: 'sent',
      templateId: 'gateway.help',
      campaign: null,
    });
  });

  it('of a tag it does not know is an error, never a guess', async () => {
    const key = sms('0.1');
    await set(key, 'home-schooling.offer');
    await expect(readSmsRecord(redis, key)).rejects.toThrow(/unknown tag "h"/);
    await set(key, '{"ref":1,"accepted":[]}');
    await expect(readSmsRecord(redis, key)).rejects.toThrow(/stored SMS record: o: /);
  });
});

describe('claiming the records of SMS a job is about to send', () => {
  it('claims free records for the job and reports what the others hold', async () => {
    const [free, other, sent, partial, failed] = ['free', 'other', 'sent', 'partial', 'failed'].map(sms) as [
      SmsRef,
      SmsRef,
      SmsRef,
      SmsRef,
      SmsRef,
    ];
    await claimSmsRecords(redis, [other], 'job-2', 60);
    await set(sent, sentRecord('gateway.help'));
    const resume = { ref: 1, accepted: [] };
    await set(partial, partialRecord(resume, 'job-3'));
    await set(failed, FAILED_RECORD);
    const found = await claimSmsRecords(redis, [free, other, sent, partial, failed], 'job-1', 60);
    expect(found).toEqual([
      { state: 'claimed', owner: 'job-1' },
      { state: 'claimed', owner: 'job-2' },
      { state: 'sent', templateId: 'gateway.help', campaign: null },
      { state: 'partial', resume, owner: 'job-3' },
      { state: 'failed' },
    ]);
    // The same job again (a retry after a crash) finds its own claim; it expires with the record.
    expect(await claimSmsRecords(redis, [free], 'job-1', 60)).toEqual([{ state: 'claimed', owner: 'job-1' }]);
    expect(await redis.get(records.key(free))).toBe('~job-1');
    expect(await claimSmsRecords(redis, [free], 'job-9', 60)).toEqual([{ state: 'claimed', owner: 'job-1' }]);
    expect(await redis.ttl(records.key(free))).toBeGreaterThan(0);
  });

  it('hands a claim, or the parts left of a partial SMS, to another job only from the job that holds it', async () => {
    const key = sms('transfer');
    await claimSmsRecords(redis, [key], 'job-1', 60);
    await transferSmsClaim(redis, key, 'job-2', 'alone');
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'claimed', owner: 'job-1' });
    await transferSmsClaim(redis, key, 'job-1', 'alone');
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'claimed', owner: 'alone' });
    expect(await redis.ttl(records.key(key))).toBeGreaterThan(0);

    await set(key, partialRecord({ ref: 3, accepted: [{ index: 0, messageId: 'a' }] }, 'job-1'));
    await transferSmsClaim(redis, key, 'job-1', 'alone');
    const record = await readSmsRecord(redis, key);
    expect(record).toEqual({
      state: 'partial',
      owner: 'alone',
      resume: { ref: 3, accepted: [{ index: 0, messageId: 'a' }] },
    });

    await set(key, sentRecord('gateway.help'));
    await transferSmsClaim(redis, key, 'alone', 'job-3');
    expect((await readSmsRecord(redis, key)).state).toBe('sent');
  });

  it('reads a refused SMS as failed, and a partial record with the job finishing it', async () => {
    const key = sms('states');
    await set(key, FAILED_RECORD);
    expect(await readSmsRecord(redis, key)).toEqual({ state: 'failed' });
    // A claim by another job sees the partial record of this one, and leaves it alone.
    await set(key, partialRecord({ ref: 1, accepted: [] }, 'job-1'));
    expect(await claimSmsRecords(redis, [key], 'job-2', 60)).toEqual([
      { state: 'partial', resume: { ref: 1, accepted: [] }, owner: 'job-1' },
    ]);
  });
});
