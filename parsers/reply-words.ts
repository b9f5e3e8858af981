/**
 * Replies in words: yes-words, no-words and questions, in Kazakh, Russian and Latin
 * transliterations. They are recognised only so the gateway can answer helpfully ("to agree,
 * send 123#3#1"); the documents accept a code and nothing else as consent (003, Appendix 1-2;
 * 002, Appendix 1), so no word here is ever read as a consent or a refusal.
 */
import type { NotCodedReason } from './reply-types.js';

type WordRole = 'yes' | 'no' | 'filler';

// Spellings people actually type: Kazakh letters or their Russian-keyboard stand-ins
// (ә→а/э, і→и, қ→к, ұ→у), and Latin transliterations (including the 2021 Kazakh Latin script).
// prettier-ignore
const YES = [
  'иә', 'ия', 'иа', 'иэ', 'йә', 'ие', 'iә', 'ia', 'iя', 'ıá', 'iá', 'iya', 'ie',
  'келісемін', 'келисемин', 'келісім', 'келисим', 'келістім', 'келистим', 'kelisemin', 'kelisim',
  'жарайды', 'жараиды', 'дұрыс', 'дурыс', 'zharaidy', 'jaraıdy',
  'да', 'согласен', 'согласна', 'согласны', 'согласие', 'конечно', 'хорошо', 'ладно', 'ага',
  'подтверждаю', 'ок', 'окей', 'da', 'soglasen', 'soglasna', 'ok', 'okay', 'okey', 'yes',
];
// prettier-ignore
const NO = [
  'жоқ', 'жок', 'жох', 'zhok', 'zhoq', 'jok', 'joq',
  'келіспеймін', 'келиспеймин', 'келіспейм', 'kelispeimin', 'kelispeymin', 'kelispeımin',
  'бас тартамын', 'бас тарттым', 'керек емес', 'қажет емес', 'кажет емес', 'kerek emes',
  'нет', 'неа', 'не согласен', 'не согласна', 'не согласны', 'отказ', 'отказываюсь',
  'не надо', 'не нужно', 'net', 'ne soglasen', 'ne soglasna', 'otkaz', 'no',
];
// Words that may ride along ("Иә, рахмет", "я согласен") without changing the verdict.
// prettier-ignore
const FILLER = [
  'рахмет', 'рақмет', 'спасибо', 'пожалуйста', 'благодарю', 'мен', 'я',
  'rahmet', 'rakhmet', 'spasibo', 'thanks', 'thank you', 'please',
];
// prettier-ignore
const QUESTION_WORDS = new Set([
  'қалай', 'калай', 'не істеу', 'неге', 'қайда', 'кайда', 'қашан', 'кашан', 'қанша', 'канша',
  'қандай', 'кандай', 'кім', 'ким', 'көмек', 'комек', 'көмектесіңіз', 'комектесиниз',
  'түсінбедім', 'тусинбедим', 'түсініксіз', 'kalai', 'qalai', 'qalaı',
  'как', 'что', 'чего', 'почему', 'зачем', 'где', 'когда', 'сколько', 'кто', 'какой', 'какая',
  'помогите', 'помощь', 'непонятно', 'не понял', 'не поняла', 'что делать',
  'help', 'how', 'what', 'why', 'pomogite', 'kak', 'chto',
]);

const ROLES = new Map<string, WordRole>([
  ...YES.map((w) => [w, 'yes'] as const),
  ...NO.map((w) => [w, 'no'] as const),
  ...FILLER.map((w) => [w, 'filler'] as const),
]);
/** The longest entry, in words, so phrase matching knows how far to look. */
const MAX_PHRASE_WORDS = 3;

// Words are runs of letters (with their combining marks); everything else separates them.
const WORDS = /[\p{L}\p{M}]+/gu;
const STRAY = /[\p{N}#]/u;
const QUESTION_MARKS = /[?¿؟]/u;

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORDS) ?? [];
}

/**
 * Splits the words into known phrases, longest first; returns the roles found, or null when
 * a word is not in the tables.
 */
function rolesOf(words: readonly string[]): Set<WordRole> | null {
  const roles = new Set<WordRole>();
  let i = 0;
  while (i < words.length) {
    let matched = 0;
    for (let n = Math.min(MAX_PHRASE_WORDS, words.length - i); n > 0 && matched === 0; n--) {
      const role = ROLES.get(words.slice(i, i + n).join(' '));
      if (role !== undefined) {
        roles.add(role);
        matched = n;
      }
    }
    if (matched === 0) return null;
    i += matched;
  }
  return roles;
}

function asksQuestion(text: string, words: readonly string[]): boolean {
  if (QUESTION_MARKS.test(text)) return true;
  return words.some((w, i) => QUESTION_WORDS.has(w) || (i > 0 && QUESTION_WORDS.has(`${words[i - 1]} ${w}`)));
}

/**
 * Classifies a normalised reply that is not a code. Only yes-words (with fillers) give
 * `yes-word`, only no-words `no-word`; both at once ("да нет") are `garbage`.
 */
export function classifyWords(normalized: string): NotCodedReason {
  const words = wordsOf(normalized);
  if (words.length > 0 && !STRAY.test(normalized)) {
    const roles = rolesOf(words);
    if (roles !== null && !(roles.has('yes') && roles.has('no'))) {
      if (roles.has('yes')) return 'yes-word';
      if (roles.has('no')) return 'no-word';
    }
  }
  return asksQuestion(normalized, words) ? 'question' : 'garbage';
}

// Negations that undo a code typed before them; wider than NO because "не" or "емес" alone
// already turns "123#3#1 не согласен" into a doubt.
const NEGATIONS = new Set(['не', 'ne', 'емес', 'emes', 'not', 'отказываюсь']);

/**
 * True when the text holds a no-word or a negation ("нет", "жоқ", "не согласен", "no"): after a
 * complete code it makes the reply a contradiction, which the gateway must ask about again.
 */
export function hasNoWord(text: string): boolean {
  const words = wordsOf(text);
  return words.some(
    (w, i) =>
      NEGATIONS.has(w) || ROLES.get(w) === 'no' || (i > 0 && ROLES.get(`${words[i - 1]} ${w}`) === 'no'),
  );
}
