/**
 * One line of a conversation's timeline, as the agent console shows it: a union on `kind`.
 * `TIMELINE_ENTRY` checks an entry read back from Redis (store/timeline-codec.ts), so consumers
 * rely on the fields their kind names.
 */
import { z } from 'zod';
import type { Language } from '../dialogue/conversation.js';
import type { SmsEncoding } from '../sms/encoding.js';

interface Timed {
  /** Epoch ms. */
  readonly at: number;
}

/** The conversation moved between states (dialogue/engine.ts). */
export interface TransitionEntry extends Timed {
  readonly kind: 'transition';
  readonly from: string;
  readonly to: string;
  readonly stage: string;
  readonly cause: string;
}

/** A citizen's reply and how it was understood. */
export interface ReplyEntry extends Timed {
  readonly kind: 'reply';
  readonly text: string;
  readonly meaning: string;
  readonly accepted: boolean;
}

/** An event from a downstream system (POST /v1/events). */
export interface EventEntry extends Timed {
  readonly kind: 'event';
  readonly name: string;
  readonly detail: string;
}

/** A note: the gateway's own (an SMS not sent) or a person's (`by`), e.g. a supervisor's resend. */
export interface NoteEntry extends Timed {
  readonly kind: 'note';
  readonly text: string;
  /** The person who wrote it (agent console, resend). */
  readonly by?: string;
  readonly action?: 'resend';
  /** The SMS the note is about (a resend). */
  readonly smsId?: string;
}

/** An SMS rendered for the citizen, as it was queued. */
export interface SmsEntry extends Timed {
  readonly kind: 'sms';
  /** `<version>.<index>` within the conversation; `<smsId>r` for a second try through another carrier. */
  readonly smsId: string;
  readonly templateId: string;
  readonly language: Language;
  /** SHA-256 of the template version rendered. */
  readonly sha256: string;
  /** The template set (templates/sets/) it followed. */
  readonly set: string;
  readonly text: string;
  readonly parts: number;
  readonly encoding: SmsEncoding;
  readonly status: 'queued';
  /** Held for the sending window until this instant (epoch ms). */
  readonly heldUntil?: number;
  /** A supervisor's resend of this SMS. */
  readonly resendOf?: string;
  /** A second try, through another carrier, of this SMS. */
  readonly retryOf?: string;
  readonly avoidCarriers?: readonly string[];
}

export type SmsStatus =
  'sent' | 'delivered' | 'failed' | 'pending' | 'unknown' | 'wrong-network' | 'not-sent';

/**
 * What became of an SMS: `sent` (the SMSC accepted every part: `messageIds`, `encoding`), a
 * delivery receipt (`part` or, for several parts with one status, `partList`; `parts`, `stat`,
 * `err`), a refusal or a timeout (`reason`), a carrier's "not our subscriber" (`carrier`, and
 * `sentVia` the carrier that took it), `not-sent` (its stage was left before the SMSC took it: the
 * citizen answered the SMS before it; `reason`).
 */
export interface SmsStatusEntry extends Timed {
  readonly kind: 'sms-status';
  readonly smsId: string;
  readonly status: SmsStatus;
  readonly messageIds?: readonly string[];
  readonly encoding?: SmsEncoding;
  /** On a sent entry: the SMS asks for consent (its receipts count in its campaign). */
  readonly asksConsent?: true;
  /** 0-based. */
  readonly part?: number;
  /** 0-based, ascending: the parts of a receipt run (store/receipt-entry.ts). */
  readonly partList?: readonly number[];
  readonly parts?: number;
  /** SMPP 3.4 Appendix B `stat`. */
  readonly stat?: string;
  readonly err?: string;
  readonly reason?: string;
  readonly carrier?: string;
  readonly sentVia?: string;
}

export type TimelineEntry = TransitionEntry | ReplyEntry | EventEntry | NoteEntry | SmsEntry | SmsStatusEntry;

export type TimelineKind = TimelineEntry['kind'];

/** The entry of one kind. */
export type EntryOf<K extends TimelineKind> = Extract<TimelineEntry, { readonly kind: K }>;

/** A filter for the entries of one kind. */
export const ofKind =
  <K extends TimelineKind>(kind: K) =>
  (e: TimelineEntry): e is EntryOf<K> =>
    e.kind === kind;

/** The SMS `smsId` of a timeline, as it was queued. */
export function smsEntry(timeline: readonly TimelineEntry[], smsId: string): SmsEntry | undefined {
  return timeline.find((e): e is SmsEntry => e.kind === 'sms' && e.smsId === smsId);
}

/** What became of the SMS `smsId`, oldest first. */
export function smsStatuses(timeline: readonly TimelineEntry[], smsId: string): SmsStatusEntry[] {
  return timeline.filter((e): e is SmsStatusEntry => e.kind === 'sms-status' && e.smsId === smsId);
}

/** The entry saying the SMSC accepted the SMS `smsId` (its time starts deadlines and `sent`). */
export function sentEntry(timeline: readonly TimelineEntry[], smsId: string): SmsStatusEntry | undefined {
  return smsStatuses(timeline, smsId).find((e) => e.status === 'sent');
}

/** The fields of an SMS's entry that say what was sent: its id, template, language, set and text. */
export const SMS_TEXT_FIELDS = {
  smsId: z.string(),
  templateId: z.string(),
  language: z.enum(['kk', 'ru']),
  sha256: z.string(),
  set: z.string(),
  text: z.string(),
};

const at = z.number();
const encoding = z.enum(['gsm7', 'ucs2']);
const count = z.number().int().nonnegative();

/** The shape of every kind (unknown fields are dropped; a missing or mistyped one is an error). */
export const TIMELINE_ENTRY: z.ZodType<TimelineEntry> = z.discriminatedUnion('kind', [
  z.object({
    at,
    kind: z.literal('transition'),
    from: z.string(),
    to: z.string(),
    stage: z.string(),
    cause: z.string(),
  }),
  z.object({ at, kind: z.literal('reply'), text: z.string(), meaning: z.string(), accepted: z.boolean() }),
  z.object({ at, kind: z.literal('event'), name: z.string(), detail: z.string() }),
  z.object({
    at,
    kind: z.literal('note'),
    text: z.string(),
    by: z.string().exactOptional(),
    action: z.literal('resend').exactOptional(),
    smsId: z.string().exactOptional(),
  }),
  z.object({
    at,
    kind: z.literal('sms'),
    ...SMS_TEXT_FIELDS,
    parts: count,
    encoding,
    status: z.literal('queued'),
    heldUntil: z.number().exactOptional(),
    resendOf: z.string().exactOptional(),
    retryOf: z.string().exactOptional(),
    avoidCarriers: z.array(z.string()).exactOptional(),
  }),
  z.object({
    at,
    kind: z.literal('sms-status'),
    smsId: z.string(),
    status: z.enum(['sent', 'delivered', 'failed', 'pending', 'unknown', 'wrong-network', 'not-sent']),
    messageIds: z.array(z.string()).exactOptional(),
    encoding: encoding.exactOptional(),
    asksConsent: z.literal(true).exactOptional(),
    part: count.exactOptional(),
    partList: z.array(count).exactOptional(),
    parts: count.exactOptional(),
    stat: z.string().exactOptional(),
    err: z.string().exactOptional(),
    reason: z.string().exactOptional(),
    carrier: z.string().exactOptional(),
    sentVia: z.string().exactOptional(),
  }),
]);
