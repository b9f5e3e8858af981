/**
 * What an agent sees of a free text (a citizen's reply, an SMS with a name in it): the names of the
 * conversation masked as whole words, numbers that may be a phone number or an IIN masked, and invisible
 * controls (bidi overrides, zero-width characters) shown as visible marks. In what a citizen typed, also
 * the names and shorter numbers the conversation does not know (an ID card's number, a landline, a date
 * of birth, "меня зовут Данияр Ахметов"): see `TypedBy`. Nothing else changes: the text is cut into
 * pieces, and only the pieces that are a masked word, a masked number or a control differ from what the
 * citizen wrote (test/unit/mask-text.property.test.ts).
 */

export interface Piece {
  /** The characters of the input this piece covers. */
  readonly original: string;
  /** What is shown for them. */
  readonly shown: string;
  /** Why it differs: a name, a number, a control; undefined when shown as written. */
  readonly masked?: 'name' | 'number' | 'control';
}

/**
 * Case endings a name may carry as one word (Kazakh: Айгүлге, Айгүлдің; Russian: Ивану, Иваном):
 * "Айгүлге" is masked as "А***ге". A word that merely starts with a name ("Анна" for "Ан") is not.
 */
const ENDINGS = new Set(
  (
    'ның нің дың дің тың тің ға ге қа ке на не ны ні ды ді ты ті да де та те нда нде ' +
    'дан ден тан тен нан нен мен бен пен ға ге ым ім ың ің ы і сы сі ға ' +
    'а я у ю е ы и ой ей ом ем ым им ою ею ах ях ам ям ами ями ов ев'
  ).split(' '),
);

/** A word: letters and their combining marks. Digits and punctuation separate words. */
const WORD = /[\p{L}\p{M}]+/gu;
/**
 * Ten or more digits, optionally after `+`, with up to two separators between digits (`+7 701 123-45-67`,
 * `8(701)1234567`, an IIN `900101300123`), whole (no digit either side), also when glued to a word.
 * Right after a `#` only digits without separators: in `123#3#1 77011234567` the reply code's `1` is
 * not the number's first digit.
 */
