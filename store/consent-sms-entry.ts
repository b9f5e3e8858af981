/**
 * The compact stored form of the timeline's `sms` entry of the SMS that asks consent: its text,
 * template, language, template hash and set are those of the conversation's consent record (the
 * document's `consentTemplate`, whose `consentSmsId` names this SMS), which the document holds
 * anyway as the legal record (CONTRACT.md, `assignments`). The rendered SMS is then deflated once
 * per invitation instead of twice (docs/performance.md), and the entry is written without
 * compression.
 *
 * Tag 0x1A (version 1; docs/storage.md), `at` (6 bytes, big-endian), a byte of flags (bit 0 the
 * encoding: 0 gsm7, 1 ucs2; bit 1 `heldUntil` follows), parts (1 byte), the smsId after its length
 * (1 byte), UTF-8, then `heldUntil` (6 bytes) when flagged. A step that names another SMS in the
 * document (a later offer asking consent again) writes the record this entry stood on among its own
 * packed entries (`ConsentRecord`, store/timeline-codec.ts). Any other `sms` entry (a resend, a
 * second try, one whose fields are not exactly the record's) is stored as a packed document (0x1F).
 */
import type { ConsentTemplate } from '../dialogue/conversation.js';
import type { SmsEntry, TimelineEntry } from './timeline-entry.js';

/** The entry's tag (the file's comment). */
export const CONSENT_SMS_TAG = 0x1a;
const HEAD = 9;
const ENCODINGS = ['gsm7', 'ucs2'] as const;
const HELD = 0x02;
const FIELDS = new Set([
  'at',
  'kind',
  'smsId',
  'templateId',
  'language',
  'sha256',
  'set',
  'text',
  'parts',
  'encoding',
  'status',
]);

/**
 * What an SMS's entry takes from its consent record; `smsId` names the SMS. Stored as a packed
 * entry of kind `consent-record` once the document names another SMS.
 */
export interface ConsentRecord extends Pick<
  SmsEntry,
  'smsId' | 'templateId' | 'language' | 'sha256' | 'set' | 'text'
> {
  readonly kind: 'consent-record';
}

/** The consent record of SMS `smsId` that `template` is (a conversation's `consentTemplate`). */
export function consentRecord(smsId: string, template: ConsentTemplate): ConsentRecord {
  const { id: templateId, language, sha256, set, text } = template;
  return { kind: 'consent-record', smsId, templateId, language, sha256, set: set.id, text };
}

/** An `sms` entry in the compact form, before its record fills it in. */
export interface ConsentSmsRef {
  readonly kind: 'consent-sms';
  readonly at: number;
  readonly smsId: string;
  readonly parts: number;
  readonly encoding: SmsEntry['encoding'];
  readonly heldUntil?: number;
}

const isU48 = (n: number): boolean => Number.isSafeInteger(n) && n >= 0 && n < 2 ** 48;

/** An `sms` entry with no other field than `heldUntil`, exactly `record`'s SMS, within the form's bounds. */
function fits(entry: TimelineEntry, record: ConsentRecord): entry is SmsEntry {
  if (entry.kind !== 'sms' || entry.smsId !== record.smsId) return false;
  const keys = Object.keys(entry).filter((k) => k !== 'heldUntil');
  return (
    keys.length === FIELDS.size &&
    keys.every((k) => FIELDS.has(k)) &&
    entry.status === 'queued' &&
    entry.templateId === record.templateId &&
    entry.language === record.language &&
    entry.sha256 === record.sha256 &&
    entry.set === record.set &&
    entry.text === record.text &&
    isU48(entry.at) &&
    (entry.heldUntil === undefined || isU48(entry.heldUntil)) &&
    Number.isInteger(entry.parts) &&
    entry.parts >= 0 &&
    entry.parts < 256 &&
    Buffer.byteLength(entry.smsId) < 256
  );
}

/** The compact form of the `sms` entry of `record`'s SMS, or null when `entry` is not exactly that. */
export function encodeConsentSms(entry: TimelineEntry, record: ConsentRecord | undefined): Buffer | null {
  if (!record || !fits(entry, record)) return null;
  const smsId = Buffer.from(entry.smsId, 'utf8');
  const held = entry.heldUntil !== undefined;
  const out = Buffer.allocUnsafe(HEAD + 1 + smsId.length + (held ? 6 : 0));
  out[0] = CONSENT_SMS_TAG;
  out.writeUIntBE(entry.at, 1, 6);
  out[7] = ENCODINGS.indexOf(entry.encoding) | (held ? HELD : 0);
  out[8] = entry.parts;
  out[HEAD] = smsId.length;
  out.set(smsId, HEAD + 1);
  if (entry.heldUntil !== undefined) out.writeUIntBE(entry.heldUntil, HEAD + 1 + smsId.length, 6);
  return out;
}

/** The entry of the compact form without its record's fields, or null when `raw` is not a well-formed one. */
export function decodeConsentSms(raw: Buffer): ConsentSmsRef | null {
  const flags = raw[7] ?? 0xff;
  const encoding = ENCODINGS[flags & 1];
  if (raw[0] !== CONSENT_SMS_TAG || raw.length < HEAD + 1 || encoding === undefined || flags > 3) return null;
  const smsIdEnd = HEAD + 1 + (raw[HEAD] as number);
  const held = (flags & HELD) !== 0;
  if (raw.length !== smsIdEnd + (held ? 6 : 0)) return null;
  return {
    kind: 'consent-sms',
    at: raw.readUIntBE(1, 6),
    smsId: raw.toString('utf8', HEAD + 1, smsIdEnd),
    parts: raw[8] as number,
    encoding,
    ...(held ? { heldUntil: raw.readUIntBE(smsIdEnd, 6) } : {}),
  };
}

/** The `sms` entry `ref` stands for, its text and template from `record`. */
export function consentSms(ref: ConsentSmsRef, record: ConsentRecord): SmsEntry {
  return {
    at: ref.at,
    kind: 'sms',
    smsId: ref.smsId,
    templateId: record.templateId,
    language: record.language,
    sha256: record.sha256,
    set: record.set,
    text: record.text,
    parts: ref.parts,
    encoding: ref.encoding,
    status: 'queued',
    ...(ref.heldUntil !== undefined ? { heldUntil: ref.heldUntil } : {}),
  };
}
