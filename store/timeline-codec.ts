/**
 * The timeline's codec, the one place its entries cross the store's edge (docs/storage.md): the
 * compact forms of sent entries (0x1B, store/sent-entry.ts), receipt runs (0x1D,
 * store/receipt-entry.ts) and the `sms` entry of the SMS asking consent (0x1A,
 * store/consent-sms-entry.ts: its text and template are the document's consent record's), and a
 * packed document (0x1F, store/text-codec.ts) for any other entry, checked against
 * `TIMELINE_ENTRY` (or, for the record of an SMS asking consent that the document no longer names,
 * `CONSENT_RECORD`) when read. The entries of one step without a compact form are packed together,
 * as one JSON array: zlib's cost is mostly per call, not per byte. Each stored entry is stored
 * after its length (u16).
 */
import { z } from 'zod';
import { GatewayError } from '../common/errors.js';
import { checkedJson } from './checked.js';
import {
  CONSENT_SMS_TAG,
  consentSms,
  decodeConsentSms,
  encodeConsentSms,
  type ConsentRecord,
  type ConsentSmsRef,
} from './consent-sms-entry.js';
import { decodeReceiptEntry, encodeReceiptEntry } from './receipt-entry.js';
import { decodeSentEntry, encodeSentEntry, SENT_ENTRY_TAG as SENT_TAG } from './sent-entry.js';
import { PACKED, type TextCodec } from './text-codec.js';
import { SMS_TEXT_FIELDS, TIMELINE_ENTRY, type TimelineEntry } from './timeline-entry.js';

/** A consent record stored among a step's packed entries (store/consent-sms-entry.ts). */
const CONSENT_RECORD = z.object({ kind: z.literal('consent-record'), ...SMS_TEXT_FIELDS });
const STORED_ENTRY = z.union([TIMELINE_ENTRY, CONSENT_RECORD]);
const ENTRIES = z.union([STORED_ENTRY, z.array(STORED_ENTRY).min(2)]);

/** What a step stores: its timeline entries, and the consent record its document stops naming. */
export type StoredEntry = TimelineEntry | ConsentRecord;
type Decoded = StoredEntry | ConsentSmsRef;

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
function cut(entry: StoredEntry): StoredEntry {
  if (!('text' in entry) || entry.text.length <= KEPT_CHARACTERS || entry.kind === 'consent-record')
    return entry;
  const text = `${entry.text.slice(0, KEPT_CHARACTERS)}… [${entry.text.length} characters, cut for storage]`;
  return { ...entry, text };
}

