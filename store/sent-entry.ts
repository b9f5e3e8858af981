/**
 * A compact stored form for the timeline entry the sender adds once the SMSC accepted every
 * part of an SMS (gateway/core/sent-writes.ts: `sms-status` sent, with the parts' SMSC ids).
 * Packed as JSON it went through deflate for every SMS sent, ≈ 23 µs of the sender's CPU per
 * SMS and a tenth of its whole cost (docs/performance.md); this form is written with no
 * compression and is as small.
 *
 * Both forms: the mark, `at` (6 bytes, big-endian), the encoding (1 byte: 0 gsm7, 1 ucs2), the
 * smsId after its length (1 byte), UTF-8; then each SMSC id:
 * - 0x1C (written before, still read): after its length (1 byte), UTF-8;
 * - 0x1B (written now): a head byte, then the id. Head < 0x80: that many bytes of UTF-8. Head
 *   0x80 | case | n (n = 1..63 digits; case 0x40: upper-case): n hex digits packed two to a byte,
 *   the high nibble first. Carriers' ids are mostly hex or decimal (a decimal id is hex digits
 *   too): a 10-character id takes 6 bytes instead of 11, 50 bytes per 10-part SMS, enough to keep
 *   a conversation in the smaller allocation class (docs/performance.md, memory).
 * No JSON, packed document (0x1F) or receipt entry (0x1D, 0x1E) starts with 0x1B or 0x1C;
 * store/lua/claim.lua and sent.lua know both marks. An entry whose ids do not fit the new form
 * (one of 128 bytes or more) is written in the old one; any other entry is stored as before.
 * DO NOT CHANGE the layouts or the encodings' order: they are persisted.
 */
import { packHex } from './hex-pack.js';
import type { TimelineEntry } from './timeline-entry.js';

/** The first form: every id as UTF-8 after its length. */
const MARK_TEXT = 0x1c;
/** The form written now: hex ids packed (the file's comment). */
const MARK_PACKED = 0x1b;
const HEAD = 8;
const PACKED_ID = 0x80;
const UPPER_CASE = 0x40;
/** Digits of one packed id: the head's low 6 bits. */
const MAX_DIGITS = 0x3f;
const LOWER_HEX = /^[0-9a-f]+$/;
const UPPER_HEX = /^[0-9A-F]+$/;
const ENCODINGS = ['gsm7', 'ucs2'];
const FIELDS = new Set(['at', 'kind', 'smsId', 'status', 'messageIds', 'encoding']);

const isShortString = (s: unknown): s is string => typeof s === 'string' && Buffer.byteLength(s) < 256;

function fits(entry: TimelineEntry): entry is TimelineEntry & { smsId: string; messageIds: string[] } {
  if (entry.status !== 'sent' || entry.kind !== 'sms-status') return false;
  const keys = Object.keys(entry);
  const ids = entry.messageIds;
  return (
    keys.length === FIELDS.size &&
    keys.every((k) => FIELDS.has(k)) &&
    Number.isSafeInteger(entry.at) &&
    entry.at >= 0 &&
    entry.at < 2 ** 48 &&
    ENCODINGS.includes(entry.encoding as string) &&
    isShortString(entry.smsId) &&
    Array.isArray(ids) &&
    ids.length < 256 &&
    ids.every(isShortString)
  );
}

/** How an SMSC id is written in the packed form: hex digits packed, else UTF-8 (null: too long). */
function packId(id: string): Buffer | null {
  const upper = !LOWER_HEX.test(id) && UPPER_HEX.test(id);
  // Three digits and more gain a byte or more; shorter ones are as small as text.
  if (id.length >= 3 && id.length <= MAX_DIGITS && (upper || LOWER_HEX.test(id))) {
    return packHex(PACKED_ID | (upper ? UPPER_CASE : 0) | id.length, id);
  }
  const text = Buffer.from(id, 'utf8');
  if (text.length >= PACKED_ID) return null;
  return Buffer.concat([Buffer.of(text.length), text]);
}

/** The compact form of a sent entry, or null when the entry is not exactly one. */
export function encodeSentEntry(entry: TimelineEntry): Buffer | null {
  if (!fits(entry)) return null;
  const smsId = Buffer.from(entry.smsId, 'utf8');
  const ids = entry.messageIds.map(packId);
  const packed = ids.every((b): b is Buffer => b !== null);
  const tail = packed ? ids : entry.messageIds.map((id) => Buffer.from(id, 'utf8'));
  const out = Buffer.allocUnsafe(
    HEAD + 1 + smsId.length + tail.reduce((n, b) => n + b.length + (packed ? 0 : 1), 0),
  );
  out[0] = packed ? MARK_PACKED : MARK_TEXT;
  out.writeUIntBE(entry.at, 1, 6);
  out[7] = ENCODINGS.indexOf(entry.encoding as string);
  out[HEAD] = smsId.length;
  out.set(smsId, HEAD + 1);
  let at = HEAD + 1 + smsId.length;
  for (const b of tail) {
    if (!packed) out[at++] = b.length;
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The SMSC id at `at` of a packed-form entry, and where the next one starts. */
function readPackedId(raw: Buffer, at: number): [string, number] {
  const head = raw[at] as number;
  if (head < PACKED_ID) return [raw.toString('utf8', at + 1, at + 1 + head), at + 1 + head];
  const digits = head & MAX_DIGITS;
  const bytes = Math.ceil(digits / 2);
  const hex = raw.toString('hex', at + 1, at + 1 + bytes).slice(0, digits);
  return [head & UPPER_CASE ? hex.toUpperCase() : hex, at + 1 + bytes];
}

/** The entry of a compact sent form (either mark), or null when `raw` is not one. */
export function decodeSentEntry(raw: Buffer): TimelineEntry | null {
  const mark = raw[0];
  if ((mark !== MARK_TEXT && mark !== MARK_PACKED) || raw.length < HEAD + 1) return null;
  const smsIdEnd = HEAD + 1 + (raw[HEAD] as number);
  const smsId = raw.toString('utf8', HEAD + 1, smsIdEnd);
  const messageIds: string[] = [];
  for (let at = smsIdEnd; at < raw.length;) {
    if (mark === MARK_PACKED) {
      const [id, next] = readPackedId(raw, at);
      messageIds.push(id);
      at = next;
    } else {
      const len = raw[at] as number;
      messageIds.push(raw.toString('utf8', at + 1, at + 1 + len));
      at += 1 + len;
    }
  }
  return {
    at: raw.readUIntBE(1, 6),
    kind: 'sms-status',
    smsId,
    status: 'sent',
    messageIds,
    encoding: ENCODINGS[raw[7] as number],
  };
}
