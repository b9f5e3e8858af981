import { describe, expect, it } from 'vitest';
import { decodeReceiptEntry, encodeReceiptEntry } from '../../store/receipt-entry.js';
import type { SmsStatusEntry, TimelineEntry } from '../../store/timeline-entry.js';

const receipt: SmsStatusEntry = {
  at: 1_764_087_000_123,
  kind: 'sms-status',
  smsId: '0.1',
  part: 3,
  parts: 10,
  status: 'delivered',
  stat: 'DELIVRD',
};

describe('the compact form of a receipt timeline entry', () => {
  it('reads back exactly, in 17 bytes for a part of a 10-part SMS (20 with err:000)', () => {
    const raw = encodeReceiptEntry(receipt);
    expect(raw?.length).toBe(17);
    expect(decodeReceiptEntry(raw!)).toEqual(receipt);
    const withErr = { ...receipt, err: '000' };
    expect(encodeReceiptEntry(withErr)?.length).toBe(20);
    expect(decodeReceiptEntry(encodeReceiptEntry(withErr)!)).toEqual(withErr);
    const emptyErr = { ...receipt, err: '' };
    expect(decodeReceiptEntry(encodeReceiptEntry(emptyErr)!)).toEqual(emptyErr);
    const failed: SmsStatusEntry = { ...receipt, status: 'failed', stat: 'UNDELIV', part: 0, parts: 1 };
    expect(decodeReceiptEntry(encodeReceiptEntry(failed)!)).toEqual(failed);
    const last = { ...receipt, part: 254, parts: 255 };
    expect(decodeReceiptEntry(encodeReceiptEntry(last)!)).toEqual(last);
  });

  it('reads a run of several parts as the list of the parts reported', () => {
    const raw = encodeReceiptEntry(receipt)!;
    // Parts 0, 3 and 9: the bitmap is the last two bytes.
    raw[raw.length - 2] = 0b0000_1001;
    raw[raw.length - 1] = 0b0000_0010;
    const { part: _part, ...rest } = receipt;
    expect(decodeReceiptEntry(raw)).toEqual({ ...rest, partList: [0, 3, 9] });
  });

  it('is not used for any other entry, which is stored as a packed document', () => {
    const others: TimelineEntry[] = [
      { ...receipt, err: 'e'.repeat(255) },
      { ...receipt, reason: 'x' },
      { ...receipt, stat: 'WEIRD' },
      { ...receipt, part: 300, parts: 301 },
      { ...receipt, part: 10 },
      { ...receipt, smsId: 'x'.repeat(256) },
      { at: 1, kind: 'note', text: 'x' },
      { at: 1, kind: 'sms-status', smsId: '0.0', status: 'sent', messageIds: ['a'] },
    ];
    for (const other of others) expect(encodeReceiptEntry(other)).toBeNull();
    expect(decodeReceiptEntry(Buffer.from('{"at":1}'))).toBeNull();
  });
});
