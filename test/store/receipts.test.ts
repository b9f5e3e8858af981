import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../store/keys.js';
import { decodeLink, RECEIPT_DAYS, ReceiptIndex } from '../../store/receipts.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const DAY = 86_400_000;
const SMS = { c: 'conv1', s: '0.0', n: 3, asksConsent: true };
const parts = [
  { id: 'beeline:a1', p: 0 },
  { id: 'beeline:a2', p: 1 },
  { id: 'beeline:a3', p: 2 },
];

describe('the receipt index', () => {
  it('finds every part of a sent SMS by its carrier-scoped id', async () => {
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')));
    await index.link(parts, SMS);
    expect(await index.find(['beeline:a2'])).toEqual({ ...SMS, p: 1 });
    expect(await index.find(['beeline:zz', 'beeline:a3'])).toEqual({ ...SMS, p: 2 });
  });

  it('does not confuse the same id from another carrier', async () => {
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')));
    await index.link(parts, SMS);
    expect(await index.find(['kcell:a1'])).toBeNull();
  });

  it(`matches receipts for ${RECEIPT_DAYS - 1} whole days after the day of sending, and no longer`, async () => {
    let now = Date.UTC(2026, 10, 25, 23, 59);
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')), () => now);
    await index.link(parts, SMS);
    now += (RECEIPT_DAYS - 1) * DAY;
    expect(await index.find(['beeline:a1'])).toEqual({ ...SMS, p: 0 });
    now += DAY;
    expect(await index.find(['beeline:a1'])).toBeNull();
  });

  it('keeps its buckets no longer than the receipt window', async () => {
    const keys = createKeys(testPrefix('rcpt'));
    await new ReceiptIndex(redis, keys).link(parts.slice(0, 1), SMS);
    const [bucket] = await redis.keys(`${keys.receiptBucket('beeline', 0, 0).split('{')[0]}{r:*`);
    const ttl = await redis.ttl(bucket!);
    expect(ttl).toBeGreaterThan((RECEIPT_DAYS - 1) * 86_400);
    expect(ttl).toBeLessThanOrEqual(RECEIPT_DAYS * 86_400);
  });

  it('still reads a link written one key per part, as JSON, before the buckets', async () => {
    const keys = createKeys(testPrefix('rcpt'));
    const old = { c: 'c0', s: '1.0', p: 4, n: 5, templateId: 't', asksConsent: false, campaign: 'k' };
    await redis.set(keys.receipt('beeline:old'), JSON.stringify(old));
    expect(await new ReceiptIndex(redis, keys).find(['beeline:old'])).toEqual(
      decodeLink(JSON.stringify(old)),
    );
    expect(decodeLink(JSON.stringify(old))).toEqual({ c: 'c0', s: '1.0', p: 4, n: 5, asksConsent: false });
  });
});
