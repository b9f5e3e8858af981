import { describe, expect, it } from 'vitest';
import { decodeReceiptEntry, encodeReceiptEntry } from '../../store/receipt-entry.js';

const receipt = {
  at: 1_764_087_000_123,
  kind: 'sms-status',
  smsId: '0.1',
  part: 3,
  parts: 10,
  status: 'delivered',
  stat: 'DELIVRD',
};

describe('the compact form of a receipt timeline entry', () => {
  it('reads back exactly, in 14 bytes', () => {
    const raw = encodeReceiptEntry(receipt);
    expect(raw?.length).toBe(14);
    expect(decodeReceiptEntry(raw!)).toEqual(receipt);
    const failed = { ...receipt, status: 'failed', stat: 'UNDELIV', part: 0, parts: 1 };
    expect(decodeReceiptEntry(encodeReceiptEntry(failed)!)).toEqual(failed);
  });

  it('is not used for any other entry, which is stored as before', () => {
    for (const other of [
      { ...receipt, err: '0x0b' },
      { ...receipt, stat: 'WEIRD' },
      { ...receipt, part: 300 },
      { ...receipt, kind: 'note' },
      { at: 1, kind: 'sms-status', smsId: '0.0', status: 'sent', messageIds: ['a'] },
    ])
      expect(encodeReceiptEntry(other)).toBeNull();
    expect(decodeReceiptEntry(Buffer.from('{"at":1}'))).toBeNull();
  });
});