const LONG_NUMBER = /(?<![\d#])\+?\d(?:[ \-().]{0,2}\d){9,}(?!\d)|(?<=#)\d{10,}(?!\d)/gu;
/**
 * Five to nine digits, with the same separators (an ID card's 9, a landline's 5-7, `01.02.1990`), not
 * part of a reply code: no `#` either side (`12345#3#1` stays as typed).
 */
const SHORT_NUMBER = /(?<![\d#])\d(?:[ \-().]{0,2}\d){4,8}(?![\d#])/gu;
/** A capitalised word: an upper-case letter, then letters with at least one lower-case (not `ИИН`, `SMS`). */
const CAPITALISED = /^\p{Lu}[\p{L}\p{M}]*\p{Ll}[\p{L}\p{M}]*$/u;
/** Capitalised out of courtesy, not names: you and yours in Russian and Kazakh. */
const COURTESY = new Set(
  (
    'вы вас вам вами ваш ваша ваше ваши вашего вашей вашему вашим вашими вашу вашем вашей ' +
    'сіз сізге сізді сіздің сізден сізбен сізде сіздер сіздерге сіздерді сіздердің'
  ).split(' '),
);

/**
 * A text typed by a citizen. Beyond the conversation's names, a capitalised word is taken for a name
 * (`Д***`) where it does not open a sentence, or next to another capitalised word ("Данияр Ахметов, 3#1");
 * the words of `keep` (the banks the SMS offered) and courtesy capitals (Вы, Сіз) are not. So are, in
 * any case, up to three words right after the citizen says what they are called ("меня зовут данияр
 * ахметов", "менің атым данияр"), separated by spaces only and none of them a common word of a reply
 * (`INTRODUCED_NOT`). Any other name typed in lower case, or a single one opening a sentence, cannot
 * be told from other words and stays.
 */
export interface TypedBy {
  readonly keep: readonly string[];
}

/**
 * What a citizen says before their own name, by its last word, with the word that must come before it
 * (null: none): "меня зовут", "моё имя", "моя фамилия"; "менің атым", "есімім", "тегім".
 */
const INTRODUCTIONS: ReadonlyMap<string, ReadonlySet<string> | null> = new Map([
  ['зовут', null],
  ['имя', new Set(['моё', 'мое'])],
  ['фамилия', new Set(['моя'])],
  ['атым', null],
  ['есімім', null],
  ['тегім', null],
]);
/** Words that end what follows an introduction: no name, but what the reply goes on to say. */
const INTRODUCED_NOT = new Set(
  (
    'и а но или я мне меня мой моя моё мое мы не да нет это из с со по от для в во на у к о за ' +
    'согласен согласна согласны отказываюсь против хочу прошу спасибо пожалуйста здравствуйте ' +
    'ребенок ребёнок сын дочь мама папа ' +
    'мен менің біз және бірақ иә ия жоқ бұл келісемін келіспеймін келісем рахмет сәлеметсіз сәлем ' +
    'балам ұлым қызым анасы әкесі'
  ).split(' '),
);
/** At most this many words after an introduction are taken for a name (surname, name, patronymic). */
const INTRODUCED_WORDS = 3;

/**
 * Per word, whether it follows an introduction (`INTRODUCTIONS`) within `INTRODUCED_WORDS` words, with
 * only spaces or tabs between them, and is none of `INTRODUCED_NOT` or `keep`.
 */
function introduced(text: string, words: readonly RegExpMatchArray[], keep: ReadonlySet<string>): boolean[] {
  const out = words.map(() => false);
  let left = 0;
  words.forEach((m, i) => {
    const lower = m[0].toLowerCase();
    const before = words[i - 1];
    const spaced =
      before !== undefined && /^[ \t]+$/u.test(text.slice((before.index ?? 0) + before[0].length, m.index));
    if (
      left > 0 &&
      spaced &&
      !INTRODUCED_NOT.has(lower) &&
      !keep.has(lower) &&
      Array.from(lower).length >= 2
    ) {
      out[i] = true;
      left--;
    } else left = 0;
    const after = INTRODUCTIONS.get(lower);
    if (after === null || (after !== undefined && spaced && after.has(before?.[0].toLowerCase() ?? ''))) {
      left = INTRODUCED_WORDS;
    }
  });
  return out;
}

/** Invisible or reordering characters: controls but line breaks and tabs, format characters, separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\p{Cf}\p{Zl}\p{Zp}\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu;

/** The lower-cased words of the names, of two letters or more (an initial reveals nothing more). */
export function nameWords(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    for (const m of name.matchAll(WORD)) {
      if (Array.from(m[0]).length >= 2) out.add(m[0].toLowerCase());
    }
  }
  return out;
}

/** Whether the word at `index` opens the text or a sentence (after `.`, `!`, `?` or a line break). */
function opensSentence(text: string, index: number): boolean {
  let i = index - 1;
  while (i >= 0 && /[\s"«'(]/u.test(text[i] ?? '')) i--;
  return i < 0 || /[.!?\n]/u.test(text[i] ?? '');
}

function isTypedCapital(word: string, keep: ReadonlySet<string>): boolean {
  const lower = word.toLowerCase();
  return CAPITALISED.test(word) && !COURTESY.has(lower) && !keep.has(lower);
}

/** `А***` (+ the ending) when `word` is a name, or a name with a case ending; else undefined. */
function maskWord(word: string, names: ReadonlySet<string>): string | undefined {
  const lower = word.toLowerCase();
  const first = Array.from(word)[0] ?? '';
  if (names.has(lower)) return `${first}***`;
  for (let cut = 1; cut <= 3 && cut < lower.length; cut++) {
    const stem = lower.slice(0, lower.length - cut);
    // Only names of three letters or more take an ending: "Ли" + "а" is another word, not a case.
    if (Array.from(stem).length >= 3 && names.has(stem) && ENDINGS.has(lower.slice(-cut))) {
      return `${first}***${word.slice(word.length - cut)}`;
    }
  }
  return undefined;
}

/** Every digit but the last `keep` becomes `*`; separators stay. */
function maskNumber(value: string, keep = 4): string {
  let left = keep;
  const chars = Array.from(value);
  for (let i = chars.length - 1; i >= 0; i--) {
    if (/\d/.test(chars[i] ?? '')) {
      if (left > 0) left--;
      else chars[i] = '*';
    }
  }
  return chars.join('');
}

const controlMark = (ch: string): string =>
  `[U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;

interface Span {
  readonly start: number;
  readonly end: number;
  readonly shown: string;
  readonly masked: NonNullable<Piece['masked']>;
}

/**
 * The text as pieces. `names` are masked only when `maskPersonal`; controls are always shown as marks (an
 * override would reorder what the agent reads).
 */
export function maskPieces(
  text: string,
  names: readonly string[],
  maskPersonal: boolean,
  typed?: TypedBy,
): Piece[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(CONTROL)) {
    spans.push({ start: m.index, end: m.index + m[0].length, shown: controlMark(m[0]), masked: 'control' });
  }
  if (maskPersonal) {
    for (const m of text.matchAll(LONG_NUMBER)) {
      spans.push({ start: m.index, end: m.index + m[0].length, shown: maskNumber(m[0]), masked: 'number' });
    }
    const words = nameWords(names);
    if (words.size > 0 || typed) {
      const all = [...text.matchAll(WORD)];
      const keep = typed ? nameWords(typed.keep) : new Set<string>();
      const capital = all.map((m) => typed !== undefined && isTypedCapital(m[0], keep));
      const opens = all.map((m) => typed !== undefined && opensSentence(text, m.index));
      const named = typed ? introduced(text, all, keep) : [];
      all.forEach((m, i) => {
        // Next to another capitalised word of the same sentence: a first name and a surname.
        const paired =
          (capital[i - 1] === true && !opens[i]) || (capital[i + 1] === true && opens[i + 1] === false);
        const typedName = (capital[i] === true && (opens[i] === false || paired)) || named[i] === true;
        const shown = maskWord(m[0], words) ?? (typedName ? `${Array.from(m[0])[0] ?? ''}***` : undefined);
        if (shown !== undefined) {
          spans.push({ start: m.index, end: m.index + m[0].length, shown, masked: 'name' });
        }
      });
    }
    if (typed) {
      for (const m of text.matchAll(SHORT_NUMBER)) {
        spans.push({
          start: m.index,
          end: m.index + m[0].length,
          shown: maskNumber(m[0], 2),
          masked: 'number',
        });
      }
    }
  }
  // Words, numbers and controls never overlap (a number has no letter, a control is neither); keep the
  // first of any that would, so every character is in one piece.
  spans.sort((a, b) => a.start - b.start);
  const pieces: Piece[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    if (s.start > at) pieces.push({ original: text.slice(at, s.start), shown: text.slice(at, s.start) });
    pieces.push({ original: text.slice(s.start, s.end), shown: s.shown, masked: s.masked });
    at = s.end;
  }
  if (at < text.length) pieces.push({ original: text.slice(at), shown: text.slice(at) });
  return pieces;
}

/** The text as an agent sees it (see maskPieces). */
export function maskText(
  text: string,
  names: readonly string[],
  maskPersonal = true,
  typed?: TypedBy,
): string {
  return maskPieces(text, names, maskPersonal, typed)
    .map((p) => p.shown)
    .join('');
}
