/**
 * deliver_sm → receipt or citizen reply (pure).
 *
 * SMPP 3.4 §5.2.12: esm_class bits 2–5 give the message type; 0x04 is an SMSC
 * delivery receipt. Bit 6 (0x40) says short_message starts with a UDH
 * (3GPP TS 23.040 §9.2.3.24). SMPP 3.4 §5.3.2.22–24: the SAR TLVs carry the
 * same concatenation info outside the user data.
 */
import { MESSAGE_STATE, parseReceiptText } from '../../parsers/receipt.js';
import { decodeByDataCoding, parseUdh } from '../../sms/encoding.js';
import type { RawPdu } from './smpp-lib.js';
import type { DeliveryReceipt, InboundConcat, InboundEvent, InboundReply } from './transport.js';

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
    sequence: pdu.sequence_number,
  };
}

/** SAR TLVs, when all three are present (SMPP 3.4 §5.3.2.22–24). */
function sarConcat(pdu: RawPdu): InboundConcat | undefined {
  const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = pdu;
  if (typeof ref !== 'number' || typeof total !== 'number' || typeof seq !== 'number') return undefined;
  return { method: 'sar', ref, total, seq, refBits: 16 };
}

/** Read a citizen's reply: strip and read the UDH, decode the text as the SMSC labels it. */
export function toReply(pdu: RawPdu, bindId: string): InboundReply {
  const raw = userData(pdu);
  const udh = (num(pdu.esm_class) & UDHI) !== 0 ? parseUdh(raw) : undefined;
  const body = udh ? raw.subarray(udh.length) : raw;
  const concat: InboundConcat | undefined = udh?.concat ? { method: 'udh', ...udh.concat } : sarConcat(pdu);
  return {
    kind: 'reply',
    bindId,
    from: str(pdu.source_addr),
    fromTon: num(pdu.source_addr_ton),
    fromNpi: num(pdu.source_addr_npi),
    to: str(pdu.destination_addr),
    text: decodeByDataCoding(num(pdu.data_coding), body),
    dataCoding: num(pdu.data_coding),
    ...(concat ? { concat } : {}),
    raw: Buffer.from(raw),
    sequence: pdu.sequence_number,
    ...(typeof pdu.user_message_reference === 'number'
      ? { messageReference: pdu.user_message_reference }
      : {}),
  };
}

/** Classify one deliver_sm. */
export function classifyDeliverSm(pdu: RawPdu, bindId: string): InboundEvent {
  return isReceipt(num(pdu.esm_class)) ? toReceipt(pdu, bindId) : toReply(pdu, bindId);
}
