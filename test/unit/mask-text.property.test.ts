/**
 * Masking changes only what it must: every character outside a masked piece is shown as the citizen wrote
 * it, a masked piece is a whole word or a whole number, and no name word or long number survives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskPieces, maskText, nameWords } from '../../common/mask-text.js';

const letters = fc.constantFrom(...Array.from('АаЛлИиНнәіңғүұқөһ AbcXyz'));
const word = fc.array(letters, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const digitsChunk = fc
  .array(fc.constantFrom(...'0123456789'), { minLength: 1, maxLength: 13 })
  .map((a) => a.join(''));
const junk = fc.constantFrom('#', ' ', '. ', ', ', '-', '+', '(', ')', '\u202e', '\u200b', '\n', '\u2066');
/** Texts built from words, digit runs (codes such as 123#3#1, phone numbers) and separators. */
const text = fc
  .array(fc.oneof(word, digitsChunk, junk, fc.string({ maxLength: 4 })), { maxLength: 30 })
  .map((a) => a.join(''));
const names = fc.array(
  fc.array(fc.oneof(word, digitsChunk), { minLength: 1, maxLength: 3 }).map((a) => a.join(' ')),
  {
    maxLength: 3,
  },
);

const isLetter = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{M}]/u.test(ch);
const isDigit = (ch: string | undefined): boolean => ch !== undefined && /\d/.test(ch);

describe('maskText', () => {
  it('never changes a character outside a masked piece, and a masked piece is a whole word or number', () => {
    fc.assert(
      // Typed by a citizen or not (an SMS of the gateway).
      fc.property(text, names, fc.boolean(), fc.boolean(), (t, ns, personal, typed) => {
        const pieces = maskPieces(t, ns, personal, typed ? { keep: [] } : undefined);
        expect(pieces.map((p) => p.original).join('')).toBe(t);
        let at = 0;
        for (const p of pieces) {
          if (p.masked === undefined) expect(p.shown).toBe(p.original);
          // Whole: a name has no letter either side, a number no digit.
          const whole = p.masked === 'name' ? isLetter : p.masked === 'number' ? isDigit : undefined;
          if (whole) {
            expect(whole(t[at - 1])).toBe(false);
            expect(whole(t[at + p.original.length])).toBe(false);
          }
          if (!personal) expect(p.masked === undefined || p.masked === 'control').toBe(true);
          at += p.original.length;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves no name word of two letters or more as a whole word, and no run of ten digits', () => {
    fc.assert(
      fc.property(text, names, (t, ns) => {
        const shown = maskText(t, ns);
        const words = nameWords(ns);
        for (const m of shown.matchAll(/[\p{L}\p{M}]+/gu)) expect(words.has(m[0].toLowerCase())).toBe(false);
        expect(shown).not.toMatch(/\d{10}/);
      }),
      { numRuns: 2000 },
    );
  });

  it('in a text a citizen typed, leaves no five digits in a row outside a reply code', () => {
    fc.assert(
      fc.property(text, names, (t, ns) => {
        const shown = maskText(t, ns, true, { keep: [] });
        // Only beside a `#`: a reply code such as 12345#3#1.
        for (const m of shown.matchAll(/(?<!\d)\d{5,}(?!\d)/g)) {
          expect(shown[m.index - 1] === '#' || shown[m.index + m[0].length] === '#').toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('shows no bidi or zero-width control, masked or not', () => {
    fc.assert(
      fc.property(text, names, fc.boolean(), (t, ns, personal) => {
        expect(maskText(t, ns, personal)).not.toMatch(/[\p{Cf}\u2028\u2029]/u);
      }),
      { numRuns: 1000 },
    );
  });
});
