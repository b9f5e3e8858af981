/**
 * Delivery receipt text → typed receipt (pure).
 *
 * The text format is SMPP 3.4 Appendix B ("not mandatory", but what every
 * SMSC we know sends): `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm
 * done date:YYMMDDhhmm stat:DDDDDDD err:E text: . . .`. Carriers vary: ids in
 * hex or decimal, upper or lower case keys, seconds in dates, missing fields.
 */

/** Final and intermediate states, named as in the receipt text (SMPP 3.4 Appendix B). */
export type ReceiptStat =
  'ENROUTE' | 'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD';

/** message_state TLV values (SMPP 3.4 §5.3.2.35) → the same names. */
export const MESSAGE_STATE: ReadonlyMap<number, ReceiptStat> = new Map([
  [1, 'ENROUTE'],
  [2, 'DELIVRD'],
  [3, 'EXPIRED'],
  [4, 'DELETED'],
  [5, 'UNDELIV'],
  [6, 'ACCEPTD'],
  [7, 'UNKNOWN'],
  [8, 'REJECTD'],
]);

/** Spellings seen in the field for each state (some SMSCs write the long names). */
const STAT_ALIASES: ReadonlyMap<string, ReceiptStat> = new Map([
  ['ENROUTE', 'ENROUTE'],
  ['DELIVRD', 'DELIVRD'],
  ['DELIVERED', 'DELIVRD'],
  ['EXPIRED', 'EXPIRED'],
  ['DELETED', 'DELETED'],
  ['UNDELIV', 'UNDELIV'],
  ['UNDELIVERABLE', 'UNDELIV'],
  ['ACCEPTD', 'ACCEPTD'],
  ['ACCEPTED', 'ACCEPTD'],
  ['UNKNOWN', 'UNKNOWN'],
  ['REJECTD', 'REJECTD'],
  ['REJECTED', 'REJECTD'],
]);

/** True for states after which no further receipt comes (SMPP 3.4 §5.3.2.35). */
export function isFinalStat(stat: ReceiptStat): boolean {
  return stat !== 'ENROUTE' && stat !== 'ACCEPTD';
}

export interface ReceiptText {
  readonly id: string;
  readonly stat?: ReceiptStat;
  /** The `err:` value as written (network-specific, often 3 digits). */
  readonly err?: string;
  readonly sub?: string;
  readonly dlvrd?: string;
  /** `YYMMDDhhmm[ss]` as written; the SMSC's local time, so it is not turned into a Date here. */
  readonly submitDate?: string;
  readonly doneDate?: string;
  readonly text?: string;
}

// Keys may be followed by `:` with optional spaces; `text:` takes the rest of the line.
const FIELD = /(id|sub|dlvrd|submit date|done date|stat|err):\s*(\S*)/gi;
const TEXT = /\btext:\s?(.*)$/is;

const KEYS: Readonly<Record<string, keyof Omit<ReceiptText, 'text' | 'stat'>>> = {
  id: 'id',
  sub: 'sub',
  dlvrd: 'dlvrd',
  'submit date': 'submitDate',
  'done date': 'doneDate',
  err: 'err',
};

/** Parse receipt text; undefined when it carries no `id:` (then it is not a receipt we can match). */
export function parseReceiptText(body: string): ReceiptText | undefined {
  const textMatch = TEXT.exec(body);
  const head = textMatch ? body.slice(0, textMatch.index) : body;
  const fields: Record<string, string> = {};
  for (const [, rawKey, value] of head.matchAll(FIELD)) {
    if (rawKey === undefined || value === undefined) continue;
    const key = rawKey.toLowerCase();
    if (key === 'stat') fields.stat = value.toUpperCase();
    else if (KEYS[key] && fields[KEYS[key]] === undefined) fields[KEYS[key]] = value;
  }
  if (!fields.id) return undefined;
  const stat = fields.stat === undefined ? undefined : STAT_ALIASES.get(fields.stat);
  const { stat: _ignored, ...rest } = fields;
  return {
    ...(rest as Omit<ReceiptText, 'stat' | 'text'> & { id: string }),
    ...(stat ? { stat } : {}),
    ...(textMatch?.[1] !== undefined ? { text: textMatch[1] } : {}),
  };
}

/**
 * The forms under which a message id may be stored or reported: as given
 * (lower-cased), and its other radix. Some SMSCs answer submit_sm_resp with a
 * hex id and write the receipt's `id:` in decimal, or the reverse.
 */
export function messageIdKeys(id: string): readonly string[] {
  const trimmed = id.trim().toLowerCase();
  const keys = new Set<string>([trimmed]);
  if (/^[0-9]+$/.test(trimmed)) keys.add(BigInt(trimmed).toString(16));
  if (/^[0-9a-f]+$/.test(trimmed) && trimmed.length <= 32) keys.add(BigInt(`0x${trimmed}`).toString(10));
  return [...keys];
}
