import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  chooseEncoding,
  encodeGsm7,
  parseUdh,
  segment,
  type SmsEncoding,
} from '../../sms/encoding.js';

/** The plain definition, one code point at a time: what `segment` must agree with. */
function reference(text: string, encoding: SmsEncoding, ref16: boolean): string[] {
  const cost = (ch: string) => (encoding === 'ucs2' ? ch.length : encodeGsm7(ch).length);
  const chars = Array.from(text);
  const units = chars.reduce((n, ch) => n + cost(ch), 0);
  if (units <= LIMITS[encoding].single) return [text];
  const perPart = ref16 ? LIMITS[encoding].part16 : LIMITS[encoding].part;
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of chars) {
    if (used + cost(ch) > perPart) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += cost(ch);
  }
  if (current) parts.push(current);
  return parts;
}

const gsm = fc.constantFrom(...Array.from('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩ abcXYZ0129{}[]~^\\|€'));
// Whole code points: the emoji stay surrogate pairs (a ZWJ sequence is several code points).
const kazakh = fc.constantFrom(...Array.from('әіңғүұқөһ ӘІҢҒҮҰҚӨҺ абв 😀👨‍👩‍👧 123#'));
// Without surrogate pairs, as the acts' SMS are: one unit a character.
const kazakhBmp = fc.constantFrom(...Array.from('әіңғүұқөһ ӘІҢҒҮҰҚӨҺ абв 123#'));

describe('segment', () => {
  it('cuts any text as the plain definition does, in GSM and UCS2, with 8- and 16-bit references', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(gsm, { maxLength: 500 }),
          fc.array(kazakh, { maxLength: 300 }),
          fc.array(kazakhBmp, { maxLength: 300 }),
        ),
        fc.boolean(),
        (chars, ref16) => {
          const text = chars.join('');
          const encoding = chooseEncoding(text);
          const got = segment(text, { ref16 });
          expect(got.encoding).toBe(encoding);
          expect(got.parts).toEqual(reference(text, encoding, ref16));
          expect(got.parts.join('')).toBe(text);
          expect(got.characters).toBe(Array.from(text).length);
          expect(got.units).toBe(encoding === 'ucs2' ? text.length : encodeGsm7(text).length);
        },
      ),
    );
  });

  it('never starts a part with the second half of a surrogate pair', () => {
    const text = '😀'.repeat(100);
    const { parts } = segment(text);
    expect(parts.length).toBe(Math.ceil(200 / 66));
    for (const part of parts) expect(part.codePointAt(0)).toBe(0x1f600);
  });
});

describe('parseUdh', () => {
  it('reads a concatenation IE (8- and 16-bit reference)', () => {
    expect(parseUdh(Buffer.from([5, 0, 3, 7, 3, 2, 0x41]))?.concat).toEqual({
      ref: 7,
      total: 3,
      seq: 2,
      refBits: 8,
    });
    expect(parseUdh(Buffer.from([6, 8, 4, 1, 2, 3, 3]))?.concat).toEqual({
      ref: 0x102,
      total: 3,
      seq: 3,
      refBits: 16,
    });
  });

  it('ignores a concatenation IE numbering no part (TS 23.040 §9.2.3.24.1): total 0, part 0, part above the total', () => {
    for (const [total, seq] of [
      [0, 0],
      [0, 1],
      [2, 0],
      [2, 5],
    ] as const) {
      const udh = parseUdh(Buffer.from([5, 0, 3, 7, total, seq]));
      expect(udh?.concat, `${seq} of ${total}`).toBeUndefined();
      expect(udh?.length).toBe(6);
      expect(udh?.elements).toHaveLength(1);
    }
  });
});
