import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { newConversationId } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { decodeLink, linkField, linkValue, RECEIPT_DAYS, ReceiptIndex } from '../../store/receipts.js';
import { idsInOneBucket } from '../support/receipt-buckets.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const DAY = 86_400_000;
const SMS = { conversationId: 'conv1', ids: ['beeline:a1', 'beeline:a2', 'beeline:a3'] };
const found = (id: string) => ({ conversationId: 'conv1', id });

describe('the receipt index', () => {
  it('finds every part of a sent SMS by its carrier-scoped id', async () => {
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')));
    await index.link(SMS);
    expect(await index.find(['beeline:a2'])).toEqual(found('a2'));
    // The spelling found is the one stored.
    expect(await index.find(['beeline:zz', 'beeline:a3'])).toEqual(found('a3'));
  });

  it('does not confuse the same id from another carrier', async () => {
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')));
    await index.link(SMS);
    expect(await index.find(['kcell:a1'])).toBeNull();
  });

  it(`matches receipts for ${RECEIPT_DAYS - 1} whole days after the day of sending, and no longer`, async () => {
    let now = Date.UTC(2026, 10, 25, 23, 59);
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')), () => now);
    await index.link(SMS);
    now += (RECEIPT_DAYS - 1) * DAY;
    expect(await index.find(['beeline:a1'])).toEqual(found('a1'));
    now += DAY;
    expect(await index.find(['beeline:a1'])).toBeNull();
  });

  it('keeps its buckets no longer than the receipt window', async () => {
    const keys = createKeys(testPrefix('rcpt'));
    await new ReceiptIndex(redis, keys).link({ ...SMS, ids: SMS.ids.slice(0, 1) });
    const [bucket] = await redis.keys(`${keys.receiptBucket('beeline', 0, 0).split('{')[0]}{r:*`);
    const ttl = await redis.ttl(bucket!);
    expect(ttl).toBeGreaterThan((RECEIPT_DAYS - 1) * 86_400);
    expect(ttl).toBeLessThanOrEqual(RECEIPT_DAYS * 86_400);
  });

  it('gives a bucket the receipt window once: two parts in it, and one there before without a TTL', async () => {
    const keys = createKeys(testPrefix('rcpt-ttl'));
    const index = new ReceiptIndex(redis, keys);
    const pair = idsInOneBucket('beeline:t');
    const lone = 'beeline:lone';
    const plan = index.plan([{ conversationId: 'conv1', ids: [...pair, lone] }]);
    const buckets = [...new Set(plan.slots.map(([key]) => key))];
    expect(buckets).toHaveLength(2);
    await redis.hset(plan.slots[2]![0], 'left', 'there');
    await index.write(plan);
    for (const bucket of buckets) {
      const ttl = await redis.ttl(bucket);
      expect(ttl).toBeGreaterThan((RECEIPT_DAYS - 1) * 86_400);
      expect(ttl).toBeLessThanOrEqual(RECEIPT_DAYS * 86_400);
    }
    for (const id of [...pair, lone])
      expect(await index.find([id])).toEqual(found(id.slice('beeline:'.length)));
  });
});

describe('a link as stored', () => {
  it('reads back as written, for any conversation id', () => {
    const id = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 40 }).map((now) => newConversationId(now)),
      fc.stringMatching(/^[0-9a-z]{18}$/),
      fc.string({ minLength: 1, maxLength: 40 }),
    );
    fc.assert(
      fc.property(id, (c) => {
        expect(decodeLink(linkValue(c))).toBe(c);
      }),
    );
  });

  it('is a conversation id packed in 12 bytes after its tag: 13 bytes for every part', () => {
    const c = newConversationId(Date.UTC(2026, 10, 25));
    expect(linkValue(c).length).toBe(13);
  });

  it('reads nothing from a value of another form', () => {
    expect(decodeLink(Buffer.from('conv1 0.0 0 3 1'))).toBeNull();
    expect(decodeLink(Buffer.from([1, 2, 3]))).toBeNull();
    expect(decodeLink(Buffer.from([2]))).toBeNull();
  });
});

describe("a part's field in its bucket", () => {
  const ids = [
    'kcell:5f3a9c0101', // lower-case hex
    'kcell:5F3A9C0102', // upper-case hex
    'kcell:1234567890', // decimal
    'kcell:5f3A9c0103', // mixed case: text
  ];

  it('packs hex and decimal ids two digits to a byte, and finds every part again', async () => {
    const keys = createKeys(testPrefix('rcpt-field'));
    const index = new ReceiptIndex(redis, keys);
    await index.link({ conversationId: 'conv2', ids });
    for (const id of ids)
      expect(await index.find([id])).toEqual({ conversationId: 'conv2', id: id.slice('kcell:'.length) });
    const fields = (
      await Promise.all(
        (await redis.keys(`${keys.receiptBucket('kcell', 0, 0).split('{')[0]}{r:*`)).map((k) =>
          redis.hkeysBuffer(k),
        ),
      )
    ).flat();
    expect(fields.map((f) => f.toString('hex')).sort()).toEqual(
      ['891234567890', '895f3a9c0101', 'a95f3a9c0102', Buffer.from('5f3A9c0103').toString('hex')].sort(),
    );
    // Not another spelling: the case of an upper-case id is part of it.
    expect(await index.find(['kcell:5f3a9c0102'])).toBeNull();
  });

  it('is never the same for two ids', () => {
    const id = fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{1,40}$/), fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(id, id, (a, b) => {
        fc.pre(a !== b);
        expect(Buffer.from(linkField(a)).equals(Buffer.from(linkField(b)))).toBe(false);
      }),
    );
  });
});
