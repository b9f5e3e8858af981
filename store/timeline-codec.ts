/**
 * The timeline's codec, the one place its entries cross the store's edge (docs/storage.md): the
 * compact forms of sent entries (0x1B, store/sent-entry.ts) and receipt runs (0x1D,
 * store/receipt-entry.ts), and a packed document (0x1F, store/text-codec.ts) for any other entry,
 * checked against `TIMELINE_ENTRY` when read. Each entry is stored after its length (u16).
 */
import { GatewayError } from '../common/errors.js';
import { checkedJson } from './checked.js';
import { decodeReceiptEntry, encodeReceiptEntry } from './receipt-entry.js';
import { decodeSentEntry, encodeSentEntry } from './sent-entry.js';
import type { TextCodec } from './text-codec.js';
import { TIMELINE_ENTRY, type TimelineEntry } from './timeline-entry.js';

const SENT_TAG = 0x1b;
const RUN_TAG = 0x1d;
const MAX_ENTRY_BYTES = 0xffff;
/** Characters of a text kept when its entry is too long to store. */
const KEPT_CHARACTERS = 4000;

/** The entries of a stored timeline: each is its length (2 bytes, big-endian), then its bytes. */
export function splitEntries(value: Buffer | null): Buffer[] {
  const entries: Buffer[] = [];
  for (let at = 0; value && at + 2 <= value.length;) {
    const end = at + 2 + value.readUInt16BE(at);
    entries.push(value.subarray(at + 2, end));
    at = end;
  }
  return entries;
}

/** An entry with its text cut to its start. */
function cut(entry: TimelineEntry): TimelineEntry {
  if (!('text' in entry) || entry.text.length <= KEPT_CHARACTERS) return entry;
  const text = `${entry.text.slice(0, KEPT_CHARACTERS)}… [${entry.text.length} characters, cut for storage]`;
  return { ...entry, text };
}

/** A note in place of an entry too long to store even with its text cut. */
const tooLong = (entry: TimelineEntry): TimelineEntry => ({
  at: entry.at,
  kind: 'note',
  text: `a ${entry.kind} entry too long to store`,
});

export class TimelineCodec {
  constructor(private readonly text: TextCodec) {}

  /** A document's bytes, packed with the dictionary of its template's text where it has one. */
  pack(json: string, templateId?: string): Buffer {
    return this.text.pack(json, templateId);
  }

  private bytes(entry: TimelineEntry): Buffer {
    // The sender writes a sent entry for every SMS: try that form first.
    return (
      encodeSentEntry(entry) ??
      encodeReceiptEntry(entry) ??
      this.pack(JSON.stringify(entry), entry.kind === 'sms' ? entry.templateId : undefined)
    );
  }

  /** An entry as stored: its length (2 bytes, big-endian), then the entry. */
  encode(entry: TimelineEntry): Buffer {
    let bytes = this.bytes(entry);
    // Only a text can be this long (a 255-part reply): keep its start rather than refuse the
    // commit, which would leave the reply undecided for good.
    if (bytes.length > MAX_ENTRY_BYTES) bytes = this.bytes(cut(entry));
    if (bytes.length > MAX_ENTRY_BYTES) bytes = this.bytes(tooLong(entry));
    const head = Buffer.allocUnsafe(2);
    head.writeUInt16BE(bytes.length);
    return Buffer.concat([head, bytes]);
  }

  /** One stored entry, checked: a form or shape the store never writes is GW_STORE_FORMAT. */
  async decode(raw: Buffer): Promise<TimelineEntry> {
    const tag = raw[0];
    if (tag === SENT_TAG || tag === RUN_TAG) {
      const entry = tag === SENT_TAG ? decodeSentEntry(raw) : decodeReceiptEntry(raw);
      if (entry) return entry;
      throw new GatewayError('GW_STORE_FORMAT', `stored timeline entry (tag ${tag}) is malformed`);
    }
    return checkedJson<TimelineEntry>('timeline entry', TIMELINE_ENTRY, await this.text.unpack(raw));
  }

  /** The entries of a stored timeline (`splitEntries`), oldest first. */
  async decodeAll(stored: Buffer): Promise<TimelineEntry[]> {
    return Promise.all(splitEntries(stored).map((raw) => this.decode(raw)));
  }
}
