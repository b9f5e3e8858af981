/**
 * The timeline's codec, the one place its entries cross the store's edge (docs/storage.md): the
 * compact forms of sent entries (0x1B, store/sent-entry.ts) and receipt runs (0x1D,
 * store/receipt-entry.ts), and a packed document (0x1F, store/text-codec.ts) for any other entry,
 * checked against `TIMELINE_ENTRY` when read. The entries of one step without a compact form are
 * packed together, as one JSON array: zlib's cost is mostly per call, not per byte. Each stored
 * entry is stored after its length (u16).
 */
import { z } from 'zod';
import { GatewayError } from '../common/errors.js';
import { checkedJson } from './checked.js';
import { decodeReceiptEntry, encodeReceiptEntry } from './receipt-entry.js';
import { decodeSentEntry, encodeSentEntry, SENT_ENTRY_TAG as SENT_TAG } from './sent-entry.js';
import type { TextCodec } from './text-codec.js';
import { TIMELINE_ENTRY, type TimelineEntry } from './timeline-entry.js';

const ENTRIES = z.union([TIMELINE_ENTRY, z.array(TIMELINE_ENTRY).min(2)]);

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

/** Stored bytes after their length (2 bytes, big-endian). */
function stored(bytes: Buffer): Buffer {
  const head = Buffer.allocUnsafe(2);
  head.writeUInt16BE(bytes.length);
  return Buffer.concat([head, bytes]);
}

export class TimelineCodec {
  constructor(private readonly text: TextCodec) {}

  /** A document's bytes, packed with the dictionary of its template's text where it has one. */
  pack(json: string, templateId?: string): Buffer {
    return this.text.pack(json, templateId);
  }

  /** Entries without a compact form packed as one document, with the first SMS's template's dictionary. */
  private packed(entries: readonly TimelineEntry[]): Buffer {
    const sms = entries.find((e) => e.kind === 'sms');
    const json = JSON.stringify(entries.length === 1 ? entries[0] : entries);
    return this.pack(json, sms?.kind === 'sms' ? sms.templateId : undefined);
  }

  private bytes(entry: TimelineEntry): Buffer {
    // The sender writes a sent entry for every SMS: try that form first.
    return encodeSentEntry(entry) ?? encodeReceiptEntry(entry) ?? this.packed([entry]);
  }

  /** An entry as stored: its length (2 bytes, big-endian), then the entry. */
  encode(entry: TimelineEntry): Buffer {
    let bytes = this.bytes(entry);
    // Only a text can be this long (a 255-part reply): keep its start rather than refuse the
    // commit, which would leave the reply undecided for good.
    if (bytes.length > MAX_ENTRY_BYTES) bytes = this.bytes(cut(entry));
    if (bytes.length > MAX_ENTRY_BYTES) bytes = this.bytes(tooLong(entry));
    return stored(bytes);
  }

  /**
   * The entries of one step as stored, in order: each compact entry alone, each run of the others
   * packed together (one document per run), or one by one should a run not fit its length.
   */
  encodeAll(entries: readonly TimelineEntry[]): Buffer[] {
    const out: Buffer[] = [];
    let run: TimelineEntry[] = [];
    const flush = (): void => {
      if (run.length > 1) {
        const bytes = this.packed(run);
        if (bytes.length <= MAX_ENTRY_BYTES) out.push(stored(bytes));
        else for (const e of run) out.push(this.encode(e));
      } else if (run.length === 1) out.push(this.encode(run[0] as TimelineEntry));
      run = [];
    };
    for (const entry of entries) {
      const compact = encodeSentEntry(entry) ?? encodeReceiptEntry(entry);
      if (!compact) {
        run.push(entry);
        continue;
      }
      flush();
      out.push(compact.length > MAX_ENTRY_BYTES ? this.encode(entry) : stored(compact));
    }
    flush();
    return out;
  }

  /**
   * The entries of one stored entry (one, or a step's packed together), checked: a form or shape
   * the store never writes is GW_STORE_FORMAT.
   */
  async decode(raw: Buffer): Promise<TimelineEntry[]> {
    const tag = raw[0];
    if (tag === SENT_TAG || tag === RUN_TAG) {
      const entry = tag === SENT_TAG ? decodeSentEntry(raw) : decodeReceiptEntry(raw);
      if (entry) return [entry];
      throw new GatewayError('GW_STORE_FORMAT', `stored timeline entry (tag ${tag}) is malformed`);
    }
    const value = checkedJson<TimelineEntry | TimelineEntry[]>(
      'timeline entry',
      ENTRIES,
      await this.text.unpack(raw),
    );
    return Array.isArray(value) ? value : [value];
  }

  /** The entries of a stored timeline (`splitEntries`), oldest first. */
  async decodeAll(stored: Buffer): Promise<TimelineEntry[]> {
    return (await Promise.all(splitEntries(stored).map((raw) => this.decode(raw)))).flat();
  }
}
