/**
 * Delivery receipts as carriers send them (pure: dates are arguments).
 *
 * Format: SMPP 3.4 Appendix B, "id:… sub:… dlvrd:… submit date:YYMMDDhhmm done date:YYMMDDhhmm
 * stat:… err:… text:…", in the SMSC's local time (set TZ, as carriers run on theirs).
 * The receipt also carries the TLVs receipted_message_id (0x001E) and message_state (0x0427),
 * SMPP 3.4 §5.3.2.12 and §5.3.2.35.
 */
import type { ShortMessagePdu } from './inspect.js';

/** Final states and their message_state values (SMPP 3.4 §5.2.28). */
export const FINAL_STATES = {
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
} as const;

export type FinalState = keyof typeof FINAL_STATES;

/** Type guard for a state name coming from outside (HTTP, CLI). */
export function isFinalState(value: unknown): value is FinalState {
  return typeof value === 'string' && Object.hasOwn(FINAL_STATES, value);
}

/**
 * Whether registered_delivery asks for a receipt in this state (SMPP 3.4 §5.2.17, bits 1-0):
 * 1 = on success or failure, 2 = on failure only; 3 is reserved in 3.4 and means
 * "on success only" in SMPP 5.0 §4.7.21, which is what carriers do with it.
 */
export function receiptWanted(registeredDelivery: number, state: FinalState): boolean {
  const rule = registeredDelivery & 0x03;
  const success = state === 'DELIVRD';
  return rule === 1 || (rule === 2 && !success) || (rule === 3 && success);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** YYMMDDhhmm in local time. */
export function receiptDate(date: Date): string {
  const year = pad2(date.getFullYear() % 100);
  return `${year}${pad2(date.getMonth() + 1)}${pad2(date.getDate())}${pad2(date.getHours())}${pad2(date.getMinutes())}`;
}

/**
 * Keeps only characters that ASCII and GSM 03.38 encode alike (letters, digits, most
 * punctuation), so the receipt reads the same whatever the ESME assumes for data_coding 0;
 * anything else becomes '?'. `@`, `$` and `_` differ between the two tables (3GPP TS 23.038 §6.2.1).
 */
export function receiptSafe(text: string): string {
  return Array.from(text, (ch) => (/^[A-Za-z0-9 !"#%&'()*+,\-./:;<=>?]$/.test(ch) ? ch : '?')).join('');
}

/** What a receipt says. */
export interface ReceiptFacts {
  readonly messageId: string;
  readonly state: FinalState;
  /** Three digits, e.g. '000'. */
  readonly err: string;
  readonly submitted: Date;
  readonly done: Date;
  /** The submitted part's text; the first 20 characters go in `text:`. */
  readonly text: string;
}

/** The receipt's short_message text. */
export function receiptText(facts: ReceiptFacts): string {
  const dlvrd = facts.state === 'DELIVRD' ? '001' : '000';
  const text = receiptSafe(Array.from(facts.text).slice(0, 20).join(''));
  return (
    `id:${facts.messageId} sub:001 dlvrd:${dlvrd} submit date:${receiptDate(facts.submitted)} ` +
    `done date:${receiptDate(facts.done)} stat:${facts.state} err:${facts.err} text:${text}`
  );
}

/** deliver_sm fields of a receipt for `submit`: addresses swapped, esm_class 0x04 (SMPP 3.4 §5.2.12). */
export function receiptFields(submit: ShortMessagePdu, facts: ReceiptFacts): Record<string, unknown> {
  return {
    source_addr: submit.destination,
    source_addr_ton: submit.destTon,
    source_addr_npi: submit.destNpi,
    destination_addr: submit.source,
    dest_addr_ton: submit.sourceTon,
    dest_addr_npi: submit.sourceNpi,
    esm_class: 0x04,
    data_coding: 0x00,
    short_message: Buffer.from(receiptText(facts), 'ascii'),
    receipted_message_id: facts.messageId,
    message_state: FINAL_STATES[facts.state],
  };
}
