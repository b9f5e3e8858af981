import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { newConversationId } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { decodeLink, linkField, linkValues, RECEIPT_DAYS, ReceiptIndex } from '../../store/receipts.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const DAY = 86_400_000;
const SMS = { conversationId: 'conv1', smsId: '0.0', parts: 3, asksConsent: true };
const parts = [
  { id: 'beeline:a1', part: 0 },
  { id: 'beeline:a2', part: 1 },
  { id: 'beeline:a3', part: 2 },
];

describe('the receipt index', () => {
  it('finds every part of a sent SMS by its carrier-scoped id', async () => {
    const index = new ReceiptIndex(redis, createKeys(testPrefix('rcpt')));
    await index.link(parts, SMS);
    expect(await index.find(['beeline:a2'])).toEqual({ ...SMS, part: 1 });
    expect(await index.find(['beeline:zz', 'beeline:a3'])).toEqual({ ...SMS, part: 2 });
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
    expect(await index.find(['beeline:a1'])).toEqual({ ...SMS, part: 0 });
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
});

describe('a link as stored', () => {
  it('reads back as written, for any conversation id, smsId and part', () => {
    const id = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 40 }).map((now) => newConversationId(now)),
      fc.stringMatching(/^[0-9a-z]{18}$/),
      fc.string({ minLength: 1, maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        id,
        fc.string({ maxLength: 60 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        fc.nat(),
        (c, s, n, asksConsent, at) => {
          const p = at % n;
          const link = { conversationId: c, smsId: s, parts: n, asksConsent };
          expect(decodeLink(linkValues(link)(p))).toEqual({ ...link, part: p });
        },
      ),
    );
  });

  it('packs a conversation id in 12 bytes: 20 bytes for a part of a typical SMS', () => {
    const c = newConversationId(Date.UTC(2026, 10, 25));
    const value = linkValues({ conversationId: c, smsId: '0.0', parts: 10, asksConsent: true })(9);
    expect(value.length).toBe(20);
  });

  it('refuses more parts than a concatenated SMS can have, and reads nothing from a value of another form', () => {
    expect(() => linkValues({ conversationId: 'c', smsId: '0.0', parts: 256, asksConsent: false })).toThrow(
      RangeError,
    );
    expect(decodeLink(Buffer.from('conv1 0.0 0 3 1'))).toBeNull();
  });
});

describe("a part's field in its bucket", () => {
  const hexParts = [
    { id: 'kcell:5f3a9c0101', part: 0 }, // lower-case hex
    { id: 'kcell:5F3A9C0102', part: 1 }, // upper-case hex
    { id: 'kcell:1234567890', part: 2 }, // decimal
    { id: 'kcell:5f3A9c0103', part: 3 }, // mixed case: text
  ];
  const sms = { conversationId: 'conv2', smsId: '0.0', parts: 4, asksConsent: false };

  it('packs hex and decimal ids two digits to a byte, and finds every part again', async () => {
    const keys = createKeys(testPrefix('rcpt-field'));
    const index = new ReceiptIndex(redis, keys);
    await index.link(hexParts, sms);
    for (const { id, part } of hexParts) expect(await index.find([id])).toEqual({ ...sms, part });
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
