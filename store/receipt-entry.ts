/**
 * The compact stored form of the timeline entries delivery receipts add (gateway/core/replies.ts:
 * one `sms-status` per part): a 10-part SMS gets ten receipts, which as packed documents would
 * cost more than the conversation's own document.
 *
 * The receipt run: the receipts of one SMS's parts with the same status, stat and err, combined
 * into one entry (one status per message). Tag 0x1D (version 1; docs/storage.md), parts, status,
 * stat (indices into the tables below), the smsId's length and
 * UTF-8, the err's length (0xFF: no `err:` field) and UTF-8 — together the run's identity — then
 * `at` (6 bytes, big-endian: the latest receipt's time) and a bitmap of the parts reported (part
 * i is bit i % 8 of byte ⌊i / 8⌋): 20 bytes for a 10-part SMS whose receipts say `err:000` (SMPP
 * 3.4 Appendix B; carriers send it with DELIVRD), however many of its receipts it holds.
 * store/lua/append-1.lua merges an appended run into the timeline's last entry when their
 * identities match (OR of the bitmaps, latest `at`).
 *
 * Any other entry (an unknown stat, more than 255 parts, an err of 255 bytes or more) is stored
 * as a packed document (0x1F). DO NOT CHANGE the layout or the tables' order: they are
 * persisted; add at the end.
 */
import type { SmsStatus, SmsStatusEntry, TimelineEntry } from './timeline-entry.js';

const RUN = 0x1d;
/** The err byte of a run whose receipts had no `err:` field. */
const NO_ERR = 0xff;
const STATUSES: readonly SmsStatus[] = ['delivered', 'failed', 'pending'];
/** SMPP 3.4 Appendix B `stat` values (parsers/receipt.ts ReceiptStat). */
const STATS = ['ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'];
const FIELDS = ['at', 'kind', 'smsId', 'part', 'parts', 'status', 'stat'];

const isByte = (n: number | undefined): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) < 256;

type ReceiptEntry = SmsStatusEntry & Required<Pick<SmsStatusEntry, 'part' | 'parts' | 'stat'>>;

/** Exactly the fields of a receipt's entry (gateway/core/replies.ts), `err` optional. */
function isReceiptShape(entry: TimelineEntry): entry is ReceiptEntry {
  if (entry.kind !== 'sms-status') return false;
  const keys = Object.keys(entry);
  const fields = 'err' in entry ? [...FIELDS, 'err'] : FIELDS;
  return keys.length === fields.length && fields.every((f) => keys.includes(f));
}

/** The compact form (a run of one part) of a receipt's entry, or null when the entry is not exactly one. */
export function encodeReceiptEntry(entry: TimelineEntry): Buffer | null {
  if (!isReceiptShape(entry)) return null;
  const { at, smsId, part, parts, status, stat, err } = entry;
  const statusIndex = STATUSES.indexOf(status);
  const statIndex = STATS.indexOf(stat);
  if (statusIndex < 0 || statIndex < 0 || !isByte(part) || !isByte(parts) || part >= parts) return null;
  if (!isByte(Buffer.byteLength(smsId))) return null;
  if (err !== undefined && Buffer.byteLength(err) >= NO_ERR) return null;
  if (!Number.isSafeInteger(at) || at < 0 || at >= 2 ** 48) return null;
  const id = Buffer.from(smsId, 'utf8');
  const errBytes = Buffer.from(err ?? '', 'utf8');
  const identity = Buffer.concat([
    Buffer.of(RUN, parts, statusIndex, statIndex, id.length),
    id,
    Buffer.of(err === undefined ? NO_ERR : errBytes.length),
    errBytes,
  ]);
  const rest = Buffer.alloc(6 + Math.ceil(parts / 8));
  rest.writeUIntBE(at, 0, 6);
  rest[6 + (part >> 3)] = 1 << (part & 7);
  return Buffer.concat([identity, rest]);
}

function decodeRun(raw: Buffer): SmsStatusEntry | null {
  const [, parts = 0, statusIndex = 0, statIndex = 0, idLength = 0] = raw;
  const status = STATUSES[statusIndex];
  const stat = STATS[statIndex];
  const errByte = raw[5 + idLength] ?? NO_ERR;
  const errEnd = 6 + idLength + (errByte === NO_ERR ? 0 : errByte);
  const bitmap = errEnd + 6;
  if (raw.length !== bitmap + Math.ceil(parts / 8) || !status || !stat) return null;
  const reported = Array.from({ length: parts }, (_, i) => i).filter(
    (i) => ((raw[bitmap + (i >> 3)] as number) >> (i & 7)) & 1,
  );
  const [only] = reported;
  return {
    at: raw.readUIntBE(errEnd, 6),
    kind: 'sms-status',
    smsId: raw.toString('utf8', 5, 5 + idLength),
    // One part reads as a single receipt; several as the list of their indices.
    ...(reported.length === 1 && only !== undefined ? { part: only } : { partList: reported }),
    parts,
    status,
    stat,
    ...(errByte === NO_ERR ? {} : { err: raw.toString('utf8', 6 + idLength, errEnd) }),
  };
}

/** The entry of a receipt run, or null when `raw` is not one (or not a well-formed one). */
export function decodeReceiptEntry(raw: Buffer): SmsStatusEntry | null {
  return raw[0] === RUN && raw.length >= 13 ? decodeRun(raw) : null;
}
