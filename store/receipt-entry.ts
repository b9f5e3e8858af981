/**
 * A compact stored form for the timeline entry a delivery receipt adds (gateway/core/replies.ts:
 * one `sms-status` per part). Packed as JSON it costs ≈ 43 bytes (7 of them the packed header),
 * and a 10-part SMS gets ten of them: ≈ 430 bytes per conversation, more than its document.
 * Here: 0x1E (no JSON and no packed document starts with it), `at` (6 bytes, big-endian),
 * part, parts, status, stat (1 byte each, indices into the tables below), then the smsId (UTF-8):
 * ≈ 14 bytes. Any other entry (an error code, an unknown stat, more than 255 parts) is stored
 * as before. DO NOT CHANGE the tables' order: it is persisted; add at the end.
 */
import type { TimelineEntry } from './timeline-entry.js';

const MARK = 0x1e;
const HEAD = 11;
const STATUSES = ['delivered', 'failed', 'pending'];
/** SMPP 3.4 Appendix B `stat` values (parsers/receipt.ts ReceiptStat). */
const STATS = ['ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'];
const FIELDS = ['at', 'kind', 'smsId', 'part', 'parts', 'status', 'stat'];

const isByte = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < 256;

/** The compact form of a receipt's entry, or null when the entry is not exactly one. */
export function encodeReceiptEntry(entry: TimelineEntry): Buffer | null {
  const { at, kind, smsId, part, parts, status, stat } = entry;
  const keys = Object.keys(entry);
  if (kind !== 'sms-status' || keys.length !== FIELDS.length || !FIELDS.every((f) => keys.includes(f)))
    return null;
  const statusIndex = STATUSES.indexOf(status as string);
  const statIndex = STATS.indexOf(stat as string);
  if (statusIndex < 0 || statIndex < 0 || !isByte(part) || !isByte(parts) || typeof smsId !== 'string')
    return null;
  if (!Number.isSafeInteger(at) || at < 0 || at >= 2 ** 48) return null;
  const out = Buffer.alloc(HEAD + Buffer.byteLength(smsId));
  out[0] = MARK;
  out.writeUIntBE(at, 1, 6);
  out.set([part, parts, statusIndex, statIndex], 7);
  out.write(smsId, HEAD, 'utf8');
  return out;
}

/** The entry of a compact receipt form, or null when `raw` is not one. */
export function decodeReceiptEntry(raw: Buffer): TimelineEntry | null {
  if (raw[0] !== MARK || raw.length < HEAD) return null;
  return {
    at: raw.readUIntBE(1, 6),
    kind: 'sms-status',
    smsId: raw.toString('utf8', HEAD),
    part: raw[7],
    parts: raw[8],
    status: STATUSES[raw[9] as number],
    stat: STATS[raw[10] as number],
  };
}
