import { describe, expect, it } from 'vitest';
import { isFinalStat, messageIdKeys, parseReceiptText } from '../../parsers/receipt.js';

describe('parseReceiptText (SMPP 3.4 Appendix B)', () => {
  it.each([
    [
      'the Perl SMSC format, hex id',
      'id:6b0527da00000001 sub:001 dlvrd:001 submit date:2611251439 done date:2611251439 stat:DELIVRD err:000 text:hello',
      {
        id: '6b0527da00000001',
        sub: '001',
        dlvrd: '001',
        submitDate: '2611251439',
        doneDate: '2611251439',
        stat: 'DELIVRD',
        err: '000',
        text: 'hello',
      },
    ],
    [
      'decimal id, seconds in dates, upper-case keys',
      'ID:1234567890 SUB:001 DLVRD:000 SUBMIT DATE:261125143901 DONE DATE:261125143959 STAT:UNDELIV ERR:034 TEXT:',
      {
        id: '1234567890',
        sub: '001',
        dlvrd: '000',
        submitDate: '261125143901',
        doneDate: '261125143959',
        stat: 'UNDELIV',
        err: '034',
        text: '',
      },
    ],
    ['long state name', 'id:42 stat:DELIVERED err:0', { id: '42', stat: 'DELIVRD', err: '0' }],
    [
      'text containing key-like words is not read as fields',
      'id:7 stat:EXPIRED text:stat:DELIVRD id:9',
      { id: '7', stat: 'EXPIRED', text: 'stat:DELIVRD id:9' },
    ],
    ['unknown state is left out', 'id:7 stat:WEIRD', { id: '7' }],
  ] as const)('%s', (_name, text, expected) => {
    expect(parseReceiptText(text)).toEqual(expected);
  });

  it.each(['', 'hello citizen', 'sub:001 stat:DELIVRD'])(
    'text without an id is not a receipt: %j',
    (text) => {
      expect(parseReceiptText(text)).toBeUndefined();
    },
  );
});

describe('messageIdKeys: ids in hex or decimal', () => {
  it.each([
    ['0000000A', ['0000000a', '10']],
    ['10', ['10', 'a', '16']],
    ['6b0527da00000001', ['6b0527da00000001', '7711613754198196225']],
  ])('%s → %j', (id, keys) => {
    expect(messageIdKeys(id)).toEqual(keys);
  });

  it('a decimal receipt id meets the hex submit_sm_resp id', () => {
    const stored = new Set(messageIdKeys('0000000a'));
    expect(messageIdKeys('10').some((k) => stored.has(k))).toBe(true);
  });
});

describe('isFinalStat', () => {
  it.each([
    ['DELIVRD', true],
    ['UNDELIV', true],
    ['REJECTD', true],
    ['ENROUTE', false],
    ['ACCEPTD', false],
  ] as const)('%s → %s', (stat, final) => expect(isFinalStat(stat)).toBe(final));
});