/** A note in place of an entry too long to store even with its text cut. */
const tooLong = (entry: StoredEntry): TimelineEntry => ({
  at: 'at' in entry ? entry.at : 0,
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
  private packed(entries: readonly StoredEntry[]): Buffer {
    const sms = entries.find((e) => e.kind === 'sms' || e.kind === 'consent-record');
    const json = JSON.stringify(entries.length === 1 ? entries[0] : entries);
    return this.pack(json, sms && 'templateId' in sms ? sms.templateId : undefined);
  }

  /** An entry's compact form, or null when it has none (`consent`: the document's consent record). */
  private compact(entry: StoredEntry, consent?: ConsentRecord): Buffer | null {
    if (entry.kind === 'consent-record') return null;
    // The sender writes a sent entry for every SMS: try that form first.
    return encodeSentEntry(entry) ?? encodeReceiptEntry(entry) ?? encodeConsentSms(entry, consent);
  }

  private bytes(entry: StoredEntry): Buffer {
    return this.compact(entry) ?? this.packed([entry]);
  }

  /** An entry as stored: its length (2 bytes, big-endian), then the entry. */
  encode(entry: StoredEntry): Buffer {
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
   * `consent`: the consent record of the document written with them, whose SMS's entry is stored
   * by reference to it.
   */
  encodeAll(entries: readonly StoredEntry[], consent?: ConsentRecord): Buffer[] {
    const out: Buffer[] = [];
    let run: StoredEntry[] = [];
    const flush = (): void => {
      if (run.length > 1) {
        const bytes = this.packed(run);
        if (bytes.length <= MAX_ENTRY_BYTES) out.push(stored(bytes));
        else for (const e of run) out.push(this.encode(e));
      } else if (run.length === 1) out.push(this.encode(run[0] as StoredEntry));
      run = [];
    };
    for (const entry of entries) {
      const compact = this.compact(entry, consent);
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
   * What one stored entry holds (one entry, or a step's packed together), checked: a form or shape
   * the store never writes is GW_STORE_FORMAT. An SMS's entry stored by reference to its consent
   * record, and such a record, as they are stored (`resolved` puts them together).
   */
  private async items(raw: Buffer): Promise<Decoded[]> {
    const tag = raw[0];
    if (tag === SENT_TAG || tag === RUN_TAG || tag === CONSENT_SMS_TAG) {
      const entry =
        tag === SENT_TAG
          ? decodeSentEntry(raw)
          : tag === RUN_TAG
            ? decodeReceiptEntry(raw)
            : decodeConsentSms(raw);
      if (entry) return [entry];
      throw new GatewayError('GW_STORE_FORMAT', `stored timeline entry (tag ${tag}) is malformed`);
    }
    const value = checkedJson<StoredEntry | StoredEntry[]>(
      'timeline entry',
      ENTRIES,
      await this.text.unpack(raw),
    );
    return Array.isArray(value) ? value : [value];
  }

  /**
   * The timeline entries of what was stored, oldest first: an SMS's entry stored by reference
   * takes its text and template from the consent record of its smsId that a step stored, or else
   * from `consent`, the document's (its `consentTemplate` and `consentSmsId`); GW_STORE_FORMAT when
   * neither holds it.
   */
  private resolved(decoded: readonly Decoded[], consent: ConsentRecord | undefined): TimelineEntry[] {
    const records = new Map<string, ConsentRecord>();
    if (consent) records.set(consent.smsId, consent);
    for (const e of decoded) if (e.kind === 'consent-record') records.set(e.smsId, e);
    const entries: TimelineEntry[] = [];
    for (const e of decoded) {
      if (e.kind === 'consent-record') continue;
      if (e.kind !== 'consent-sms') {
        entries.push(e);
        continue;
      }
      const record = records.get(e.smsId);
      if (!record)
        throw new GatewayError(
          'GW_STORE_FORMAT',
          `stored sms entry ${e.smsId} has no consent record to read`,
        );
      entries.push(consentSms(e, record));
    }
    return entries;
  }

  /** The entries of one stored entry (one, or a step's packed together), checked (`decodeAll`). */
  async decode(raw: Buffer, consent?: ConsentRecord): Promise<TimelineEntry[]> {
    return this.resolved(await this.items(raw), consent);
  }

  /**
   * The timeline entries of one packed document (0x1F); none from any other form. The sent
   * entries a receipt looks for are compact or packed (store/sent-records.ts `sentPart`).
   */
  async decodePacked(raw: Buffer): Promise<TimelineEntry[]> {
    return raw[0] === PACKED ? this.decode(raw) : [];
  }

  /**
   * The entries of a stored timeline (`splitEntries`), oldest first, checked. `consent`: the
   * consent record of the document stored with them, which an SMS's entry stored by reference
   * reads unless a step stored that SMS's own record since (`resolved`).
   */
  async decodeAll(stored: Buffer, consent?: ConsentRecord): Promise<TimelineEntry[]> {
    const decoded = await Promise.all(splitEntries(stored).map((raw) => this.items(raw)));
    return this.resolved(decoded.flat(), consent);
  }

  /** Whether a stored timeline holds an SMS's entry stored by reference to its consent record. */
  static refersToConsent(stored: Buffer): boolean {
    return splitEntries(stored).some((raw) => raw[0] === CONSENT_SMS_TAG);
  }
}
