/**
 * Reads a received submit_sm / deliver_sm from its raw bytes, for inspection by tests.
 *
 * The `smpp` library decodes short_message per PDU with a lossy decoder (a surrogate pair split
 * across two parts breaks, unknown GSM septets become spaces), so the mandatory fields are read
 * with its codecs but without its filters, and text is decoded here with `sms/encoding.ts`.
 */
import smpp from 'smpp';
import { decodeByDataCoding, parseUdh } from '../../sms/encoding.js';
import type { ParsedUdh } from '../../sms/encoding.js';

/** One TLV as it was on the wire (SMPP 3.4 §3.2.4). */
export interface Tlv {
  readonly tag: number;
  /** The name in the library's TLV table, if it knows the tag. */
  readonly name: string | undefined;
  readonly value: Buffer;
}

/** Concatenation info from a UDH (3GPP TS 23.040 §9.2.3.24.1/.8) or from sar_* TLVs (SMPP 3.4 §5.3.2.22-24). */
export interface ConcatRef {
  readonly method: 'udh' | 'sar';
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  /** 8 for UDH IEI 0x00; 16 for UDH IEI 0x08 and for sar_msg_ref_num. */
  readonly refBits: 8 | 16;
}

/** A short-message PDU (submit_sm or deliver_sm) with raw bytes and decoded text. */
export interface ShortMessagePdu {
  readonly command: string;
  readonly sequence: number;
  readonly serviceType: string;
  readonly source: string;
  readonly sourceTon: number;
  readonly sourceNpi: number;
  readonly destination: string;
  readonly destTon: number;
  readonly destNpi: number;
  readonly esmClass: number;
  readonly protocolId: number;
  readonly priority: number;
  readonly registeredDelivery: number;
  readonly dataCoding: number;
  /** short_message as sent (UDH included). */
  readonly shortMessage: Buffer;
  /** The UDH when esm_class has UDHI (0x40) and it parses. */
  readonly udh: ParsedUdh | undefined;
  /** The text octets: short_message (or message_payload when short_message is empty) without the UDH. */
  readonly body: Buffer;
  readonly concat: ConcatRef | undefined;
  readonly tlvs: readonly Tlv[];
  /** `body` decoded by data_coding (SMPP 3.4 §5.2.19). */
  readonly text: string;
}

const TAG = { sarRef: 0x020c, sarTotal: 0x020e, sarSeq: 0x020f, messagePayload: 0x0424 } as const;
const UDHI = 0x40;

/** Parses a whole PDU with the library's field codecs but none of its decode filters. */
export function parseUnfiltered(frame: Buffer): smpp.PDU {
  const pdu = Object.create(smpp.PDU.prototype) as smpp.PDU;
  pdu._filter = () => undefined;
  pdu.fromBuffer(frame);
  return pdu;
}

/** Octets the mandatory parameters take, so the TLVs that follow can be read in wire order. */
function mandatoryLength(pdu: smpp.PDU): number {
  const params = smpp.commands[pdu.command]?.params ?? {};
  let offset = 16;
  for (const [key, def] of Object.entries(params)) {
    if (offset >= pdu.command_length) break;
    offset += def.type.size(pdu[key]);
  }
  return offset;
}

/** TLVs in wire order; a TLV overrunning the PDU ends the list. */
export function readTlvs(frame: Buffer, from: number): Tlv[] {
  const tlvs: Tlv[] = [];
  const end = Math.min(frame.length, frame.readUInt32BE(0));
  for (let offset = from; offset + 4 <= end;) {
    const tag = frame.readUInt16BE(offset);
    const length = frame.readUInt16BE(offset + 2);
    if (offset + 4 + length > end) break;
    tlvs.push({ tag, name: smpp.tlvsById[tag]?.tag, value: frame.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + length;
  }
  return tlvs;
}

function sarConcat(tlvs: readonly Tlv[]): ConcatRef | undefined {
  const find = (tag: number): Buffer | undefined => tlvs.find((t) => t.tag === tag)?.value;
  const ref = find(TAG.sarRef);
  const total = find(TAG.sarTotal);
  const seq = find(TAG.sarSeq);
  if (ref?.length !== 2 || total?.length !== 1 || seq?.length !== 1) return undefined;
  return { method: 'sar', ref: ref.readUInt16BE(0), total: total[0]!, seq: seq[0]!, refBits: 16 };
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Reads a submit_sm or deliver_sm frame. Throws on a truncated body. */
export function inspectShortMessage(frame: Buffer): ShortMessagePdu {
  const pdu = parseUnfiltered(frame);
  const tlvs = readTlvs(frame, mandatoryLength(pdu));
  const shortMessage = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
  const payload = tlvs.find((t) => t.tag === TAG.messagePayload)?.value;
  const octets = shortMessage.length === 0 && payload ? payload : shortMessage;
  const esmClass = num(pdu.esm_class);
  const dataCoding = num(pdu.data_coding);
  const udh = (esmClass & UDHI) !== 0 ? parseUdh(octets) : undefined;
  const body = octets.subarray(udh?.length ?? 0);
  const udhConcat = udh?.concat;
  const concat: ConcatRef | undefined = udhConcat ? { method: 'udh', ...udhConcat } : sarConcat(tlvs);
  return {
    command: pdu.command,
    sequence: pdu.sequence_number,
    serviceType: str(pdu.service_type),
    source: str(pdu.source_addr),
    sourceTon: num(pdu.source_addr_ton),
    sourceNpi: num(pdu.source_addr_npi),
    destination: str(pdu.destination_addr),
    destTon: num(pdu.dest_addr_ton),
    destNpi: num(pdu.dest_addr_npi),
    esmClass,
    protocolId: num(pdu.protocol_id),
    priority: num(pdu.priority_flag),
    registeredDelivery: num(pdu.registered_delivery),
    dataCoding,
    shortMessage,
    udh,
    body,
    concat,
    tlvs,
    text: decodeByDataCoding(dataCoding, body),
  };
}
