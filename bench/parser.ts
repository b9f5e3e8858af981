/**
 * Reply parser benchmark and fuzz run: `npx tsx bench/parser.ts [fuzzInputs] [seed]`.
 *
 * Prints replies parsed per second (the corpus mix, a plain code, a Unicode code, words), then
 * checks the parser's invariants on at least a million random inputs against an independent
 * oracle (a regex written from docs/replies.md). Last line: `name=value …`; exit code 1 on any
 * failure. Figures are printed, never asserted (STYLE.md, Tests).
 */
import { performance } from 'node:perf_hooks';
import { MAX_REPLY_CHARS, normalizeReply, parseReply } from '../parsers/reply.js';
import type { ParsedReply } from '../parsers/reply.js';
import { hasNoWord } from '../parsers/reply-words.js';
import { readCorpus } from '../test/parsers/corpus.js';

const FUZZ_INPUTS = Number(process.argv[2] ?? 1_000_000);
const SEED = Number(process.argv[3] ?? 1414);

/** Parses `inputs` round-robin for about `ms` milliseconds; returns replies per second. */
function throughput(inputs: readonly string[], ms = 1000): number {
  let parsed = 0;
  let sink = 0; // keeps the results alive so the loop cannot be optimised away
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let k = 0; k < 10_000; k++) {
      sink += parseReply(inputs[parsed++ % inputs.length]!).normalized.length;
    }
    elapsed = performance.now() - start;
  }
  if (sink < 0) console.log(sink);
  return Math.round((parsed / elapsed) * 1000);
}

/** mulberry32: a small seeded PRNG, so a failing fuzz run can be repeated with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// prettier-ignore
const PIECES = [
  '123', '3', '1', '2', '0', '9', '12', '110', '1414', '#', '#', '#', '*', '＃', '＊', '３', '１', '٢', '¹', '①',
  ' ', ' ', '  ', '\n', '\t', '\u3000', '\u00a0', '.', ',', '!', '?', '-', 'рахмет', 'да', 'нет', 'Иә', 'жоқ',
  'не', 'не согласен', 'ok', 'o', 'a', '\u0301', '\uD800', '\uFDFA', '👍',
];

function makeInput(rand: () => number, corpus: readonly string[]): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (r < 0.6) {
    let s = '';
    for (let n = 1 + Math.floor(rand() * 8); n > 0; n--) s += pick(PIECES);
    return s;
  }
  if (r < 0.8) {
    let s = pick(corpus);
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
      const at = Math.floor(rand() * (s.length + 1));
      s = s.slice(0, at) + (rand() < 0.5 ? pick(PIECES) : '') + s.slice(at + (rand() < 0.5 ? 1 : 0));
    }
    return s;
  }
  let s = '';
  const length = rand() < 0.01 ? MAX_REPLY_CHARS + Math.floor(rand() * 50) : Math.floor(rand() * 24);
  for (let n = 0; n < length; n++) s += String.fromCharCode(Math.floor(rand() * 0x10000));
  return s;
}

// The oracle: the grammar of docs/replies.md as one regex over the normalised text, with the
// question number left open so `unknown-question` is checked too. Never used by the parser.
const ORACLE =
  /^(?:(\d{1,12})(?: ?#)+ ?|#(?: ?#)* ?)?([0-9])(?: ?#)+ ?([0-9])(?:([1-9]\d{0,2})| ([1-9]\d{0,2}))?(?![\p{L}\p{M}\p{N}])[ #]*([^\p{N}#]*)$/u;

/** What the oracle says the verdict must be, or null when it sees no code. */
function expected(normalized: string): Partial<ParsedReply> | null {
  const m = ORACLE.exec(normalized);
  if (m === null) return null;
  if (m[2] !== '3') return { kind: 'not-coded', reason: 'unknown-question' };
  if (hasNoWord(m[6] ?? '')) return { kind: 'not-coded', reason: 'contradiction' };
  const choice = m[4] ?? m[5]?.trim();
  return {
    kind: 'coded',
    serviceCode: m[1] ?? null,
    question: 3,
    answer: Number(m[3]),
    choice: choice === undefined ? null : Number(choice),
  };
}

/** Returns what is wrong with the verdict on `raw`, or null. */
function violation(raw: string): string | null {
  let parsed: ParsedReply;
  try {
    parsed = parseReply(raw);
  } catch (error) {
    return `threw ${String(error)}`;
  }
  const { normalized } = parsed;
  if (normalized.length > MAX_REPLY_CHARS) return 'normalised text over the limit';
  if (normalizeReply(normalized) !== normalized) return 'normalisation not idempotent';
  if (parsed.kind === 'coded' && !/[0-9]/.test(raw.normalize('NFKC'))) return 'coded without a digit';
  if (raw.length > MAX_REPLY_CHARS) {
    return parsed.kind === 'coded' ? 'coded an over-long reply' : null;
  }
  if (JSON.stringify(parseReply(normalized)) !== JSON.stringify(parsed)) return 'verdict changes on re-parse';
  const want = expected(normalized);
  if (want === null) {
    if (parsed.kind === 'coded') return 'coded what the oracle sees as no code';
    const needsCode = parsed.reason === 'unknown-question' || parsed.reason === 'contradiction';
    return needsCode ? `${parsed.reason} where the oracle sees no code` : null;
  }
  const got = JSON.stringify({ ...parsed, normalized: undefined });
  return got === JSON.stringify({ ...parsed, ...want, normalized: undefined }) ? null : 'differs from oracle';
}

function fuzz(corpus: readonly string[]): { inputs: number; failures: number; coded: number } {
  const rand = prng(SEED);
  let failures = 0;
  let coded = 0;
  for (let i = 0; i < FUZZ_INPUTS; i++) {
    const raw = makeInput(rand, corpus);
    const problem = violation(raw);
    if (problem !== null && ++failures <= 10) console.log(`FAIL ${problem}: ${JSON.stringify(raw)}`);
    if (problem === null && parseReply(raw).kind === 'coded') coded++;
  }
  return { inputs: FUZZ_INPUTS, failures, coded };
}

const corpus = readCorpus().map((row) => row.text);
const figures = {
  parser_per_s: throughput(corpus),
  parser_plain_code_per_s: throughput(['123#3#1']),
  parser_unicode_code_per_s: throughput(['１２３＃３＃１', ' 123 * 3 * 1\n']),
  parser_words_per_s: throughput(['Иә', 'Қалай алуға болады?', 'не согласен']),
};
console.log(`corpus mix (${corpus.length} rows): ${figures.parser_per_s.toLocaleString('en')} replies/s`);
console.log(`plain "123#3#1": ${figures.parser_plain_code_per_s.toLocaleString('en')} replies/s`);
const started = performance.now();
const result = fuzz(corpus);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`fuzz: ${result.inputs} inputs (seed ${SEED}, ${result.coded} coded) in ${seconds} s`);
const line = {
  ...figures,
  fuzz_inputs: result.inputs,
  fuzz_failures: result.failures,
  fuzz_coded: result.coded,
  fuzz_seed: SEED,
};
console.log(
  Object.entries(line)
    .map(([name, value]) => `${name}=${value}`)
    .join(' '),
);
process.exitCode = result.failures === 0 ? 0 : 1;
