/**
 * The shape of a proactive service, as data (001 items 4.7-4.8:
 * a new proactive service is configuration and templates, not code). A service
 * file names its stages; each stage has a contract state, the template it sends
 * on entry, the numbered list it offers, a deadline, and rules for replies,
 * events and the deadline. The dialogue engine (dialogue/engine.ts) runs it.
 */
import { z } from 'zod';
import { MAX_SMS_PARTS } from '../sms/encoding.js';

/** Contract states (CONTRACT.md, "Conversation states"). DO NOT RENAME: persisted and public. */
export const STATES = [
  'waiting',
  'invited',
  'awaiting_account',
  'consented',
  'refused',
  'expired',
  'closed',
  'assigned',
  'rejected',
  'undeliverable',
] as const;
export type State = (typeof STATES)[number];

const stageId = z.string().regex(/^[a-z][a-z0-9-]*$/);
const templateId = z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/);

/**
 * A stage's term. It counts from when the SMSC accepted every part of the stage's SMS (003 item 10:
 * "с момента отправки SMS-сообщения"), or from the entry into a stage that sends nothing; `from`
 * names an invitation param holding the day it counts from instead (004 item 10: the day the
 * programme data reached the portal, `YYYY-MM-DD`).
 */
const from = { from: z.string().min(1).optional() };
export const deadlineSchema = z.union([
  z.object({ workingDays: z.number().int().positive(), ...from }),
  z.object({ calendarDays: z.number().int().positive(), ...from }),
  z.object({ months: z.number().int().positive(), ...from }),
]);
export type DeadlineSpec = z.infer<typeof deadlineSchema>;

const replyRule = z.object({
  /** The answer digit after `#3#` (the parser reports digits; their meaning is here). */
  answer: z.number().int().min(0).max(9),
  /**
   * The choice number after the answer digit (`123#3#12`): `none` (must be absent), or `required`
   * (1..length of the offered list; 003, Appendix 2).
   */
  choice: z.enum(['none', 'required']).default('none'),
  /** The stage to go to. */
  goto: stageId,
  /** This reply is the citizen's consent (Law on personal data, art. 8): a job goes to `assignments`. */
  consent: z.boolean().default(false),
  /** Which bank the consent names: the chosen one from the offered list, or the only one offered. */
  bank: z.enum(['chosen', 'only', 'none']).default('none'),
  /** What an agent reads in the timeline, e.g. "agrees, bank no. {n}". */
  meaning: z.string().min(1),
});

const eventRule = z.object({
  goto: stageId,
  /** `account-opened` carries a bank: offer it in the next stage (003, item 10). */
  offerEventBank: z.boolean().default(false),
});

const stageSchema = z.object({
  state: z.enum(STATES),
  /** Template sent on entering the stage (templates/{kk,ru}/<id>.hbs). */
  send: templateId.optional(),
  /** The numbered list this stage offers: a params field (`banks`, `integratedBanks`) or `event` (kept from the event). */
  offer: z.string().min(1).optional(),
  deadline: deadlineSchema.optional(),
  onDeadline: z.object({ goto: stageId }).optional(),
  replies: z.array(replyRule).default([]),
  /**
   * Upstream events this stage takes, by name; `name:outcome` (`decision:rejected`) takes only
   * that outcome and is looked up before the bare name.
   */
  events: z.record(z.string().regex(/^[a-z][a-z-]*(:[a-z][a-z-]*)?$/), eventRule).default({}),
  /** No further reply or deadline; the conversation is kept for RETENTION_DAYS, then expires. */
  final: z.boolean().default(false),
  /** The SMS sent on entry asks for consent: its text is the one the consent record proves. */
  asksConsent: z.boolean().default(false),
});

/** `date`: a calendar day `YYYY-MM-DD` (Almaty), e.g. the day a deadline counts from. */
const paramType = z.enum(['text', 'code', 'banks', 'banks?', 'text?', 'date']);

const startSchema = z.union([
  stageId,
  /** Choose the first stage by the length of a list param (003 item 9: one bank, several, none). */
  z.object({ byCount: z.string(), none: stageId, one: stageId, many: stageId }),
]);

export const serviceSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    /** Where the texts, codes and deadlines come from (document, items, appendices). */
    source: z.string().min(1),
    /** Invitation params and their types (templates/var-types.ts names the same types). */
    params: z.record(z.string(), paramType),
    reply: z.object({
      /** The question number in `{code}#3#1`. */
      question: z.number().int().min(0).max(99),
      /** The params field holding the service code the citizen types first, or null (002 replies `3#1`). */
      codeParam: z.string().nullable(),
    }),
    /**
     * A few words naming one request in the "which request?" SMS, per language; `{param}` is
     * replaced by that invitation param (a school-meals request names the child).
     */
    label: z.object({ kk: z.string().min(1), ru: z.string().min(1) }).optional(),
    /**
     * The most SMS parts one message of this service may take once rendered with the caller's values: a
     * rendering that would take more is refused with a 400 naming the field, before anything is queued.
     */
    maxParts: z.number().int().min(1).max(MAX_SMS_PARTS),
    /** Recipients in order of priority when an invitation lists several (002, item 9). */
    recipientPriority: z.array(z.string()).optional(),
    start: startSchema,
    stages: z.record(stageId, stageSchema),
  })
  .superRefine((service, ctx) => {
    const ids = new Set(Object.keys(service.stages));
    const check = (target: string, where: string): void => {
      if (!ids.has(target))
        ctx.addIssue({ code: 'custom', message: `${where} goes to unknown stage "${target}"` });
    };
    if (typeof service.start === 'string') check(service.start, 'start');
    else for (const k of ['none', 'one', 'many'] as const) check(service.start[k], `start.${k}`);
    for (const [id, stage] of Object.entries(service.stages)) {
      stage.replies.forEach((r, i) => check(r.goto, `stages.${id}.replies[${i}]`));
      for (const [ev, rule] of Object.entries(stage.events)) check(rule.goto, `stages.${id}.events.${ev}`);
      if (stage.onDeadline) check(stage.onDeadline.goto, `stages.${id}.onDeadline`);
      if (stage.deadline && !stage.onDeadline) {
        ctx.addIssue({ code: 'custom', message: `stages.${id} has a deadline but no onDeadline` });
      }
      if (stage.final && (stage.deadline || stage.replies.length)) {
        ctx.addIssue({ code: 'custom', message: `stages.${id} is final but has a deadline or replies` });
      }
    }
  });

export type ServiceDefinition = z.infer<typeof serviceSchema>;
export type StageDefinition = ServiceDefinition['stages'][string];
export type ReplyRule = StageDefinition['replies'][number];
