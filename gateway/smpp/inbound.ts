/**
 * deliver_sm → receipt or citizen reply (pure).
 *
 * SMPP 3.4 §5.2.12: esm_class bits 2–5 give the message type; 0x04 is an SMSC
 * delivery receipt. Bit 6 (0x40) says short_message starts with a UDH
 * (3GPP TS 23.040 §9.2.3.24). SMPP 3.4 §5.3.2.22–24: the SAR TLVs carry the
 * same concatenation info outside the user data.
 */
import { MESSAGE_STATE, parseReceiptText } from '../../parsers/receipt.js';
import {
  decodeByDataCoding,
  decodeText,
  numberedPart,
  parseUdh,
  textEncodingOf,
} from '../../sms/encoding.js';
import type { DeliveryReceipt, InboundEvent, InboundReply, ReplyPart } from '../core/ports.js';
import type { RawPdu } from './smpp-lib.js';

const RECEIPT_MASK = 0x3c;
const RECEIPT_TYPE = 0x04;
const UDHI = 0x40;

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const bytes = (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : Buffer.alloc(0));

/** short_message, or message_payload when short_message is empty (SMPP 3.4 §5.3.2.32). */
function userData(pdu: RawPdu): Buffer {
  const short = bytes(pdu.short_message);
  return short.length > 0 ? short : bytes(pdu.message_payload);
}

/** True when esm_class marks an SMSC delivery receipt. */
export function isReceipt(esmClass: number): boolean {
  return (esmClass & RECEIPT_MASK) === RECEIPT_TYPE;
}

/** Read a receipt: TLVs first (exact), the Appendix B text as the fallback. */
export function toReceipt(pdu: RawPdu, bindId: string): DeliveryReceipt {
  const text = decodeByDataCoding(num(pdu.data_coding), userData(pdu));
  const parsed = parseReceiptText(text);
  const tlvId = str(pdu.receipted_message_id);
  const tlvStat = typeof pdu.message_state === 'number' ? MESSAGE_STATE.get(pdu.message_state) : undefined;
  const stat = tlvStat ?? parsed?.stat;
  return {
    kind: 'receipt',
    bindId,
    messageId: tlvId || parsed?.id || '',
    ...(stat ? { stat } : {}),
    ...(parsed?.err !== undefined ? { err: parsed.err } : {}),
    source: tlvId ? 'tlv' : 'text',
    from: str(pdu.source_addr),
    text,
  };
}

/**
 * SAR TLVs, when all three are present (SMPP 3.4 §5.3.2.22–24) and number a part (1 to the total,
 * as a UDH's must be): otherwise the SMS is read whole, never answered "try later" for ever.
 */
function sarPart(pdu: RawPdu): ReplyPart | undefined {
  const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = pdu;
  if (typeof ref !== 'number' || typeof total !== 'number' || typeof seq !== 'number') return undefined;
  if (!numberedPart({ ref, total, seq, refBits: 16 })) return undefined;
  return { scheme: 'sar', reference: ref, part: seq, total };
}

/**
 * The 10 digits of a Kazakh mobile number after its country code 7 (`7011234567`): the mobile
 * codes 70x, 747, 75x, 76x and 77x. A landline's (71x, 72x) or anything else of 10 digits is no
 * citizen's phone, so it is not given a country code it may not have.
 */
const NATIONAL = /^7(?:0\d|47|[567]\d)\d{7}$/;

/**
 * The sender, with the country code an SMSC left out: a Kazakh mobile number given in national form
 * (TON 2 national, or 0 unknown, SMPP 3.4 §5.2.5) gets its 7, so that its reply finds the
 * conversation sent to `77011234567`. Anything else goes up as the SMSC gave it: core tells a phone
 * number from a name or a short code.
 */
function sender(pdu: RawPdu): string {
  const from = str(pdu.source_addr);
  const ton = num(pdu.source_addr_ton);
  return (ton === 2 || ton === 0) && NATIONAL.test(from) ? `7${from}` : from;
}

/**
 * Read a citizen's reply: strip and read the UDH; decode the text as the SMSC labels it, once —
 * a part's text is decoded by core once the parts are joined.
 */
export function toReply(pdu: RawPdu, bindId: string): InboundReply {
  const raw = userData(pdu);
  const udh = (num(pdu.esm_class) & UDHI) !== 0 ? parseUdh(raw) : undefined;
  const payload = Buffer.from(udh ? raw.subarray(udh.length) : raw);
  const concat: ReplyPart | undefined = udh?.concat
    ? {
        scheme: udh.concat.refBits === 16 ? 'udh16' : 'udh8',
        reference: udh.concat.ref,
        part: udh.concat.seq,
        total: udh.concat.total,
      }
    : sarPart(pdu);
  const encoding = textEncodingOf(num(pdu.data_coding));
  const common = {
    kind: 'reply',
    bindId,
    from: sender(pdu),
    to: str(pdu.destination_addr),
    payload,
    encoding,
    ...(typeof pdu.user_message_reference === 'number'
      ? { messageReference: pdu.user_message_reference }
      : {}),
  } as const;
  return concat ? { ...common, concat } : { ...common, text: decodeText(encoding, payload) };
}

/** Classify one deliver_sm. */
export function classifyDeliverSm(pdu: RawPdu, bindId: string): InboundEvent {
  return isReceipt(num(pdu.esm_class)) ? toReceipt(pdu, bindId) : toReply(pdu, bindId);
}
