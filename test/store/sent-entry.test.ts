import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReceiptEntry } from '../../store/receipt-entry.js';
import { decodeSentEntry, encodeSentEntry } from '../../store/sent-entry.js';

const sent = {
  at: 1_764_087_000_123,
  kind: 'sms-status',
  smsId: '0.1',
  status: 'sent',
  messageIds: ['5f3a9c01', '5f3a9c02', '5f3a9c03'],
  encoding: 'ucs2',
};

describe('the compact form of a sent timeline entry', () => {
  it('reads back exactly, in 12 bytes plus the ids', () => {
    const raw = encodeSentEntry(sent);
    expect(raw?.length).toBe(8 + 4 + 3 * 9);
    expect(decodeSentEntry(raw!)).toEqual(sent);
    expect(decodeReceiptEntry(raw!)).toBeNull();
  });

  it('reads back any ids, smsIds and encodings it accepts', () => {
    // At most 60 code points of up to 4 bytes: under the 255-byte limit of a length byte.
    const short = fc.string({ unit: 'binary', maxLength: 60 });
    fc.assert(
      fc.property(
        fc.record({
          at: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
          smsId: short,
          messageIds: fc.array(short, { maxLength: 20 }),
          encoding: fc.constantFrom('gsm7', 'ucs2'),
        }),
        (e) => {
          const entry = {
            at: e.at,
            kind: 'sms-status',
            smsId: e.smsId,
            status: 'sent',
            messageIds: e.messageIds,
            encoding: e.encoding,
          };
          const raw = encodeSentEntry(entry);
          expect(raw).not.toBeNull();
          expect(decodeSentEntry(raw!)).toEqual(entry);
          // Never read as a receipt entry, nor merged with one (store/lua/append.lua).
          expect(decodeReceiptEntry(raw!)).toBeNull();
        },
      ),
    );
  });

  it('is not used for any other entry, which is stored as before', () => {
    for (const other of [
      { ...sent, status: 'failed' },
      { ...sent, reason: 'x' },
      { ...sent, encoding: 'latin1' },
      { ...sent, messageIds: ['x'.repeat(256)] },
      { ...sent, messageIds: [1] },
      { at: 1, kind: 'sms-status', smsId: '0.0', part: 0, parts: 1, status: 'delivered', stat: 'DELIVRD' },
    ])
      expect(encodeSentEntry(other)).toBeNull();
    expect(decodeSentEntry(Buffer.from('{"at":1}'))).toBeNull();
  });
});
