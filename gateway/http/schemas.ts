/**
 * The API's request and response shapes (CONTRACT.md, "HTTP API"), as zod
 * schemas: the routes parse with them and the OpenAPI document is generated
 * from them (gateway/http/openapi.ts), so the two cannot drift apart.
 * Longer than 300 lines: every request and response schema of the API, the OpenAPI document's one source.
 */
import { z } from 'zod';
import { normalizeMsisdn } from '../../common/msisdn.js';
import { STATES } from '../../services/schema.js';
import { PERSON_ROLES } from '../../store/api-keys.js';
import { AUDIT_ACTIONS } from '../../store/audit.js';
import { CAMPAIGN_FIELDS } from '../../store/campaigns.js';
import { VAR_TYPES } from '../../templates/var-types.js';
import { DECISION_OUTCOMES, REJECTION_REASON_CODES, type RejectionReason } from '../../queues/decisions.js';
import { OUTCOMES, type OutcomeName } from '../../queues/outcomes.js';

/** Entries of one batch: 10 000 fit well under the 5 MB body limit and answer within seconds. */
export const MAX_BATCH = 10_000;

/** A Kazakh MSISDN in any common spelling (`+7…`, `8…`, spaced), parsed to the canonical `7XXXXXXXXXX`. */
export const msisdnSchema = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const canonical = normalizeMsisdn(value);
    if (canonical === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is not a Kazakh phone number (7XXXXXXXXXX, +7…, 8…)' });
      return z.NEVER;
    }
    return canonical;
  })
  .meta({ description: 'Kazakh MSISDN: 77011234567, +7 701 123 45 67, 87011234567', example: '77011234567' });

const language = z.enum(['kk', 'ru']);
/** Conversation ids are lowercase base 36 (store/conversations.ts, newConversationId). */
export const conversationIdSchema = z.string().regex(/^[a-z0-9]{1,64}$/, 'is not a conversation id');
const campaignId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, . _ -');
/** The same rule as the templates' `bank` variable, so an event the API accepts always renders. */
const bank = VAR_TYPES.bank.schema;

const recipient = z.object({ role: z.string().min(1).max(32), msisdn: msisdnSchema });

/** One invitation: `msisdn`, or `recipients` chosen by the service's priority (002, item 9). */
export const invitationSchema = z
  .object({
    service: z.string().min(1).max(64),
    externalId: z.string().min(1).max(128),
    msisdn: msisdnSchema.optional(),
    recipients: z.array(recipient).min(1).max(10).optional(),
    language,
    params: z.record(z.string(), z.unknown()),
    campaign: campaignId.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.msisdn === undefined) === (v.recipients === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['msisdn'],
        message: 'give either msisdn or recipients (not both)',
      });
    }
  });
export type InvitationBody = z.output<typeof invitationSchema>;

/** A batch as the route reads it: entries are validated one by one, so a bad one fails alone. */
export const batchEnvelopeSchema = z.object({ invitations: z.array(z.unknown()).min(1).max(MAX_BATCH) });
/** The same batch as documented. */
export const batchSchema = z.object({ invitations: z.array(invitationSchema).min(1).max(MAX_BATCH) });

