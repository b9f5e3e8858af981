import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReceiptEntry } from '../../store/receipt-entry.js';
import { decodeSentEntry, encodeSentEntry } from '../../store/sent-entry.js';
import type { SmsStatusEntry, TimelineEntry } from '../../store/timeline-entry.js';

const sent: SmsStatusEntry = {
  at: 1_764_087_000_123,
  kind: 'sms-status',
  smsId: '0.1',
  status: 'sent',
  messageIds: ['5f3a9c01', '5f3a9c02', '5f3a9c03'],
  encoding: 'ucs2',
};

describe('the compact form of a sent timeline entry', () => {
  it('reads back exactly, hex ids packed two digits to a byte', () => {
    const raw = encodeSentEntry(sent);
    expect(raw?.[0]).toBe(0x1b);
    // Head (8), the smsId after its length (4), each 8-digit id after its head byte (5).
    expect(raw?.length).toBe(8 + 4 + 3 * 5);
    expect(decodeSentEntry(raw!)).toEqual(sent);
    expect(decodeReceiptEntry(raw!)).toBeNull();
  });

  it('packs decimal, upper-case and odd-length ids; keeps mixed-case and short ones as text', () => {
    const ids = [
      '1234567890',
      '5F3A9C01AB',
      'abc',
      '0001',
      'aBc1',
      'ab',
      '',
      'kcell-77',
      'f'.repeat(63),
      'f'.repeat(64),
    ];
    const entry = { ...sent, messageIds: ids };
    const raw = encodeSentEntry(entry)!;
    expect(raw[0]).toBe(0x1b);
    // Packed: 6 + 6 + 3 + 3 + 33 bytes; as text: 5 + 3 + 1 + 9 + 65.
    expect(raw.length).toBe(8 + 4 + (6 + 6 + 3 + 3 + 33) + (5 + 3 + 1 + 9 + 65));
    expect(decodeSentEntry(raw)).toEqual(entry);
  });

  it('does not take an SMSC id of 128 bytes or more (the entry is stored as a packed document)', () => {
    expect(encodeSentEntry({ ...sent, messageIds: ['x'.repeat(128), '5f3a9c01'] })).toBeNull();
    expect(encodeSentEntry({ ...sent, messageIds: ['x'.repeat(127)] })).not.toBeNull();
  });

  it('reads back any ids, smsIds and encodings it accepts', () => {
    // At most 60 code points of up to 4 bytes: under the 255-byte limit of a length byte; an
    // SMSC id as text at most 31 (under 128 bytes).
    const short = fc.string({ unit: 'binary', maxLength: 60 });
    const shortId = fc.string({ unit: 'binary', maxLength: 31 });
    const hex = fc.stringMatching(/^([0-9a-f]{1,70}|[0-9A-F]{1,70})$/);
    fc.assert(
      fc.property(
        fc.record({
          at: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
          smsId: short,
          messageIds: fc.array(fc.oneof(shortId, hex), { maxLength: 20 }),
          encoding: fc.constantFrom('gsm7', 'ucs2'),
        }),
        (e) => {
          const entry: SmsStatusEntry = {
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
          // Never read as a receipt entry, nor merged with one (store/lua/append-1.lua).
          expect(decodeReceiptEntry(raw!)).toBeNull();
        },
      ),
    );
  });

  it('is not used for any other entry, which is stored as a packed document', () => {
    const others: TimelineEntry[] = [
      { ...sent, status: 'failed' },
      { ...sent, reason: 'x' },
      { at: 1, kind: 'sms-status', smsId: '0.0', status: 'sent', messageIds: ['5f'] },
      { ...sent, messageIds: ['x'.repeat(256)] },
      { at: 1, kind: 'sms-status', smsId: '0.0', part: 0, parts: 1, status: 'delivered', stat: 'DELIVRD' },
    ];
    for (const other of others) expect(encodeSentEntry(other)).toBeNull();
    expect(decodeSentEntry(Buffer.from('{"at":1}'))).toBeNull();
  });
});
