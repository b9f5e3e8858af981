/**
 * The coded form: `[{serviceCode}] # {question} # {answer}[{choice}]`, read from a normalised
 * reply (see normalizeReply: `*` is already `#`, whitespace is single spaces, no edge spaces).
 *
 * Sources: 003/000, Appendix 1-2 (`{код услуги} #3#1`, `#3#0`, `#3#1{порядковый номер банка}`);
 * 002, Appendix 1 (`3#1`, `3#2`). A hand-written scanner over char codes, not a regex: it is
 * linear by construction (no backtracking) and allocates only the result.
 */
import { notCoded } from './reply-types.js';
import type { NotCodedReason, ParsedReply } from './reply-types.js';
import { hasNoWord } from './reply-words.js';

/** The only question number in the source documents ("#3#…" in 003/000 and 002). */
const CONSENT_QUESTION = 3;
/** Generous bound on a service code's length; a longer run of digits is no code. */
const MAX_SERVICE_CODE_DIGITS = 12;
/** Bank lists fit in one SMS, so a choice has at most three digits (003, Appendix 2). */
const MAX_CHOICE_DIGITS = 3;

const SPACE = 0x20;
const HASH = 0x23;
const ZERO = 0x30;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}
function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === SPACE) i++;
  return i;
}
function digitsEnd(s: string, i: number): number {
  while (isDigit(s.charCodeAt(i))) i++;
  return i;
}
/** Skips one separator: `#` signs with spaces anywhere among them (`#`, `##`, ` # # `). */
function skipSeparator(s: string, i: number): number {
  let next = skipSpaces(s, i);
  while (s.charCodeAt(next) === HASH) {
    i = skipSpaces(s, next + 1);
    next = i;
  }
  return i;
}

/**
 * Scratch for the scanner, reused across calls so a parse allocates nothing but its result.
 * Safe because parsing is synchronous. Layout: start/end of up to three digit runs, then flags.
 */
const scan = new Int32Array(9);
const COUNT = 6;
const LEADING_HASH = 7;
const TRAILING_HASH = 8;

/** Reads up to three digit runs joined by separators; returns the index after what it read. */
function readParts(s: string): number {
  const leadingHash = s.charCodeAt(0) === HASH;
  let i = leadingHash ? skipSeparator(s, 0) : 0;
  let count = 0;
  let trailingHash = leadingHash;
  while (count < 3 && isDigit(s.charCodeAt(i))) {
    const end = digitsEnd(s, i);
    scan[2 * count] = i;
    scan[2 * count + 1] = end;
    count++;
    trailingHash = false;
    i = end;
    // The third run is the answer; what follows it is the choice or the trailer, read later.
    if (count === 3 || s.charCodeAt(skipSpaces(s, end)) !== HASH) break;
    i = skipSeparator(s, end);
    trailingHash = true;
  }
  scan[COUNT] = count;
  scan[LEADING_HASH] = leadingHash ? 1 : 0;
  scan[TRAILING_HASH] = trailingHash ? 1 : 0;
  return i;
}

/** Which digit run is which; service -1 when the code was left out. */
interface Form {
  readonly service: number;
  readonly question: number;
  readonly answer: number;
}
const SERVICE_QUESTION_ANSWER: Form = { service: 0, question: 1, answer: 2 };
const QUESTION_ANSWER: Form = { service: -1, question: 0, answer: 1 };

/**
 * Tells the forms apart by the runs read. Two runs without a leading `#` are `3#1` only when
 * the first is one digit: `123#31` is a missing separator, and is not guessed into `123#3#1`.
 */
function resolveForm(s: string, end: number): Form | NotCodedReason {
  const count = scan[COUNT]!;
  const stopsAtSeparator = scan[TRAILING_HASH] === 1 && end === s.length;
  if (scan[LEADING_HASH] === 1) {
    if (count === 2) return QUESTION_ANSWER;
    return count === 1 && stopsAtSeparator ? 'missing-answer' : 'garbage';
  }
  if (count === 3) return SERVICE_QUESTION_ANSWER;
  if (count === 2 && scan[1]! - scan[0]! === 1) return QUESTION_ANSWER;
  return stopsAtSeparator ? 'missing-answer' : 'garbage';
}

/** Parses a normalised reply that starts with a digit or `#`. */
export function parseCode(s: string): ParsedReply {
  const end = readParts(s);
  const form = resolveForm(s, end);
  if (typeof form === 'string') return notCoded(form, s);
  const q = 2 * form.question;
  const a = 2 * form.answer;
  const serviceDigits = form.service < 0 ? 0 : scan[1]! - scan[0]!;
  if (scan[q + 1]! - scan[q]! !== 1 || serviceDigits > MAX_SERVICE_CODE_DIGITS) {
    return notCoded('garbage', s);
  }
  const answerStart = scan[a]!;
  let choiceStart = answerStart + 1;
  let choiceEnd = scan[a + 1]!;
  // `123#3#1 2`: a choice typed after a space (corpus), only when none was typed inline.
  const afterSpace = skipSpaces(s, choiceEnd);
  if (choiceStart === choiceEnd && afterSpace > choiceEnd && isDigit(s.charCodeAt(afterSpace))) {
    choiceStart = afterSpace;
    choiceEnd = digitsEnd(s, afterSpace);
  }
  const trailer = checkTrailer(s, choiceEnd);
  if (trailer === 'garbage' || !isValidChoice(s, choiceStart, choiceEnd)) {
    return notCoded('garbage', s);
  }
  const question = s.charCodeAt(scan[q]!) - ZERO;
  if (question !== CONSENT_QUESTION) return notCoded('unknown-question', s);
  if (trailer === 'contradiction') return notCoded('contradiction', s);
  return {
    kind: 'coded',
    serviceCode: form.service < 0 ? null : s.slice(scan[0], scan[1]),
    question,
    answer: s.charCodeAt(answerStart) - ZERO,
    choice: choiceStart === choiceEnd ? null : Number(s.slice(choiceStart, choiceEnd)),
    normalized: s,
  };
}

/** No choice, or 1-999 without a leading zero: `123#3#10` may be bank 10 with the 1 forgotten. */
function isValidChoice(s: string, start: number, end: number): boolean {
  if (start === end) return true;
  return end - start <= MAX_CHOICE_DIGITS && s.charCodeAt(start) !== ZERO;
}

// A letter, mark or number glued to the last digit (`123#3#1o`): a typo we must not read past.
const GLUED = /[\p{L}\p{M}\p{N}]/uy;
// Any number or `#` in the trailing words: a second code or a stray digit, so in doubt.
const STRAY = /[\p{N}#]/gu;

/**
 * What may follow a complete code: separators (`123#3#1#`), punctuation, and words without
 * digits or `#`. A no-word among them (`123#3#1 нет`) contradicts the code.
 */
function checkTrailer(s: string, i: number): 'ok' | 'contradiction' | 'garbage' {
  if (i === s.length) return 'ok';
  GLUED.lastIndex = i;
  if (GLUED.test(s)) return 'garbage';
  let rest = i;
  while (s.charCodeAt(rest) === SPACE || s.charCodeAt(rest) === HASH) rest++;
  if (rest === s.length) return 'ok';
  STRAY.lastIndex = rest;
  if (STRAY.test(s)) return 'garbage';
  return hasNoWord(s.slice(rest)) ? 'contradiction' : 'ok';
}
