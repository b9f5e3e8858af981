/**
 * The SMS a carrier received, read from the raw submit_sm PDUs the Perl SMSC logged
 * (`short_message_hex`), with a decoder of our own that shares nothing with the gateway's: the UDH
 * (3GPP TS 23.040 §9.2.3.24.1 and .8), UCS2 as UTF-16BE, GSM 03.38 as unpacked septets with the
 * extension table (3GPP TS 23.038 §6.2.1). Each part is checked on its own as a phone shows it before
 * reassembly: within its octets, and no character cut at its ends.
 */
import type { SmscLogLine } from './perl-smsc.js';

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u00a0ÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION: Readonly<Record<number, string>> = {
  0x0a: '\f',
  0x14: '^',
  0x28: '{',
  0x29: '}',
  0x2f: '\\',
  0x3c: '[',
  0x3d: '~',
  0x3e: ']',
  0x40: '|',
  0x65: '€',
};

export interface Part {
  readonly line: SmscLogLine;
  readonly dataCoding: number;
  /** The concatenation IE, when the part has one. */
  readonly concat?: { readonly ref: number; readonly total: number; readonly seq: number };
  /** The part's own text (the UDH removed), decoded alone. */
  readonly text: string;
  /** Octets of the short_message, UDH included. */
  readonly octets: number;
  /** What is wrong with this part on its own: a cut character, too many octets. */
  readonly problems: readonly string[];
}

export interface WholeSms {
  readonly to: string;
  readonly text: string;
  readonly parts: readonly Part[];
}

function decodeGsm(bytes: Buffer, problems: string[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const septet = bytes[i]!;
    if (septet > 0x7f) problems.push(`octet 0x${septet.toString(16)} is no septet`);
    if (septet === 0x1b) {
      const next = bytes[i + 1];
      if (next === undefined) {
        problems.push('an escape septet ends the part: its extension character is cut off');
        break;
      }
      const ch = GSM_EXTENSION[next];
      if (ch === undefined) problems.push(`escape + 0x${next.toString(16)} is no extension character`);
      out += ch ?? '\ufffd';
      i++;
      continue;
    }
    out += GSM_BASIC[septet & 0x7f];
  }
  return out;
}

function decodeUcs2(bytes: Buffer, problems: string[]): string {
  if (bytes.length % 2 !== 0) problems.push('an odd number of UCS2 octets');
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  const first = out.charCodeAt(0);
  const last = out.charCodeAt(out.length - 1);
  if (first >= 0xdc00 && first <= 0xdfff)
    problems.push('the part starts with the low half of a surrogate pair');
  if (last >= 0xd800 && last <= 0xdbff) problems.push('the part ends with the high half of a surrogate pair');
  return out;
}

/** One submit_sm as a phone reads it. */
export function readPart(line: SmscLogLine): Part {
  const hex = typeof line.short_message_hex === 'string' ? line.short_message_hex : '';
  const bytes = Buffer.from(hex, 'hex');
  const dataCoding = Number(line.data_coding);
  const problems: string[] = [];
  let body = bytes;
  let concat: Part['concat'];
  if ((Number(line.esm_class) & 0x40) !== 0) {
    const udhl = bytes[0]!;
    let i = 1;
    while (i < udhl + 1) {
      const iei = bytes[i]!;
      const len = bytes[i + 1]!;
      const data = bytes.subarray(i + 2, i + 2 + len);
      if (iei === 0x00 && len === 3) concat = { ref: data[0]!, total: data[1]!, seq: data[2]! };
      if (iei === 0x08 && len === 4)
        concat = { ref: (data[0]! << 8) | data[1]!, total: data[2]!, seq: data[3]! };
      i += 2 + len;
    }
    if (i !== udhl + 1) problems.push('the UDH overruns its length');
    body = bytes.subarray(udhl + 1);
  }
  let text: string;
  if (dataCoding === 8) {
    text = decodeUcs2(body, problems);
    if (bytes.length > 140) problems.push(`${bytes.length} octets, over 140`);
  } else if (dataCoding === 0) {
    text = decodeGsm(body, problems);
    const udhSeptets =
      bytes.length - body.length === 0 ? 0 : Math.ceil(((bytes.length - body.length) * 8) / 7);
    if (udhSeptets + body.length > 160) problems.push(`${udhSeptets + body.length} septets, over 160`);
  } else {
    problems.push(`data_coding ${dataCoding} is neither GSM 7-bit (0) nor UCS2 (8)`);
    text = '';
  }
  return { line, dataCoding, ...(concat ? { concat } : {}), text, octets: bytes.length, problems };
}

/**
 * Every whole SMS in the log sent to `to`, in the order its last part was accepted: a single part, or
 * the parts of one reference joined by their sequence numbers once all are in.
 */
export function smsTo(log: readonly SmscLogLine[], to: string): WholeSms[] {
  const out: WholeSms[] = [];
  const pending = new Map<string, Part[]>();
  for (const line of log) {
    if (line.dir !== 'in' || line.command !== 'submit_sm' || line.destination_addr !== to) continue;
    const part = readPart(line);
    if (part.concat === undefined) {
      out.push({ to, text: part.text, parts: [part] });
      continue;
    }
    const key = `${part.concat.ref}/${part.concat.total}`;
    const parts = [...(pending.get(key) ?? []), part];
    const seqs = new Set(parts.map((p) => p.concat!.seq));
    if (seqs.size < part.concat.total) {
      pending.set(key, parts);
      continue;
    }
    pending.delete(key);
    const ordered = [...parts].sort((a, b) => a.concat!.seq - b.concat!.seq);
    out.push({ to, text: ordered.map((p) => p.text).join(''), parts: ordered });
  }
  return out;
}
