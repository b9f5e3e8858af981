/**
 * A compact stored form for the timeline entry the sender adds once the SMSC accepted every
 * part of an SMS (gateway/core/sent-writes.ts: `sms-status` sent, with the parts' SMSC ids).
 * Packed as JSON it went through deflate for every SMS sent, ≈ 23 µs of the sender's CPU per
 * SMS and a tenth of its whole cost (docs/performance.md); this form is written with no
 * compression and is as small: 0x1C (no JSON, packed document or receipt entry starts with it),
 * `at` (6 bytes, big-endian), the encoding (1 byte: 0 gsm7, 1 ucs2), the smsId and each SMSC
 * id after its length (1 byte), UTF-8. Any other entry is stored as before.
 * DO NOT CHANGE the layout or the encodings' order: it is persisted.
 */
import type { TimelineEntry } from './timeline-entry.js';

const MARK = 0x1c;
const HEAD = 8;
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

/** The compact form of a sent entry, or null when the entry is not exactly one. */
export function encodeSentEntry(entry: TimelineEntry): Buffer | null {
  if (!fits(entry)) return null;
  const strings = [entry.smsId, ...entry.messageIds].map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(HEAD + strings.reduce((n, b) => n + 1 + b.length, 0));
  out[0] = MARK;
  out.writeUIntBE(entry.at, 1, 6);
  out[7] = ENCODINGS.indexOf(entry.encoding as string);
  let at = HEAD;
  for (const b of strings) {
    out[at] = b.length;
    out.set(b, at + 1);
    at += 1 + b.length;
  }
  return out;
}

/** The entry of a compact sent form, or null when `raw` is not one. */
export function decodeSentEntry(raw: Buffer): TimelineEntry | null {
  if (raw[0] !== MARK || raw.length < HEAD + 1) return null;
  const strings: string[] = [];
  for (let at = HEAD; at < raw.length;) {
    const len = raw[at] as number;
    strings.push(raw.toString('utf8', at + 1, at + 1 + len));
    at += 1 + len;
  }
  const [smsId = '', ...messageIds] = strings;
  return {
    at: raw.readUIntBE(1, 6),
    kind: 'sms-status',
    smsId,
    status: 'sent',
    messageIds,
    encoding: ENCODINGS[raw[7] as number],
  };
}
