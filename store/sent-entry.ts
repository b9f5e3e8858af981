/**
 * The compact stored form of the timeline entry the sender adds once the SMSC accepted every
 * part of an SMS (gateway/core/sent-writes.ts: `sms-status` sent, with the parts' SMSC ids),
 * written without compression: it is written for every SMS sent (docs/performance.md).
 *
 * Tag 0x1B (version 1; docs/storage.md), `at` (6 bytes, big-endian), a byte of flags (bit 0 the
 * encoding: 0 gsm7, 1 ucs2; bit 1 the SMS asks consent), the smsId after its length (1 byte), UTF-8; then each SMSC id: a head byte,
 * then the id. Head < 0x80: that many bytes of UTF-8. Head 0x80 | case | n (n = 1..63 digits;
 * case 0x40: upper-case): n hex digits packed two to a byte, the high nibble first (carriers'
 * ids are mostly hex or decimal). store/lua/claim-n.lua and sent-n.lua find an SMS's entry by the
 * tag, and a delivery receipt its SMS and part by the part's id (store/sent-records.ts
 * `sentPart`). An entry that does not fit (an SMSC id of 128 bytes or more) is stored as a packed
 * document (0x1F) and its SMS keeps a sent record instead.
 */
import { packHex } from './hex-pack.js';
import type { SmsStatusEntry, TimelineEntry } from './timeline-entry.js';

/** The entry's tag (the file's comment). */
export const SENT_ENTRY_TAG = 0x1b;
const TAG = SENT_ENTRY_TAG;
const HEAD = 8;
const PACKED_ID = 0x80;
const UPPER_CASE = 0x40;
/** Digits of one packed id: the head's low 6 bits. */
const MAX_DIGITS = 0x3f;
const LOWER_HEX = /^[0-9a-f]+$/;
const UPPER_HEX = /^[0-9A-F]+$/;
const ENCODINGS = ['gsm7', 'ucs2'] as const;
const ASKS_CONSENT = 0x02;
const FIELDS = new Set(['at', 'kind', 'smsId', 'status', 'messageIds', 'encoding']);

const isShortString = (s: string): boolean => Buffer.byteLength(s) < 256;

type SentEntry = SmsStatusEntry & Required<Pick<SmsStatusEntry, 'messageIds' | 'encoding'>>;

/** A sent entry with no other field, each within the form's bounds. */
function fits(entry: TimelineEntry): entry is SentEntry {
  if (entry.kind !== 'sms-status' || entry.status !== 'sent') return false;
  const keys = Object.keys(entry).filter((k) => k !== 'asksConsent');
  const ids = entry.messageIds;
  return (
    (entry.asksConsent === undefined || entry.asksConsent) &&
    keys.length === FIELDS.size &&
    keys.every((k) => FIELDS.has(k)) &&
    Number.isSafeInteger(entry.at) &&
    entry.at >= 0 &&
    entry.at < 2 ** 48 &&
    entry.encoding !== undefined &&
    isShortString(entry.smsId) &&
    ids !== undefined &&
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
  if (!ids.every((b): b is Buffer => b !== null)) return null;
  const out = Buffer.allocUnsafe(HEAD + 1 + smsId.length + ids.reduce((n, b) => n + b.length, 0));
  out[0] = TAG;
  out.writeUIntBE(entry.at, 1, 6);
  out[7] = ENCODINGS.indexOf(entry.encoding) | (entry.asksConsent ? ASKS_CONSENT : 0);
  out[HEAD] = smsId.length;
  out.set(smsId, HEAD + 1);
  let at = HEAD + 1 + smsId.length;
  for (const b of ids) {
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

/** The entry of the compact sent form, or null when `raw` is not one (or not a well-formed one). */
export function decodeSentEntry(raw: Buffer): SmsStatusEntry | null {
  const flags = raw[7] ?? 0xff;
  const encoding = ENCODINGS[flags & 1];
  if (raw[0] !== TAG || raw.length < HEAD + 1 || encoding === undefined || flags > 3) return null;
  const smsIdEnd = HEAD + 1 + (raw[HEAD] as number);
  const smsId = raw.toString('utf8', HEAD + 1, smsIdEnd);
  const messageIds: string[] = [];
  for (let at = smsIdEnd; at < raw.length;) {
    const [id, next] = readPackedId(raw, at);
    messageIds.push(id);
    at = next;
  }
  return {
    at: raw.readUIntBE(1, 6),
    kind: 'sms-status',
    smsId,
    status: 'sent',
    messageIds,
    encoding,
    ...(flags & ASKS_CONSENT ? { asksConsent: true } : {}),
  };
}

/**
 * When the SMSC accepted SMS `smsId`: the `at` of its compact sent entry among a conversation's
 * stored entries (each a Buffer: timeline-codec.ts `splitEntries`), read without decoding the rest;
 * undefined when none holds it.
 */
export function acceptedAt(entries: readonly Buffer[], smsId: string): number | undefined {
  const id = Buffer.from(smsId, 'utf8');
  for (let i = entries.length - 1; i >= 0; i--) {
    const raw = entries[i] as Buffer;
    if (raw[0] !== TAG || raw.length < HEAD + 1 + id.length || raw[HEAD] !== id.length) continue;
    if (raw.compare(id, 0, id.length, HEAD + 1, HEAD + 1 + id.length) === 0) return raw.readUIntBE(1, 6);
  }
  return undefined;
}