export const eventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('account-opened'),
    conversationId: conversationIdSchema,
    // The bank, or only its code: then one of the invitation's `integratedBanks` (events.ts).
    bank: z.union([bank, z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be a bank or its code')]),
  }),
  z
    .object({
      type: z.literal('decision'),
      conversationId: conversationIdSchema,
      outcome: z.enum(DECISION_OUTCOMES),
      params: z
        .object({
          // CONTRACT.md: "a rejection names its reason in params.reason". A code is kept; any other
          // text (one line, the names' rule) is the code `other`: the text stays in the deciding system.
          reason: z
            .union([
              z.enum(REJECTION_REASON_CODES),
              VAR_TYPES.text.schema.transform((): RejectionReason => 'other'),
            ])
            .optional(),
        })
        .catchall(z.unknown())
        .optional()
        .meta({
          description:
            'A rejection names its reason in `reason`: a code (docs/integration.md), else any text, recorded as `other`',
        }),
    })
    .superRefine((v, ctx) => {
      if (v.outcome === 'rejected' && v.params?.reason === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['params', 'reason'],
          message: `a rejection needs a reason: one of ${REJECTION_REASON_CODES.join(', ')}, or a line of text`,
        });
      if (v.outcome === 'assigned' && v.params?.reason !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['params', 'reason'],
          message: 'only a rejection has a reason',
        });
    }),
  z.object({
    type: z.literal('supplier-chosen'),
    conversationId: conversationIdSchema,
    supplier: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type EventBody = z.output<typeof eventSchema>;

/** Reasons an unmasking may name by code; anything else must be stated in words. */
export const UNMASK_REASON_CODES = [
  'citizen-call',
  'data-correction',
  'complaint',
  'legal-request',
  'delivery-failure',
] as const;
/** A stated reason: at least this many words of two letters or digits or more. */
export const UNMASK_REASON_MIN_WORDS = 3;
const REASON_RULE = `one of ${UNMASK_REASON_CODES.join(', ')}, or at least ${UNMASK_REASON_MIN_WORDS} words (e.g. "citizen called 1414, ticket 881")`;

const reasonSchema = z
  .string()
  .trim()
  .max(500)
  .refine(
    (r) =>
      (UNMASK_REASON_CODES as readonly string[]).includes(r) ||
      (r.match(/[\p{L}\p{N}]{2,}/gu) ?? []).length >= UNMASK_REASON_MIN_WORDS,
    `give a reason: ${REASON_RULE}`,
  );

const unmask = {
  unmask: z.enum(['true', 'false']).optional(),
  reason: reasonSchema.optional(),
};
function reasonWhenUnmasking(
  v: { unmask?: string | undefined; reason?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (v.unmask === 'true' && v.reason === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['reason'],
      message: `unmasking needs a reason: ${REASON_RULE}`,
    });
  }
}
export const viewQuerySchema = z.object(unmask).superRefine(reasonWhenUnmasking);
/** By phone number, or by the inviting system's reference (service and externalId together). */
export const searchQuerySchema = z
  .object({
    msisdn: msisdnSchema.optional(),
    service: z.string().min(1).max(64).optional(),
    externalId: z.string().min(1).max(128).optional(),
    ...unmask,
  })
  .superRefine((v, ctx) => {
    reasonWhenUnmasking(v, ctx);
    const byReference = v.service !== undefined || v.externalId !== undefined;
    if (v.msisdn !== undefined && byReference) {
      ctx.addIssue({
        code: 'custom',
        path: ['msisdn'],
        message: 'give msisdn, or service and externalId (not both)',
      });
    } else if (v.msisdn === undefined && !byReference) {
      ctx.addIssue({ code: 'custom', path: ['msisdn'], message: 'is required (or service and externalId)' });
    } else if (byReference && (v.service === undefined || v.externalId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.service === undefined ? 'service' : 'externalId'],
        message: 'service and externalId go together',
      });
    }
  });
export const worklistQuerySchema = z.object({
  cursor: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const worklistNameSchema = z.enum([
  'undelivered',
  'deadlines-today',
  'deadlines-tomorrow',
  'not-understood',
]);
export const resendSchema = z.object({
  smsId: z.string().regex(/^[0-9]{1,9}\.[0-9]{1,3}r?$/, 'is not an SMS id of the timeline (e.g. 1.0)'),
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(500),
});
export const noteSchema = z.object({ text: z.string().trim().min(1).max(1000) });
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  /** Only the entries about this conversation (a view, an unmasking, a resend, a note…). */
  conversationId: z.string().min(1).max(64).optional(),
  /** Only the entries of this person (`actor`). */
  actor: z.string().min(1).max(80).optional(),
});
export const campaignParamsSchema = z.object({ id: campaignId });
/** The path of GET /v1/invitations/{service}/{externalId}: the same bounds as the invitation's. */
export const invitationKeySchema = z.object({
  service: z.string().min(1).max(64),
  externalId: z.string().min(1).max(128),
});

/** A person's login or staff number, named in the audit log. */
const person = z
  .string()
  .regex(/^[A-Za-z0-9._@-]{2,64}$/, 'must be 2-64 letters, digits, . _ @ - (a login or staff number)');
export const keyCreateSchema = z.object({
  person,
  role: z.enum(PERSON_ROLES),
  /** The services this person works on (search and worklists show only these); all when left out. */
  services: z.array(z.string().min(1).max(64)).min(1).max(20).optional(),
});
export const keyIdSchema = z.string().regex(/^[0-9a-f]{12}$/, 'is not a key id');
export const keyRevokeSchema = z.object({
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(500),
});

// ---- Responses (documented; the tests parse real answers with them) ----

