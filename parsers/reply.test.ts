import { describe, expect, it } from 'vitest';
import { readCorpus } from '../test/parsers/corpus.js';
import { MAX_REPLY_CHARS, normalizeReply, parseReply } from './reply.js';
import type { NotCodedReason } from './reply.js';

const corpus = readCorpus();

// The corpus says only "not a valid reply" for these rows; the reason decides the help sent back.
const CORPUS_REASONS: Readonly<Record<string, NotCodedReason>> = {
  Иә: 'yes-word',
  да: 'yes-word',
  Келісемін: 'yes-word',
  согласен: 'yes-word',
  Жоқ: 'no-word',
  нет: 'no-word',
  '': 'empty',
  'Қалай алуға болады?': 'question',
  '123#31': 'garbage',
  '123#4#1': 'unknown-question',
  '123#3#': 'missing-answer',
};

describe('every row of the reply corpus (shared/corpus/replies.tsv)', () => {
  it('holds the 30 rows the corpus was written with', () => {
    expect(corpus).toHaveLength(30);
  });

  it.each(corpus.filter((row) => row.answer !== null))(
    'line $line: $why is read as the code it is',
    (row) => {
      expect(parseReply(row.text)).toMatchObject({
        kind: 'coded',
        serviceCode: row.serviceCode,
        question: 3,
        answer: row.answer,
        choice: row.choice,
      });
    },
  );

  it.each(corpus.filter((row) => row.answer === null))('line $line: $why is not read as a code', (row) => {
    expect(parseReply(row.text)).toEqual({
      kind: 'not-coded',
      reason: CORPUS_REASONS[row.text],
      normalized: normalizeReply(row.text),
    });
  });
});

// [reply, serviceCode, answer, choice]: accepted forms beyond the corpus (docs/replies.md).
const ACCEPTED: readonly [string, string | null, number, number | null][] = [
  ['123 #3\n#0', '123', 0, null], // the line break the Appendix 1 text itself has inside "#3#0"
  ['123#3#1 2-ші банк', '123', 1, 2],
  ['123#3#1 2 рахмет', '123', 1, 2],
  ['123 # 3 # 1 10', '123', 1, 10],
  ['123#3#1999', '123', 1, 999],
  ['123#3# 1', '123', 1, null],
  ['123＊3＊1', '123', 1, null],
  ['123\t#\t3\t#\t1', '123', 1, null],
  ['123#3#1!!!', '123', 1, null],
  ['123#3#1, рахмет!', '123', 1, null],
  ['123#3#1 да, согласен', '123', 1, null],
  ['123#3#1 # ', '123', 1, null],
  ['123#3#1👍', '123', 1, null],
  ['#3#0', null, 0, null],
  ['# 3 # 1', null, 1, null],
  ['3#1#', null, 1, null],
  ['3*2', null, 2, null],
  ['３＃２', null, 2, null],
  ['3#1 2', null, 1, 2],
  // The number typed inside the act's slot marks (003/000, Appendix 2: `{порядковый номер банка}`).
  ['123#3#1{2}', '123', 1, 2],
  ['123 #3#1{ 2 }', '123', 1, 2],
  ['123#3#1[3]', '123', 1, 3],
  ['123#3#1<2>', '123', 1, 2],
  // The slot copied unfilled: no number, so Appendix 2's stage (a number required) asks again.
  ['123#3#1{порядковый номер банка}', '123', 1, null],
];

describe('accepted replies', () => {
  it.each(ACCEPTED)('%j reads as service %s, answer %i, choice %s', (text, serviceCode, answer, choice) => {
    expect(parseReply(text)).toEqual({
      kind: 'coded',
      serviceCode,
      question: 3,
      answer,
      choice,
      normalized: normalizeReply(text),
    });
  });
});

