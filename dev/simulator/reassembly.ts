/**
 * Joins accepted concatenated parts into whole messages (pure: no clock, no I/O).
 *
 * Parts are keyed by source, destination, method, reference and total, as an SMSC does
 * (3GPP TS 23.040 §9.2.3.24.1). The text is decoded from the joined octets, not part by
 * part, so a UTF-16 surrogate pair split across two parts still decodes.
 */
import { decodeByDataCoding } from '../../sms/encoding.js';
import type { ConcatRef, ShortMessagePdu } from './inspect.js';

/** A part the simulator accepted, with the message id it answered. */
export interface AcceptedPart {
  readonly pdu: ShortMessagePdu;
  readonly messageId: string;
}

/** A whole message: one single-part submit, or every part of a concatenated one. */
export interface WholeMessage {
  readonly source: string;
  readonly destination: string;
  /** The whole text, decoded from the joined parts. */
  readonly text: string;
  readonly dataCoding: number;
  /** The parts in sequence order (one for a single-part message). */
  readonly parts: readonly AcceptedPart[];
  /** The message id of each part, in sequence order. */
  readonly messageIds: readonly string[];
  /** How it was concatenated; undefined for a single-part message. */
  readonly concat: ConcatRef | undefined;
  /** Parts received again after being accepted (ignored for the text). */
  readonly duplicates: number;
  /** When its last part arrived (epoch ms): the phone page orders SMS and replies by it. */
  readonly at: number;
}

interface Pending {
  readonly parts: Map<number, AcceptedPart>;
  duplicates: number;
}

function keyOf(pdu: ShortMessagePdu, concat: ConcatRef): string {
  return [pdu.source, pdu.destination, concat.method, concat.ref, concat.total].join('|');
}

function whole(
  parts: readonly AcceptedPart[],
  concat: ConcatRef | undefined,
  duplicates: number,
): WholeMessage {
  const first = parts[0]!.pdu;
  const octets = Buffer.concat(parts.map((p) => p.pdu.body));
  return {
    source: first.source,
    destination: first.destination,
    text: decodeByDataCoding(first.dataCoding, octets),
    dataCoding: first.dataCoding,
    parts,
    messageIds: parts.map((p) => p.messageId),
    concat,
    duplicates,
    at: Date.now(),
  };
}

/** Collects parts; `add` returns the whole message once its last missing part arrives. */
export class Reassembler {
  private readonly pending = new Map<string, Pending>();

  /** Adds an accepted part. A part with no concatenation info is a whole message by itself. */
  add(part: AcceptedPart): WholeMessage | undefined {
    const concat = part.pdu.concat;
    if (!concat || concat.total <= 1) return whole([part], concat, 0);
    const key = keyOf(part.pdu, concat);
    const entry = this.pending.get(key) ?? { parts: new Map<number, AcceptedPart>(), duplicates: 0 };
    this.pending.set(key, entry);
    if (entry.parts.has(concat.seq)) {
      entry.duplicates++;
      return undefined;
    }
    entry.parts.set(concat.seq, part);
    if (entry.parts.size < concat.total) return undefined;
    this.pending.delete(key);
    const ordered = [...entry.parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
    return whole(ordered, concat, entry.duplicates);
  }

  /** How many concatenated messages still miss parts. */
  get incomplete(): number {
    return this.pending.size;
  }
}
