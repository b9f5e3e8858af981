/**
 * The one typed doorway to the `smpp` package (0.5.1, CommonJS, no types).
 *
 * We use the package only as a PDU codec: the socket, framing, sequence numbers,
 * window and timers are ours (see docs/smpp.md, "Why we own the socket"). Its
 * `Session` freezes on a parse error, never calls pending callbacks when the
 * socket drops, and its `connect()` reconnect is broken on Node 20.
 */
import { createRequire } from 'node:module';

/** A decoded PDU: header fields plus whatever mandatory fields and TLVs the command has. */
export interface RawPdu {
  readonly command: string;
  readonly command_id: number;
  readonly command_status: number;
  readonly sequence_number: number;
  readonly command_length: number;
  readonly [field: string]: unknown;
}

interface PduInstance {
  fromBuffer(buffer: Buffer): void;
  toBuffer(): Buffer;
  _filter(func: string): void;
}

interface PduConstructor {
  new (command: string, options?: Record<string, unknown>): PduInstance;
  readonly prototype: PduInstance;
}

interface SmppModule {
  readonly PDU: PduConstructor;
  /** lib/defs.js's command table, re-exported: which mandatory fields each PDU has. */
  readonly commands: Readonly<Record<string, { readonly params?: Readonly<Record<string, unknown>> }>>;
}

const require = createRequire(import.meta.url);
const smpp = require('smpp') as SmppModule;

/** SMPP 3.4 §5.2.4: interface_version 0x34. The package defaults to 0x50 (SMPP 5.0). */
export const INTERFACE_VERSION_34 = 0x34;

/**
 * Encode one PDU. Pass `short_message` and `message_payload` as Buffers: the
 * package's text encoder (which maps unknown characters to `@` and labels GSM
 * text data_coding 1) is then bypassed, because its filter returns Buffers as is.
 */
export function encodePdu(command: string, fields: Record<string, unknown>, sequence?: number): Buffer {
  const fast = command === 'submit_sm' ? encodeSubmitSm(fields, sequence) : undefined;
  if (fast) return fast;
  return encodeByPackage(command, sequence === undefined ? fields : { ...fields, sequence_number: sequence });
}

/** The package's own encoder: every PDU but the plain submit_sm, and the oracle of its tests. */
export function encodeByPackage(command: string, fields: Record<string, unknown>): Buffer {
  return new smpp.PDU(command, fields).toBuffer();
}

/** submit_sm's mandatory fields in wire order (SMPP 3.4 §4.4.1), as lib/defs.js lists them. */
const SUBMIT_SM: ReadonlyArray<readonly [name: string, kind: 'cstring' | 'int8']> = [
  ['service_type', 'cstring'],
  ['source_addr_ton', 'int8'],
  ['source_addr_npi', 'int8'],
  ['source_addr', 'cstring'],
  ['dest_addr_ton', 'int8'],
  ['dest_addr_npi', 'int8'],
  ['destination_addr', 'cstring'],
  ['esm_class', 'int8'],
  ['protocol_id', 'int8'],
  ['priority_flag', 'int8'],
  ['schedule_delivery_time', 'cstring'],
  ['validity_period', 'cstring'],
  ['registered_delivery', 'int8'],
  ['replace_if_present_flag', 'int8'],
  ['data_coding', 'int8'],
  ['sm_default_msg_id', 'int8'],
];
const SUBMIT_SM_KEYS = new Set([...SUBMIT_SM.map(([name]) => name), 'short_message', 'sequence_number']);
const HEADER = 16;
const SUBMIT_SM_ID = 0x00000004;

const isOctet = (v: unknown): boolean =>
  v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) < 256);
/** A C-octet string the package writes as ASCII: no NUL (it would end the field), nothing above 0x7F. */
const isCString = (v: unknown): v is string | undefined =>
  v === undefined || (typeof v === 'string' && Buffer.byteLength(v) === v.length && !v.includes('\0'));

/**
 * The plain submit_sm — no TLV, ASCII addresses, no schedule time, short_message as bytes — written
 * straight into one Buffer. The package's encoder (a PDU object, filters run over every field,
 * the length computed by walking them twice) is most of the bare client's CPU per segment
 * (docs/performance.md). Byte for
 * byte what the package writes (test/smpp/encode.test.ts checks it against `encodeByPackage`);
 * anything else returns undefined and goes to the package.
 */