// [reply, reason]: what is refused, and why; none of these may become a consent.
const REFUSED: readonly [string, NotCodedReason][] = [
  [' \n\t ', 'empty'],
  ['123#3#10', 'garbage'], // bank 0 does not exist: maybe "bank 10" with the answer digit forgotten
  ['123#3#101', 'garbage'], // a choice never starts with 0
  ['123#3#11000', 'garbage'], // more than three digits of choice
  ['123#3#12 3', 'garbage'], // two choices
  ['123#3#1 2 3', 'garbage'],
  ['123#3#1.5', 'garbage'],
  ['123#3#1#2', 'garbage'], // a fourth part
  ['123#3#1o', 'garbage'], // a letter glued to the code: "1o" may be "10"
  ['123#3#1 рахмет 2', 'garbage'], // a digit among the trailing words
  ['123#3#1 рахмет #', 'garbage'],
  ['123#3#1 ٢', 'garbage'], // a digit NFKC leaves alone is still a digit
  ['123 3#1', 'garbage'],
  ['12 3#3#1', 'garbage'], // spaces inside a number are not between parts
  ['123#3', 'garbage'],
  ['123', 'garbage'],
  ['1', 'garbage'],
  ['#', 'garbage'],
  ['#123#3#1', 'garbage'],
  ['Иә 123#3#1', 'garbage'], // only whitespace may come before a code
  ['(123#3#1)', 'garbage'],
  ['123#03#1', 'garbage'],
  ['1234567890123#3#1', 'garbage'], // 13-digit service code
  ['123#3#1 нет', 'contradiction'],
  ['123#3#1 не согласен', 'contradiction'],
  ['3#1 жоқ', 'contradiction'],
  ['123#3#1 NO', 'contradiction'],
  ['123#3#1 бас тартамын', 'contradiction'],
  ['4#1', 'unknown-question'],
  ['#5#1', 'unknown-question'],
  ['123#2#1 рахмет', 'unknown-question'],
  ['3#', 'missing-answer'],
  ['#3#', 'missing-answer'],
  ['123 # 3 #', 'missing-answer'],
  ['123#', 'missing-answer'],
  ['ИӘ!', 'yes-word'],
  ['Иа', 'yes-word'],
  ['ия рахмет', 'yes-word'],
  ['ok?', 'yes-word'],
  ['Да, согласна.', 'yes-word'],
  ['я согласен', 'yes-word'],
  ['келісім', 'yes-word'],
  ['iә', 'yes-word'],
  ['Kelisemin', 'yes-word'],
  ['жок', 'no-word'],
  ['НЕТ!!!', 'no-word'],
  ['Не согласен', 'no-word'],
  ['келіспеймін', 'no-word'],
  ['net spasibo', 'no-word'],
  ['да нет', 'garbage'], // both at once
  ['?', 'question'],
  ['Как отправить?', 'question'],
  ['что это', 'question'],
  ['Помогите', 'question'],
  ['HELP', 'question'],
  ['да?', 'yes-word'], // a yes-word with a question mark: the gateway answers with the code either way
  ['привет', 'garbage'],
  ['...', 'garbage'],
  ['да 1', 'garbage'],
];

describe('refused replies', () => {
  it.each(REFUSED)('%j is not a code: %s', (text, reason) => {
    expect(parseReply(text)).toEqual({ kind: 'not-coded', reason, normalized: normalizeReply(text) });
  });
});

describe('guard rails', () => {
  it('refuses a valid code followed by more than MAX_REPLY_CHARS characters', () => {
    const long = `123#3#1 ${'а'.repeat(MAX_REPLY_CHARS)}`;
    const parsed = parseReply(long);
    expect(parsed).toMatchObject({ kind: 'not-coded', reason: 'garbage' });
    expect(parsed.normalized.length).toBeLessThanOrEqual(MAX_REPLY_CHARS);
  });

  it('keeps the normalised text within MAX_REPLY_CHARS even when NFKC lengthens it', () => {
    // U+FDFA (an Arabic ligature) is 18 characters after NFKC.
    expect(normalizeReply('\uFDFA'.repeat(MAX_REPLY_CHARS)).length).toBeLessThanOrEqual(MAX_REPLY_CHARS);
  });

  it('reads a code of exactly MAX_REPLY_CHARS characters', () => {
    const padded = `123#3#1${' '.repeat(MAX_REPLY_CHARS - 7)}`;
    expect(padded).toHaveLength(MAX_REPLY_CHARS);
    expect(parseReply(padded)).toMatchObject({ kind: 'coded', answer: 1 });
  });

  it('answers garbage, not an exception, for a non-string from an untyped caller', () => {
    expect(parseReply(undefined as unknown as string)).toEqual({
      kind: 'not-coded',
      reason: 'garbage',
      normalized: '',
    });
  });
});

describe('normalisation', () => {
  it.each([
    ['  123 *3* 1\r\n', '123 #3# 1'],
    ['１２３＃３＃１', '123#3#1'],
    ['123\u00a0#\u30003#1', '123 # 3#1'],
    ['a\u2028\u2029\u0085b', 'a b'],
  ])('%j becomes %j', (raw, normalized) => {
    expect(normalizeReply(raw)).toBe(normalized);
  });
});
