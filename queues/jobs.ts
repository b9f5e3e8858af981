/**
 * Job payloads, validated where they are read (a job outlives the code that
 * wrote it). Versioned by name: change a shape by adding a new job name.
 */
import { z } from 'zod';
import { STATES } from '../services/schema.js';

const language = z.enum(['kk', 'ru']);
const bank = z.object({ code: z.string(), nameKk: z.string(), nameRu: z.string() });

/** `assignments` (CONTRACT.md, "Downstream queue"). Job name `consent.v1`. */
export const assignmentJob = z.object({
  conversationId: z.string(),
  service: z.string(),
  externalId: z.string(),
  msisdn: z.string(),
  language,
  bank: bank.nullable(),
  /** ISO 8601 on the Almaty clock with the offset (`2026-11-24T11:00:00+05:00`), as the API's times. */
  consentedAt: z.string(),
  reply: z.object({ text: z.string(), receivedAt: z.string(), smscMessageId: z.string() }),
  /**
   * The SMS the consent answers: template id, language, SHA-256 of the template file, the text as sent,
   * how that text relates to the act (`verbatim`, `translation`, `composed`) and the template set it
   * followed (templates/sets/: the act, and the SHA-256 of the set's version).
   */
  consentTemplate: z.object({
    id: z.string(),
    language,
    sha256: z.string(),
    text: z.string(),
    wording: z.enum(['verbatim', 'translation', 'composed']),
    set: z.object({ id: z.string(), sha256: z.string() }),
  }),
});
export type AssignmentJob = z.infer<typeof assignmentJob>;
export const ASSIGNMENT_JOB_NAME = 'consent.v1';

/** `sms-out`: one SMS (all its parts). Job name `sms.v1`, job id `<conversationId>.<smsId>`. */
export const smsOutJob = z.object({
  conversationId: z.string(),
  smsId: z.string(),
  to: z.string(),
  text: z.string(),
  templateId: z.string(),
  /** The SMS asks for consent: a failed delivery makes the conversation undeliverable. */
  asksConsent: z.boolean(),
  /** The invitation's campaign, for progress counters. */
  campaign: z.string().optional(),
  /** A notice the citizen did not ask for (SEND_WINDOW): its validity ends with the window. */
  notice: z.boolean().optional(),
  /** The stage's deadline counts from the SMSC's acceptance of this SMS (all its parts). */
  startsDeadline: z.boolean().optional(),
  /**
   * The stage waiting for this SMS, as its step committed the conversation at `version`: the
   * sender indexes the deadline the acceptance starts with the SMS's sent entry while the
   * conversation is still at that version (gateway/core/sent-writes.ts), without reading it.
   */
  deadlineStage: z.object({ service: z.string(), stage: z.string(), version: z.number().int() }).optional(),
  /** Set on the conversation's first SMS: its acceptance is the `sent` outcome (queues/outcomes.ts). */
  invitation: z.object({ service: z.string(), externalId: z.string(), state: z.enum(STATES) }).optional(),
  /** Carriers that said the number is not theirs: a second try goes elsewhere (gateway/core/replies.ts). */
  avoidCarriers: z.array(z.string()).optional(),
  /** Epoch ms of its first hand-over when it moved to a job of its own: its age counts from then. */
  queuedAt: z.number().optional(),
  /** The send time (epoch ms) reserved for it by its campaign's pace (gateway/core/pace.ts). */
  paceSlot: z.number().optional(),
});
export type SmsOutJob = z.infer<typeof smsOutJob>;
export const SMS_JOB_NAME = 'sms.v1';

/**
 * `sms-out`: several SMS handed over together (gateway/core/sms-handover.ts). A BullMQ job
 * costs far more CPU than the SMPP submit itself (docs/performance.md); a batch shares that
 * cost. Job name `sms-batch.v1`, job id BullMQ's own.
 */
export const smsBatchJob = z.object({ sms: z.array(smsOutJob).min(1) });
export const SMS_BATCH_JOB_NAME = 'sms-batch.v1';

/** The SMS an `sms-out` job carries, whichever its name (validated). */
export function smsOfJob(job: { readonly name: string; readonly data: unknown }): SmsOutJob[] {
  return job.name === SMS_BATCH_JOB_NAME ? smsBatchJob.parse(job.data).sms : [smsOutJob.parse(job.data)];
}

/** `inbound`: a citizen's reply (reassembled) or a delivery receipt. */
export const replyJob = z.object({
  from: z.string(),
  to: z.string(),
  text: z.string(),
  /** Epoch ms when the SMSC's deliver_sm (last part) reached us. */
  receivedAt: z.number(),
  /** SMSC reference of the MO if the carrier gives one (receipted_message_id or our own hash). */
  smscMessageId: z.string(),
  /** The carrier whose SMSC delivered it: where the number lives now. */
  carrier: z.string().optional(),
});
export type ReplyJob = z.infer<typeof replyJob>;
export const REPLY_JOB_NAME = 'reply.v1';

/**
 * `inbound`: the replies the edge stored in one event-loop turn (gateway/core/inbound.ts), in the
 * order received. A BullMQ job costs far more Redis work (add, take, finish, their events) than
 * deciding the reply in it (docs/performance.md); a batch shares that cost. Reply `i` of batch
 * job `n` is the stored copy `n.i` (gateway/core/workers.ts). Job name `replies.v1`, id BullMQ's own.
 */
export const replyBatchJob = z.object({ replies: z.array(replyJob).min(1) });
export const REPLY_BATCH_JOB_NAME = 'replies.v1';

/** The replies an `inbound` job carries, whichever its name (none for a receipt; validated). */
export function repliesOfJob(job: { readonly name: string; readonly data: unknown }): ReplyJob[] {
  if (job.name === REPLY_BATCH_JOB_NAME) return replyBatchJob.parse(job.data).replies;
  return job.name === REPLY_JOB_NAME ? [replyJob.parse(job.data)] : [];
}

export const receiptJob = z.object({
  smscMessageId: z.string(),
  /** The carrier whose SMSC sent it: message ids are unique per SMSC only. */
  carrier: z.string().optional(),
  /** DELIVRD, UNDELIV, EXPIRED, REJECTD, … */
  status: z.string(),
  errorCode: z.string().optional(),
  receivedAt: z.number(),
});
export type ReceiptJob = z.infer<typeof receiptJob>;
export const RECEIPT_JOB_NAME = 'receipt.v1';