export function encodeSubmitSm(
  fields: Record<string, unknown>,
  sequence: unknown = fields.sequence_number,
): Buffer | undefined {
  const message = fields.short_message;
  if (!Buffer.isBuffer(message) || message.length > 255 || !Number.isInteger(sequence)) return undefined;
  for (const key in fields) if (!SUBMIT_SM_KEYS.has(key)) return undefined;
  // A full 16-character time is written as it is by the package too (its `time` filter pads shorter ones).
  const validity = fields.validity_period;
  if (fields.schedule_delivery_time || (validity && (validity as string).length !== 16)) return undefined;
  let length = HEADER + 1 + message.length;
  for (const [name, kind] of SUBMIT_SM) {
    const value = fields[name];
    if (kind === 'int8' ? !isOctet(value) : !isCString(value)) return undefined;
    length += kind === 'int8' ? 1 : ((value as string | undefined)?.length ?? 0) + 1;
  }
  const out = Buffer.allocUnsafe(length);
  out.writeUInt32BE(length, 0);
  out.writeUInt32BE(SUBMIT_SM_ID, 4);
  out.writeUInt32BE(0, 8);
  out.writeUInt32BE(sequence as number, 12);
  let at = HEADER;
  for (const [name, kind] of SUBMIT_SM) {
    const value = fields[name];
    if (kind === 'int8') out[at++] = (value as number | undefined) ?? 0;
    else {
      at += out.write((value as string | undefined) ?? '', at, 'ascii');
      out[at++] = 0;
    }
  }
  out[at++] = message.length;
  message.copy(out, at);
  return out;
}

/**
 * The submit_sm of every part of one SMS, encoded with sequence number 0 (the connection writes
 * each one's at sending: `Connection.requestEncoded`), or undefined when a part is not a plain
 * submit_sm or the parts differ in more than their short_message: the mandatory fields are
 * checked and written once for the SMS, each part copies them. Byte for byte what
 * `encodeSubmitSm` writes for each part (test/smpp/encode.test.ts).
 */
export function encodeSubmitSmParts(pdus: ReadonlyArray<Record<string, unknown>>): Buffer[] | undefined {
  const [first] = pdus;
  const head = first && encodeSubmitSm(first, 0);
  if (!first || !head) return undefined;
  const keys = Object.keys(first);
  for (const pdu of pdus) {
    const message = pdu.short_message;
    if (!Buffer.isBuffer(message) || message.length > 255) return undefined;
    let count = 0;
    for (const key in pdu) {
      if (key !== 'short_message' && (!(key in first) || pdu[key] !== first[key])) return undefined;
      count++;
    }
    if (count !== keys.length) return undefined;
  }
  const fixed = head.length - 1 - (first.short_message as Buffer).length;
  return pdus.map((pdu, i) => {
    if (i === 0) return head;
    const message = pdu.short_message as Buffer;
    const out = Buffer.allocUnsafe(fixed + 1 + message.length);
    head.copy(out, 0, 0, fixed);
    out.writeUInt32BE(out.length, 0);
    out[fixed] = message.length;
    message.copy(out, fixed + 1);
    return out;
  });
}

/**
 * Decode one complete frame, keeping `short_message` and `message_payload` as raw
 * bytes (the package's decode filter would turn them into text by its own rules).
 * Throws on a truncated or otherwise unreadable body; the caller closes the bind.
 */
export function decodePdu(frame: Buffer): RawPdu {
  const raw = decodeSubmitSmResp(frame) ?? decodeByPackage(frame);
  requireMandatoryFields(raw);
  return raw;
}

/**
 * The package stops reading at command_length without complaint, so a body cut
 * short decodes as a PDU with fields missing. SMPP 3.4 §3.3 treats that as
 * ESME_RINVCMDLEN; we refuse it. Error responses legitimately have no body.
 */
function requireMandatoryFields(pdu: RawPdu): void {
  if (pdu.command === 'unknown' || pdu.command_status !== 0) return;
  const params = smpp.commands[pdu.command]?.params ?? {};
  const missing = Object.keys(params).filter((key) => !(key in pdu));
  if (missing.length > 0) throw new RangeError(`${pdu.command} body too short: no ${missing.join(', ')}`);
}

const SUBMIT_SM_RESP_ID = 0x80000004;

/**
 * The common submit_sm_resp — a header and its message_id, nothing after — read directly: one
 * arrives for every segment sent, and the package's generic decoder is slow for it. Anything
 * else (an error response without a body, trailing bytes) goes to the package. The same fields
 * as the package gives (test/smpp/encode.test.ts).
 */
export function decodeSubmitSmResp(frame: Buffer): RawPdu | undefined {
  if (frame.length <= 16 || frame.readUInt32BE(4) !== SUBMIT_SM_RESP_ID) return undefined;
  if (frame.indexOf(0, 16) !== frame.length - 1 || frame.readUInt32BE(0) !== frame.length) return undefined;
  return {
    command_length: frame.length,
    command_id: SUBMIT_SM_RESP_ID,
    command_status: frame.readUInt32BE(8),
    sequence_number: frame.readUInt32BE(12),
    command: 'submit_sm_resp',
    message_id: frame.toString('ascii', 16, frame.length - 1),
  };
}

/** The package's decoder, `short_message` and `message_payload` left as bytes; the oracle of `decodeSubmitSmResp`'s test. */
export function decodeByPackage(frame: Buffer): RawPdu {
  const pdu = Object.create(smpp.PDU.prototype) as PduInstance;
  pdu._filter = () => undefined;
  pdu.fromBuffer(frame);
  return pdu as unknown as RawPdu;
}
