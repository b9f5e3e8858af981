/**
 * A conversation: one invitation to one citizen and everything after it.
 * Stored as one JSON document per conversation (store/conversations.ts); the
 * field names are a persisted format: add fields, do not rename them.
 */
import type { State } from '../services/schema.js';

export type Language = 'kk' | 'ru';

/** A bank as upstream systems send it (CONTRACT.md, invitation params). */
export interface Bank {
  readonly code: string;
  readonly nameKk: string;
  readonly nameRu: string;
  /** https link for opening an account there (003, Appendix 3), when the upstream system gives one. */
  readonly link?: string | undefined;
}

/** The SMS whose text a consent answers: the legal record (CONTRACT.md, "Downstream queue"). */
export interface ConsentTemplate {
  readonly id: string;
  readonly language: Language;
  readonly sha256: string;
  /** The rendered SMS as sent. */
  readonly text: string;
  /** How the text relates to the act: `verbatim`, `translation` or `composed` (the template's header). */
  readonly wording: 'verbatim' | 'translation' | 'composed';
  /** The template set it followed (templates/sets/): the act and its version. */
  readonly set: TemplateSetRef;
}

/** A template set as a conversation records it: its id and the SHA-256 of its version. */
export interface TemplateSetRef {
  readonly id: string;
  readonly sha256: string;
}

export interface ReplyRecord {
  readonly text: string;
  /** Epoch ms. */
  readonly receivedAt: number;
  readonly smscMessageId: string;
}

export interface Conversation {
  readonly id: string;
  readonly service: string;
  readonly externalId: string;
  readonly msisdn: string;
  readonly language: Language;
  readonly state: State;
  /** The service's stage (services/<id>.json); several stages may share a contract state. */
  readonly stage: string;
  /** Incremented by every committed transition: the compare-and-set guard. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /**
   * Epoch ms, exclusive: a reply at t counts iff t < deadline. Null when nothing is awaited, and
   * while the stage's SMS waits for the SMSC to accept it (`deadlineOnSent`).
   */
  readonly deadline: number | null;
  /**
   * Epoch ms the deadline counts from: when the SMSC accepted every part of the stage's SMS, or
   * the start of the day a `from` param names (004: the day the data reached the portal).
   */
  readonly deadlineFrom?: number | null;
  /** The stage whose deadline starts once its SMS is accepted by the SMSC; null when none waits. */
  readonly deadlineOnSent?: string | null;
  /**
   * The smsId of the SMS whose acceptance starts `deadlineOnSent`'s deadline. Its sent entry in
   * the timeline then holds when the deadline counts from: the store reads the conversation with
   * that deadline started (store/conversations.ts), before any step writes it into the document.
   */
  readonly deadlineSms?: string;
  /** Invitation params as validated for the service. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The numbered list the last offer showed: `{code}#3#1{n}` means offered[n-1]. */
  readonly offered: readonly Bank[];
  /** The bank the consent names. */
  readonly bank: Bank | null;
  readonly consentedAt: number | null;
  readonly consentReply: ReplyRecord | null;
  /** The last SMS that asked for consent, as rendered and sent. */
  readonly consentTemplate: ConsentTemplate | null;
  /**
   * The smsId of that SMS: its timeline entry is stored by reference to `consentTemplate`, which
   * holds the same text (store/consent-sms-entry.ts).
   */
  readonly consentSmsId?: string;
  /** Help SMS sent for replies that were not understood (rate limit). */
  readonly helpSent: number;
  readonly lastHelpAt: number | null;
  /**
   * The template set in force the day the invitation was sent: every SMS of the conversation follows it
   * to the end (templates/sets.ts). Null only before the first step.
   */
  readonly templateSet: TemplateSetRef | null;
  /** Campaign the invitation came with, for progress counters. */
  readonly campaign: string | null;
  /** Keys of upstream events already applied: a repeated event changes nothing. */
  readonly appliedEvents: readonly string[];
  /**
   * Where the conversation stood when its deadline ended it: a reply the SMSC delivered before
   * that deadline still counts when it is processed after the sweep (the citizen answered in time).
   */
  readonly lapsed?: { readonly stage: string; readonly deadline: number } | null;
  /** The downstream decision (`assigned` or `rejected`, with a rejection's reason code) and its time. */
  readonly decision?: Decision | null;
  /** The smsId of the conversation's first SMS, the invitation: its sending and delivery are outcomes. */
  readonly invitationSmsId?: string | null;
  /** The carrier's receipt that made the invitation undeliverable: its state and error code. */
  readonly delivery?: { readonly stat: string; readonly err?: string } | null;
}

export interface Decision {
  readonly outcome: string;
  readonly reason: string | null;
  /** Epoch ms. */
  readonly at: number;
}

/** What identifies a new conversation; everything else starts empty (see {@link newConversation}). */
export type ConversationSeed = Pick<
  Conversation,
  'id' | 'service' | 'externalId' | 'msisdn' | 'language' | 'params' | 'createdAt'
> &
  Partial<Conversation>;

/** A conversation before its first step: no stage yet, version -1 (not stored). */
export function newConversation(seed: ConversationSeed): Conversation {
  return {
    state: 'invited',
    stage: '',
    version: -1,
    updatedAt: seed.createdAt,
    deadline: null,
    offered: [],
    bank: null,
    consentedAt: null,
    consentReply: null,
    consentTemplate: null,
    templateSet: null,
    helpSent: 0,
    lastHelpAt: null,
    campaign: null,
    appliedEvents: [],
    ...seed,
  };
}

/** States after which no reply counts and no deadline fires. */
export function isOpen(conversation: Pick<Conversation, 'state'>): boolean {
  return conversation.state === 'invited' || conversation.state === 'awaiting_account';
}