const state = z.enum(STATES);
/** Instants are ISO 8601 on the Almaty clock, with the offset: `2026-11-24T11:00:00+05:00`. */
const almatyTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+0[56]:00$/);
const localized = z.object({ kk: z.string(), ru: z.string() });

export const acceptedSchema = z.object({ conversationId: z.string(), state, created: z.boolean() });
export const batchResultSchema = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      conversationId: z.string().optional(),
      state: state.optional(),
      created: z.boolean().optional(),
      error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
    }),
  ),
});
export const invitationReadSchema = z.object({
  conversationId: z.string(),
  service: z.string(),
  externalId: z.string(),
  state,
  deadline: almatyTime.nullable(),
  createdAt: almatyTime,
  updatedAt: almatyTime,
  campaign: z.string().nullable(),
  outcomes: z.array(
    z.object({
      outcome: z.enum(OUTCOMES as unknown as [OutcomeName, ...OutcomeName[]]),
      at: almatyTime,
      carrier: z.object({ stat: z.string(), err: z.string().optional() }).optional(),
      reason: z.string().optional(),
    }),
  ),
});
export const eventResultSchema = z.object({
  conversationId: z.string(),
  state,
  result: z.enum(['applied', 'unchanged']),
  /** A rejection's reason as recorded: its code, `other` for a reason given as text. */
  reason: z.enum(REJECTION_REASON_CODES).optional(),
});

export const summarySchema = z.object({
  id: z.string(),
  service: z.string(),
  state,
  stage: z.string(),
  deadline: almatyTime.nullable(),
  /**
   * When the deadline began to count: the SMSC's acceptance of the stage's SMS (003 item 10), or
   * the day the programme data reached the portal (004 item 10). Null while nothing counts
   * (`waiting`, or the SMS not accepted yet).
   */
  deadlineFrom: almatyTime.nullable(),
  deadlineText: localized.nullable(),
  msisdn: z.string(),
  language,
  masked: z.boolean(),
  createdAt: almatyTime,
  updatedAt: almatyTime,
  campaign: z.string().nullable(),
  nextStep: localized,
  /** The stage in words ("предложен выбор из банков…"). */
  stageText: localized,
  /** What to tell a caller now: what happened, what they can do, each reply code with its meaning, days left. */
  script: z.object({
    happened: localized,
    can: localized,
    replies: z.array(z.object({ code: z.string(), meaning: localized })),
    daysLeft: localized.nullable(),
  }),
});
export const timelineEntrySchema = z
  .object({ at: almatyTime, kind: z.string() })
  .catchall(z.unknown())
  .meta({
    description:
      'kinds: transition, sms, sms-status, reply, event, note. `says` (kk, ru) is the entry in the ' +
      "agent's words (a reply's meaning, a transition's cause, an event); a transition's `stageSays` its stage. " +
      'An sms-status from delivery receipts ' +
      'names the SMS (smsId), its number of parts (parts), the status (delivered, failed, pending; ' +
      'wrong-network when a carrier said the number is not theirs and the SMS went once more, as ' +
      'the sms <smsId>r, through another carrier; unknown when no final receipt came in ' +
      'RECEIPT_TIMEOUT_HOURS; not-sent for an SMS whose stage the conversation left before the SMSC ' +
      'took it, the citizen having answered the SMS before it) and ' +
      "the SMSC's stat; consecutive receipts of one SMS with the same status and stat are one entry: " +
      'part (0-based) when it holds one part, partList (0-based, ascending) when several; at is the ' +
      'time of its latest receipt.',
  });
/** The act a template set names (templates/sets/); null for the gateway's own messages. */
const actRef = z.object({ number: z.string(), date: z.string(), appendix: z.string() }).nullable();
/** A template set as a conversation or an SMS cites it; `known` false when it is no longer loaded. */
export const templateSetRefSchema = z
  .object({
    id: z.string(),
    known: z.boolean(),
    act: actRef.optional(),
    inForce: z.object({ from: z.string(), until: z.string().nullable() }).optional(),
    sha256: z.string().nullable(),
  })
  .meta({
    description:
      'The template set (one per act, templates/sets/) the conversation started under and keeps to its end: ' +
      'the act (number, date, appendix), its days in force and the SHA-256 of the version recorded at the ' +
      'start. Each sms entry of the timeline carries templateSet too, with wording (verbatim, translation, ' +
      'composed) and changed (the loaded set differs from the version the SMS followed).',
  });
