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
export function encodePdu(command: string, fields: Record<string, unknown>): Buffer {
  return new smpp.PDU(command, fields).toBuffer();
}

/**
 * Decode one complete frame, keeping `short_message` and `message_payload` as raw
 * bytes (the package's decode filter would turn them into text by its own rules).
 * Throws on a truncated or otherwise unreadable body; the caller closes the bind.
 */
export function decodePdu(frame: Buffer): RawPdu {
  const pdu = Object.create(smpp.PDU.prototype) as PduInstance;
  pdu._filter = () => undefined;
  pdu.fromBuffer(frame);
  const raw = pdu as unknown as RawPdu;
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
