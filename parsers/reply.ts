/**
 * Reply parser: the text a citizen sends to 1414 → a typed meaning.
 *
 * A coded reply is a legal consent (003, Appendix 1-2: "Ваш ответ будет принят как согласие…"),
 * so this module never invents one: it normalises only these slips (NFKC, spaces, `*`
 * for `#`, doubled or trailing separators, trailing words) and refuses everything else with a
 * reason the gateway can answer helpfully. It reports digits only; what an answer digit means
 * belongs to the service's data (`home-schooling` `#3#0` = another bank, `school-meals` `3#2` =
 * refuse). The grammar, with examples, is in docs/replies.md.
 *
 * Pure: no I/O, no clock, never throws.
 */
import { parseCode } from './reply-code.js';
import { classifyWords } from './reply-words.js';
import { notCoded } from './reply-types.js';
import type { ParsedReply } from './reply-types.js';

export type { CodedReply, NotCodedReason, NotCodedReply, ParsedReply } from './reply-types.js';

/**
 * Replies longer than this (in UTF-16 code units) are refused as `garbage` and only their first
 * MAX_REPLY_CHARS are normalised: a guard rail so no input can make parsing slow, and a text that
 * long is no answer to a one-line question. Default 1,000.
 */
export const MAX_REPLY_CHARS = 1000;

const SPACE = 0x20;
const STAR = 0x2a;
const HASH = 0x23;

// `\s` covers Unicode White_Space and line terminators; NEL (U+0085) is the one it misses.
const WHITESPACE_RUNS = /[\s\u0085]+/g;
const STARS = /\*/g;
/**
 * A number typed inside the act's own slot marks (003/000, Appendix 2: `{порядковый номер банка}`),
 * `123#3#1{2}`, is the number: the marks go, the digits stay.
 */
const MARKED_NUMBER = /[{[<]+ *([0-9]{1,3}) *[}\]>]+/g;
const OPEN_MARKS = new Set([0x7b, 0x5b, 0x3c]);

/**
 * Normalises a reply: first {@link MAX_REPLY_CHARS} characters, Unicode NFKC (full-width digits
 * and `＃`), `*` → `#` (adjacent keys on a phone pad), every run of whitespace or line breaks →
 * one space, a number inside the slot marks `{2}` / `[2]` / `<2>` → the number, trimmed.
 * Idempotent: `normalizeReply(normalizeReply(x)) === normalizeReply(x)`.
 */
export function normalizeReply(raw: string): string {
  const head = raw.length > MAX_REPLY_CHARS ? raw.slice(0, MAX_REPLY_CHARS) : raw;
  if (isAlreadyNormal(head)) return head;
  const folded = head
    .normalize('NFKC')
    .replace(STARS, '#')
    .replace(WHITESPACE_RUNS, ' ')
    .replace(MARKED_NUMBER, '$1')
    .trim();
  // NFKC can lengthen a text (U+FDFA becomes 18 characters); cut again so the bound holds.
  return folded.length > MAX_REPLY_CHARS ? folded.slice(0, MAX_REPLY_CHARS).trim() : folded;
}

/**
 * Fast path for the common case (plain ASCII `123#3#1`): printable ASCII without `*`, single
 * inner spaces, no edge spaces. Such a text is unchanged by every normalisation step.
 */
function isAlreadyNormal(s: string): boolean {
  const last = s.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = s.charCodeAt(i);
    if (c < SPACE || c > 0x7e || c === STAR || OPEN_MARKS.has(c)) return false;
    if (c === SPACE && (i === 0 || i === last || s.charCodeAt(i + 1) === SPACE)) return false;
  }
  return true;
}

/**
 * Parses one reply. Never throws: a parser fault becomes `garbage` (the gateway asks again)
 * rather than a dropped `deliver_sm`.
 */
export function parseReply(raw: string): ParsedReply {
  // A caller outside TypeScript may hand over anything; refuse it rather than throw.
  if (typeof raw !== 'string') return notCoded('garbage', '');
  let normalized = '';
  try {
    normalized = normalizeReply(raw);
    return classify(normalized, raw.length > MAX_REPLY_CHARS);
  } catch {
    return notCoded('garbage', normalized);
  }
}

function classify(normalized: string, tooLong: boolean): ParsedReply {
  if (normalized.length === 0) return notCoded('empty', normalized);
  if (tooLong) return notCoded('garbage', normalized);
  const first = normalized.charCodeAt(0);
  // A code starts with its service code or with `#`; anything else is read as words.
  if (first === HASH || (first >= 0x30 && first <= 0x39)) return parseCode(normalized);
  return notCoded(classifyWords(normalized), normalized);
}
