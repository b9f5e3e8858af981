/**
 * Citizen replies (mobile-originated deliver_sm) as a carrier sends them (pure).
 *
 * Source is the citizen's MSISDN in international form (TON 1, NPI 1), destination the short
 * code. Text is encoded here, never by the `smpp` library (its encoder loses characters), and
 * long texts carry a concatenation UDH (3GPP TS 23.040 §9.2.3.24.1 IEI 0x00, §9.2.3.24.8 IEI 0x08).
 */
import {
  DATA_CODING,
  LIMITS,
  buildConcatUdh,
  chooseEncoding,
  encodeText,
  segment,
} from '../../sms/encoding.js';
import type { SmsEncoding } from '../../sms/encoding.js';

/** A citizen reply to inject. */
export interface ReplySpec {
  /** The citizen's MSISDN, e.g. '77011234567'. */
  readonly from: string;
  /** Destination; default '1414'. */
  readonly to?: string;
  readonly text: string;
  /** Default: GSM 03.38 when every character fits, else UCS2. */
  readonly encoding?: SmsEncoding;
  /** Split into exactly this many parts of near-equal length; default as few as fit. */
  readonly parts?: number;
  /** Which parts to send, 1-based, in this order; repeats allowed. Default [1..n]. */
  readonly order?: readonly number[];
  /** Copies of each deliver_sm sent back to back (a carrier's retransmission). Default 1. */
  readonly duplicate?: number;
  /** Concatenation reference size: 8 (IEI 0x00, default) or 16 (IEI 0x08). */
  readonly refBits?: 8 | 16;
  /** Concatenation reference; default chosen by the simulator. */
  readonly ref?: number;
  /**
   * The handset's message reference (TP-MR), relayed as the `user_message_reference` TLV
   * (SMPP 3.4 §5.3.2.17): a new SMS from the phone has a new one, a retransmission the same.
   * Absent by default, as many SMSCs send none.
   */
  readonly messageReference?: number;
}

/** One deliver_sm to send: its part number (1-based) and its fields. */
export interface ReplyPdu {
  readonly part: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

const UDHI = 0x40;

/** Splits into exactly `n` parts of near-equal length, never inside a surrogate pair. */
function splitEvenly(text: string, n: number): string[] {
  const chars = Array.from(text);
  const size = Math.ceil(chars.length / n);
  return Array.from({ length: n }, (_, i) => chars.slice(i * size, (i + 1) * size).join(''));
}

/** The parts' texts: forced count, or the standard segmentation. Throws if a forced part overflows. */
export function replyParts(text: string, encoding: SmsEncoding, spec: ReplySpec): string[] {
  const ref16 = spec.refBits === 16;
  if (spec.parts === undefined) return [...segment(text, { encoding, ref16 }).parts];
  if (spec.parts === 1) return [text];
  const limit = ref16 ? LIMITS[encoding].part16 : LIMITS[encoding].part;
  const parts = splitEvenly(text, spec.parts);
  const tooLong = parts.find((p) => encodeText(p, encoding).length / (encoding === 'ucs2' ? 2 : 1) > limit);
  if (tooLong !== undefined)
    throw new RangeError(`a part of ${tooLong.length} characters exceeds ${limit} ${encoding} units`);
  return parts;
}

/** The deliver_sm PDUs for a reply, in sending order. */
export function buildReplyPdus(spec: ReplySpec, defaultRef: number): ReplyPdu[] {
  const encoding = spec.encoding ?? chooseEncoding(spec.text);
  const texts = replyParts(spec.text, encoding, spec);
  const total = texts.length;
  const refBits = spec.refBits ?? 8;
  const ref = (spec.ref ?? defaultRef) & (refBits === 16 ? 0xffff : 0xff);
  const pdus = texts.map((text, i): ReplyPdu => {
    const body = encodeText(text, encoding);
    const udh = total > 1 ? buildConcatUdh({ ref, total, seq: i + 1, refBits }) : Buffer.alloc(0);
    const fields = {
      source_addr: spec.from,
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: spec.to ?? '1414',
      dest_addr_ton: 0,
      dest_addr_npi: 1,
      esm_class: total > 1 ? UDHI : 0,
      data_coding: DATA_CODING[encoding],
      short_message: Buffer.concat([udh, body]),
      ...(spec.messageReference === undefined ? {} : { user_message_reference: spec.messageReference }),
    };
    return { part: i + 1, fields };
  });
  const order = spec.order ?? pdus.map((p) => p.part);
  const copies = Math.max(1, spec.duplicate ?? 1);
  return order.flatMap((part) => {
    const pdu = pdus[part - 1];
    if (!pdu) throw new RangeError(`order names part ${part} of a ${total}-part reply`);
    return Array.from({ length: copies }, () => pdu);
  });
}
