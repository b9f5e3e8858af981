/**
 * Every JSON value read back from Redis is checked here, once, at the store's edge: a value of a
 * shape the store never writes is GW_STORE_FORMAT naming what and where, never a cast that fails
 * later in core. The schemas check what the gateway relies on (identity, routing, the fields it
 * branches on); the rest of a conversation's document is its dialogue state, written only by
 * `commit`.
 */
import { z } from 'zod';
import { GatewayError } from '../common/errors.js';
import type { Conversation } from '../dialogue/conversation.js';
import { smsOutJob } from '../queues/jobs.js';
import { outcomeJob } from '../queues/outcomes.js';
import { STATES } from '../services/schema.js';

const conversation = z.looseObject({
  id: z.string().min(1),
  service: z.string(),
  externalId: z.string(),
  msisdn: z.string(),
  language: z.enum(['kk', 'ru']),
  state: z.enum(STATES),
  stage: z.string(),
  version: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
  deadline: z.number().nullable(),
  deadlineOnSent: z.string().nullable().optional(),
  deadlineSms: z.string().optional(),
  consentSmsId: z.string().optional(),
});

/**
 * An outbox entry as stored (store/outbox.ts `StoredOutboxEntry`, `outboxJson`): an SMS without its
 * text (the timeline keeps it); one with a text is of no form the store writes.
 */
export const OUTBOX_ENTRY = z.discriminatedUnion('t', [
  smsOutJob
    .omit({ conversationId: true, avoidCarriers: true, queuedAt: true, paceSlot: true, text: true })
    .extend({ t: z.literal('sms') })
    .strict(),
  z.object({ t: z.literal('assignment') }),
  z.object({ t: z.literal('outcome'), job: outcomeJob }),
  z.object({ t: z.literal('deadline'), at: z.number().nullable() }),
  z.object({ t: z.literal('index') }),
  z.object({ t: z.literal('unsend'), smsId: z.string() }),
]);

/** A step's entries in a batch's outbox (store/lua/commit-many-n.lua): a JSON array of outbox entries. */
export const OUTBOX_BATCH_ENTRIES = z.array(OUTBOX_ENTRY).min(1);

/** A conversation's outbox set aside (store/outbox.ts `SetAside`). */
export const OUTBOX_SET_ASIDE = z.object({
  v: z.literal(1),
  since: z.number(),
  at: z.number(),
  tries: z.number().int(),
  error: z.string(),
  from: z.enum(['outbox', 'batch']),
});

const partialSms = z.object({
  ref: z.number().int(),
  accepted: z.array(z.object({ index: z.number().int().nonnegative(), messageId: z.string() })),
  o: z.string(),
});

/** `json` parsed and checked against `schema`; GW_STORE_FORMAT naming `what` otherwise. */
export function checkedJson<T>(what: string, schema: z.ZodType, json: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new GatewayError('GW_STORE_FORMAT', `stored ${what} is not JSON`, undefined, { cause: err });
  }
  const checked = schema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new GatewayError('GW_STORE_FORMAT', `stored ${what}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return checked.data as T;
}

/** A conversation's document (JSON of `Conversation`). */
export const checkedConversation = (json: string): Conversation =>
  checkedJson('conversation', conversation, json);
/** The resume JSON of a partly sent SMS, with the job finishing it (`o`). */
export const checkedPartialSms = (json: string): z.infer<typeof partialSms> =>
  checkedJson('SMS record', partialSms, json);
