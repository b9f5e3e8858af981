/**
 * The `outcomes` queue (CONTRACT.md, "Downstream queue"): one job per outcome of a conversation,
 * never two for the same one (job id `<conversationId>.<outcome>`). A persisted, public format:
 * job name `outcome.v1`; change the shape by adding `outcome.v2`, never by editing this one.
 * Carries what the outcome needs and no more personal data: no MSISDN, no names, no SMS texts.
 */
import { z } from 'zod';
import { STATES } from '../services/schema.js';
import { REJECTION_REASON_CODES } from './decisions.js';

/** What happened to the invitation's SMS (the first SMS that asks for consent). */
export const DELIVERY_OUTCOMES = ['sent', 'delivered'] as const;
/**
 * Every outcome: the delivery ones, and every conversation state a transition can reach except
 * the ones a dialogue passes through before anything happened (`invited`, `waiting`).
 */
export const OUTCOMES = [
  ...DELIVERY_OUTCOMES,
  ...STATES.filter((s) => s !== 'invited' && (s as string) !== 'waiting'),
] as const;
export type OutcomeName = (typeof OUTCOMES)[number];
export const OUTCOME_NAMES: readonly string[] = OUTCOMES;

/** Matches the API's times: the Almaty wall clock with its offset. */
const localTime = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?[+-]\d\d:\d\d$/)
  .meta({
    description: 'ISO 8601 on the Almaty clock with the offset',
    example: '2026-11-24T11:00:00+05:00',
  });

const bank = z.object({ code: z.string(), nameKk: z.string(), nameRu: z.string() });

export const outcomeJob = z
  .object({
    /** Version of this shape; the job name says it too. */
    v: z.literal(1),
    conversationId: z.string(),
    service: z.string(),
    externalId: z.string(),
    /** The conversation's state when it happened. */
    state: z.enum(STATES),
    outcome: z.enum(OUTCOMES as unknown as [OutcomeName, ...OutcomeName[]]),
    at: localTime,
    /** The campaign the invitation came with, when it had one. */
    campaign: z.string().optional(),
    /** `consented`, `assigned`: the bank the consent names (null when the service has none). */
    bank: bank.nullable().optional(),
    /** `undeliverable`, `delivered`: the carrier's receipt state (`UNDELIV`, `DELIVRD`…) and error code. */
    carrier: z.object({ stat: z.string(), err: z.string().optional() }).optional(),
    /** `rejected`: the reason code the deciding system gave (docs/integration.md, "Decisions"). */
    reason: z.enum(REJECTION_REASON_CODES).optional(),
    /** When the conversation's next deadline falls, if one runs (`awaiting_account`). */
    deadline: localTime.optional(),
    /**
     * Present, and true, on the outcomes of a test key's conversations, which never reached a carrier
     * (docs/integration.md, "Test keys"); absent on real ones.
     */
    test: z.literal(true).optional(),
  })
  .meta({ title: 'outcome.v1', description: 'One outcome of a conversation (the `outcomes` queue)' });
export type OutcomeJob = z.infer<typeof outcomeJob>;
export const OUTCOME_JOB_NAME = 'outcome.v1';

/** The job id: the same on every retry, for consumers to process idempotently. */
export const outcomeJobId = (conversationId: string, outcome: string): string =>
  `${conversationId}.${outcome}`;

/**
 * A completed outcome job is removed this long after the consumer completed it: a replay is
 * recognised by the conversation's mark (store/outcome-marks.ts), and by the job id only in
 * the instant between the add and the mark. Consumers remove nothing themselves.
 */
export const OUTCOME_KEEP_SECONDS = 3600;
/**
 * Failed outcome jobs (the consumer threw) are kept for the consumer to look into and retry:
 * 30 days, and at most this many, so a consumer that fails every job cannot fill Redis.
 */
export const OUTCOME_FAILED_KEEP = { age: 30 * 86_400, count: 100_000 } as const;
/** Entries of the `outcomes` queue's event stream (BullMQ keeps 10,000 by default). */
export const OUTCOME_EVENTS_MAX_LEN = 1000;