export const conversationSchema = summarySchema.extend({
  /** What to tell the citizen when the carrier never confirmed the invitation's delivery; null otherwise. */
  delivery: localized.nullable(),
  externalId: z.string(),
  templateSet: templateSetRefSchema.nullable(),
  timeline: z.array(timelineEntrySchema),
});
export const conversationListSchema = z.object({ conversations: z.array(summarySchema) });
export const worklistSchema = z.object({
  name: z.string(),
  /** The Almaty day of the list (YYYY-MM-DD). */
  day: z.string(),
  conversations: z.array(summarySchema),
  /** Give as `cursor` for the next page; null at the end. */
  next: z.string().nullable(),
});
export const versionSchema = z.object({
  id: z.string(),
  /** Changes whenever the conversation or its timeline does; nothing else is told. */
  version: z.string(),
});
export const meSchema = z.object({
  person: z.string(),
  role: z.string(),
  services: z.array(z.string()).nullable(),
});
export const auditListSchema = z.object({
  /**
   * With a filter: the offset to go on from, the entries scanned so far (null once the whole log is
   * read). A page may hold fewer entries than `limit`, even none, with a `next`.
   */
  next: z.number().int().nullable().optional(),
  entries: z.array(
    z.object({
      at: almatyTime,
      actor: z.string(),
      role: z.string(),
      /** The key's id (a person key's id, or an API_KEYS key's fingerprint). */
      keyId: z.string().optional(),
      action: z.enum(AUDIT_ACTIONS),
      conversationId: z.string().optional(),
      /** An unmasked search: the conversations it showed in full. */
      conversationIds: z.array(z.string()).optional(),
      msisdn: z.string().optional(),
      reason: z.string().optional(),
      count: z.number().optional(),
      service: z.string().optional(),
      externalId: z.string().optional(),
      list: z.string().optional(),
      smsId: z.string().optional(),
      status: z.number().int().optional(),
      path: z.string().optional(),
      address: z.string().optional(),
      targetKey: z.string().optional(),
      targetPerson: z.string().optional(),
      /** A created key's fingerprint: a refused attempt with the key once revoked names it as `keyId`. */
      targetFingerprint: z.string().optional(),
    }),
  ),
});
export const personKeySchema = z.object({
  id: z.string(),
  person: z.string(),
  role: z.enum(PERSON_ROLES),
  services: z.array(z.string()).nullable(),
  createdAt: almatyTime,
  createdBy: z.string(),
});
export const keyCreatedSchema = personKeySchema.extend({
  key: z.string().meta({ description: 'The key itself: shown this once, stored only as its SHA-256' }),
});
export const keyListSchema = z.object({ keys: z.array(personKeySchema) });
export const campaignSchema = z.object({
  id: z.string(),
  progress: z.object({
    ...Object.fromEntries(CAMPAIGN_FIELDS.map((f) => [f, z.number().int()])),
    /** Conversations of the campaign in each state now (states with none left out). */
    states: z.partialRecord(z.enum(STATES), z.number().int()),
    /**
     * The same per carrier (CARRIERS_FILE id; `default` for the SMPP_* setup): each conversation under
     * the carrier whose SMSC accepted its invitation (its second try's, when another carrier said
     * the number is not theirs); one whose invitation no SMSC accepted yet is in `states` only.
     */
    carriers: z.record(z.string(), z.object({ states: z.partialRecord(z.enum(STATES), z.number().int()) })),
  }),
  /** Invitations per minute (and per hour) the campaign is sent at; null: as fast as the binds allow. */
  pace: z.object({ perMinute: z.number(), perHour: z.number() }).nullable(),
  paused: z.boolean(),
  /** Invitations queued and not yet accepted or refused by an SMSC. */
  remaining: z.number().int(),
  /** When the last invitation should go at this pace (Almaty time); null when paused or not paced. */
  forecastEnd: almatyTime.nullable(),
});
/** A campaign's pace: `{ "perMinute": 50 }`, `{ "perHour": 3000 }`, or `{ "perMinute": null }` for none. */
export const campaignPaceSchema = z.union([
  z.object({ perMinute: z.number().positive().max(100_000).nullable() }).strict(),
  z.object({ perHour: z.number().positive().max(6_000_000) }).strict(),
]);
export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Field-level problems `[{ path, message }]` for 400; the current `{ state }` for 409. */
    details: z.unknown().optional(),
  }),
});
