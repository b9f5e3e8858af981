/**
 * The parser's result types, apart from the parser so the helpers that build results
 * (reply-code.ts, reply-words.ts) import no cycle. Consumers import them from reply.ts.
 */

/** Why a reply was not read as a code; each reason lets the gateway answer with the right help. */
export type NotCodedReason =
  /** Nothing but whitespace. */
  | 'empty'
  /** Only yes-words ("Иә", "да", "согласен"): never a consent, the gateway sends the code to type. */
  | 'yes-word'
  /** Only no-words ("Жоқ", "нет"): never a refusal either, the gateway sends the code to type. */
  | 'no-word'
  /** A question or a request for help ("?", "қалай", "как", "помогите", "help"). */
  | 'question'
  /** A well-formed code with a question number other than 3. */
  | 'unknown-question'
  /** A code that stops before its answer digit (`123#3#`, `3#`). */
  | 'missing-answer'
  /** A complete code followed by a no-word (`123#3#1 нет`): in doubt, ask again. */
  | 'contradiction'
  /** Anything else, including anything that would need a guess (`123#31`) and over-long texts. */
  | 'garbage';

/** A reply in the coded form `[{serviceCode}]#{question}#{answer}[{choice}]`. */
export interface CodedReply {
  readonly kind: 'coded';
  /** The digits before the first `#`; null when left out (`#3#1`, `3#1`). */
  readonly serviceCode: string | null;
  /** Always 3 today: the only question number in the source documents. */
  readonly question: number;
  /** The single answer digit, 0-9; its meaning is the service's. */
  readonly answer: number;
  /** The number after the answer digit (bank number in 003, Appendix 2), 1-999; else null. */
  readonly choice: number | null;
  /** The reply after normalisation (see {@link normalizeReply}). */
  readonly normalized: string;
}

/** A reply that is not a code; the gateway records no answer and replies with help. */
export interface NotCodedReply {
  readonly kind: 'not-coded';
  readonly reason: NotCodedReason;
  /** The reply after normalisation (see {@link normalizeReply}). */
  readonly normalized: string;
}

/** The parser's verdict on one reply. */
export type ParsedReply = CodedReply | NotCodedReply;

/** Builds a not-coded verdict. */
export function notCoded(reason: NotCodedReason, normalized: string): NotCodedReply {
  return { kind: 'not-coded', reason, normalized };
}
