import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REPLY_CHARS, normalizeReply, parseReply } from '../../parsers/reply.js';
import { hasNoWord } from '../../parsers/reply-words.js';

// Pieces citizens' replies are made of, so random texts reach deep into the grammar.
const PIECES = [
  '123',
  '3',
  '1',
  '2',
  '0',
  '12',
  '110',
  '#',
  '*',
  '＃',
  '＊',
  '３',
  '１',
  ' ',
  '  ',
  '\n',
  '\t',
  '\u3000',
  '.',
  '!',
  '?',
  'рахмет',
  'да',
  'нет',
  'Иә',
  'жоқ',
  'не',
  'o',
  '٢',
  '¹',
  '\u0301',
  '\uD800',
];
const codeLike = fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 12 });
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

/** Any text: full Unicode, lone surrogates, code-like pieces, and texts over the length limit. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  utf16,
  codeLike,
  fc.string({ unit: 'binary', minLength: MAX_REPLY_CHARS - 20, maxLength: MAX_REPLY_CHARS + 50 }),
);

const WHITESPACE = [' ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2028', '\u0085'];
const whitespace = (minLength: number) =>
  fc.string({ unit: fc.constantFrom(...WHITESPACE), minLength, maxLength: 4 });

/** A trailing word: no digit, `#` or `*`, and not a refusal word, even after NFKC. */
const trailingWord = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
  // Judged after NFKC, as the parser reads it: `№` becomes `No`, a refusal word.
  .filter((w) => !/[\p{N}#*]/u.test(w.normalize('NFKC')) && !hasNoWord(w.normalize('NFKC')));

interface Code {
  text: string;
  serviceCode: string | null;
  answer: number;
  choice: number | null;
}

/** A valid code in one of its accepted spellings. */
const validCode = fc
  .record({
    service: fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: null }),
    leadingHash: fc.boolean(),
    answer: fc.integer({ min: 0, max: 9 }),
    choice: fc.option(fc.integer({ min: 1, max: 999 }), { nil: null }),
    choiceAfterSpace: fc.boolean(),
    separator: fc.constantFrom('#', '*', '＃', ' # ', '##', '# #'),
  })
  .map(({ service, leadingHash, answer, choice, choiceAfterSpace, separator: sep }): Code => {
    const head = service !== null ? `${service}${sep}` : leadingHash ? sep : '';
    const tail = choice === null ? '' : `${choiceAfterSpace ? ' ' : ''}${choice}`;
    return { text: `${head}3${sep}${answer}${tail}`, serviceCode: service, answer, choice };
  });

describe('reply parser properties', () => {
  it('never throws and always answers a well-formed verdict, whatever the text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseReply(text);
        expect(['coded', 'not-coded']).toContain(parsed.kind);
        expect(parsed.normalized.length).toBeLessThanOrEqual(MAX_REPLY_CHARS);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a valid code the same with any whitespace around it and any words after it', () => {
    fc.assert(
      fc.property(
        validCode,
        whitespace(0),
        fc.array(fc.tuple(whitespace(1), trailingWord), { maxLength: 4 }),
        whitespace(0),
        (code, before, words, after) => {
          const text = `${before}${code.text}${words.map(([space, word]) => space + word).join('')}${after}`;
          expect(parseReply(text)).toMatchObject({
            kind: 'coded',
            serviceCode: code.serviceCode,
            question: 3,
            answer: code.answer,
            choice: code.choice,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never reads a code in a text that has no digit after NFKC', () => {
    const withoutDigits = fc
      .oneof(
        anyText,
        codeLike.map((s) => s.replace(/[0-9０-９３１٢¹]/g, '')),
      )
      .filter((s) => !/[0-9]/.test(s.normalize('NFKC')));
    fc.assert(
      fc.property(withoutDigits, (text) => {
        expect(parseReply(text).kind).toBe('not-coded');
      }),
      { numRuns: 2000 },
    );
  });

  it('normalises idempotently', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const once = normalizeReply(text);
        expect(normalizeReply(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same verdict for the normalised text as for the raw text', () => {
    fc.assert(
      fc.property(
        anyText.filter((s) => s.length <= MAX_REPLY_CHARS),
        (text) => {
          const parsed = parseReply(text);
          expect(parseReply(parsed.normalized)).toEqual(parsed);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
