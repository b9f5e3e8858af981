/**
 * The OpenAPI 3.1 document, generated from the route table below and the zod
 * schemas the routes parse with (`z.toJSONSchema`, input side), served at
 * /openapi.json. test/http/openapi.test.ts keeps it true: every express route
 * is here and every operation here is routed, and every example validates.
 * Longer than 300 lines: the OpenAPI document, path by path.
 */
import { Router } from 'express';
import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../../common/errors.js';
import type { Role } from '../config.js';
import type { ServiceRegistry } from '../../services/load.js';
import { paramsJsonSchema } from '../contract-schemas.js';
import * as s from './schemas.js';
import { deadLetterQuerySchema } from './webhooks.js';
import { deadOutboxListSchema, deadOutboxQuerySchema, replayedOutboxSchema } from './outboxes.js';
import { previewSchema } from './previews.js';
import { testReplyResultSchema, testReplySchema } from './test-replies.js';

export interface Operation {
  readonly method: 'get' | 'post';
  /** OpenAPI path (`{id}`, not `:id`). */
  readonly path: string;
  readonly summary: string;
  /** Null: no key needed. */
  readonly roles: readonly Role[] | null;
  readonly query?: z.ZodType;
  readonly body?: { readonly schema: z.ZodType; readonly examples: Readonly<Record<string, unknown>> };
  readonly ok: { readonly status: number; readonly schema?: z.ZodType; readonly type?: string };
  readonly errors: readonly ErrorCode[];
}

const HOME = {
  service: 'home-schooling',
  externalId: 'esobes-2025-000123',
  msisdn: '+7 701 123 45 67',
  language: 'kk',
  params: {
    fullName: 'Айгүл Сейітқызы',
    serviceCode: '123',
    banks: [{ code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' }],
    integratedBanks: [
      {
        code: 'HSBK',
        nameKk: 'Halyk Bank',
        nameRu: 'Народный банк (Halyk)',
        link: 'https://halykbank.kz/open-account',
      },
    ],
  },
  campaign: 'home-schooling-2025-11',
};
const MEALS = {
  service: 'school-meals',
  externalId: 'meals-2025-0042',
  recipients: [
    { role: 'father', msisdn: '87011230001' },
    { role: 'mother', msisdn: '+77011230002' },
  ],
  language: 'ru',
  params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
};

const AUTH: readonly ErrorCode[] = ['GW_UNAUTHENTICATED', 'GW_FORBIDDEN'];
const LOOKUP: readonly ErrorCode[] = [...AUTH, 'GW_VALIDATION_FAILED', 'GW_RATE_LIMITED'];

/** Every route of the gateway's HTTP side. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/',
    summary: 'Redirects (302) to the agent console, /console/',
    roles: null,
    ok: { status: 302 },
    errors: [],
  },
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness, with the running version: {"status":"ok","version":"0.2.0"}',
    roles: null,
    ok: { status: 200 },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    summary:
      'Readiness: Redis and at least one SMPP bind up (a GATEWAY_ROLE=workers or api process, which holds no ' +
      'bind: Redis alone; 503 otherwise, naming what is missing: missing: [...]); ' +
      'the body also lists, per carrier, how long it has been down (downSeconds), the SMS waiting for it ' +
      '(waiting.sms, waiting.oldestSeconds) and its fail-over carrier',
    roles: null,
    ok: { status: 200 },
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics, including gateway_campaign_progress',
    roles: null,
    ok: { status: 200, type: 'text/plain' },
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    roles: null,
    ok: { status: 200 },
    errors: [],
  },
  {
    method: 'post',
    path: '/v1/invitations',
    summary:
      'Start a conversation, or a batch of them (per-entry results). Idempotent on (service, externalId). A test key starts test conversations: never sent to a carrier, apart from real ones.',
    roles: ['system', 'test'],
    body: {
      schema: z.union([s.invitationSchema, s.batchSchema]),
      examples: { single: HOME, recipients: MEALS, batch: { invitations: [HOME, MEALS] } },
    },
    ok: { status: 202, schema: z.union([s.acceptedSchema, s.batchResultSchema]) },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_INVITATION_MISMATCH', 'GW_PAYLOAD_TOO_LARGE'],
  },
  {
    method: 'get',
    path: '/v1/invitations/{service}/{externalId}',
    summary:
      "The inviting system's read of its invitation: state, deadline and outcomes (Almaty times), without SMS texts (a test key reads its test invitations)",
    roles: ['system', 'test'],
    ok: { status: 200, schema: s.invitationReadSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND', 'GW_RATE_LIMITED'],
  },
  {
    method: 'post',
    path: '/v1/events',
    summary:
      'A fact from a downstream system; the same fact again changes nothing (200, result unchanged). A test key reaches only test conversations, a system key only real ones.',
    roles: ['system', 'test'],
    body: {
      schema: s.eventSchema,
      examples: {
        accountOpened: {
          type: 'account-opened',
          conversationId: 'mif3k2a0b1c2d3e4f5',
          bank: { code: 'HSBK', nameKk: 'Halyk Bank', nameRu: 'Народный банк (Halyk)' },
        },
        assigned: { type: 'decision', conversationId: 'mif3k2a0b1c2d3e4f5', outcome: 'assigned' },
        rejected: {
          type: 'decision',
          conversationId: 'mif3k2a0b1c2d3e4f5',
          outcome: 'rejected',
          params: { reason: 'not-eligible' },
        },
      },
    },
    ok: { status: 200, schema: s.eventResultSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND', 'GW_CONFLICT', 'GW_CONVERSATION_BUSY'],
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}',
    summary: 'One conversation with its timeline (Almaty times); masked unless a supervisor unmasks',
    roles: ['agent', 'supervisor'],
    query: s.viewQuerySchema,
    ok: { status: 200, schema: s.conversationSchema },
    errors: [...LOOKUP, 'GW_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/conversations',
    summary: 'The conversations of one phone number, newest first',
    roles: ['agent', 'supervisor'],
    query: s.searchQuerySchema,
    ok: { status: 200, schema: s.conversationListSchema },
    errors: LOOKUP,
  },
  {
    method: 'get',
    path: '/v1/audit',
    summary:
      'The audit log of lookups and unmaskings, newest first; a filtered read (conversationId, actor) scans up to 100,000 entries, 4 at once in a process and 2 of one person (else 429 GW_AUDIT_SCANS_BUSY with Retry-After)',
    roles: ['supervisor'],
    query: s.auditQuerySchema,
    ok: { status: 200, schema: s.auditListSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_AUDIT_SCANS_BUSY'],
  },
  {
    method: 'get',
    path: '/v1/me',
    summary: 'Who the key belongs to: person, role, services',
    roles: ['system', 'agent', 'supervisor'],
    ok: { status: 200, schema: s.meSchema },
    errors: AUTH,
  },
  {
    method: 'get',
    path: '/v1/conversations/{id}/version',
    summary:
      'A token that changes whenever the conversation does (the console follows an open one); not audited',
    roles: ['agent', 'supervisor'],
    ok: { status: 200, schema: s.versionSchema },
    errors: [...AUTH, 'GW_RATE_LIMITED', 'GW_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/worklists/{name}',
    summary:
      "Today's worklist (undelivered, not-understood) or the deadlines ending today or tomorrow, a page at a time",
    roles: ['agent', 'supervisor'],
    query: s.worklistQuerySchema,
    ok: { status: 200, schema: s.worklistSchema },
    errors: [...LOOKUP, 'GW_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/resend',
    summary:
      'Send an undelivered SMS again, as it was (same text and template version); audited with the reason',
    roles: ['supervisor'],
    body: {
      schema: s.resendSchema,
      examples: { checked: { smsId: '1.0', reason: 'citizen confirmed the number by phone' } },
    },
    ok: { status: 202 },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND', 'GW_CONFLICT', 'GW_CONVERSATION_BUSY'],
  },
  {
    method: 'post',
    path: '/v1/conversations/{id}/notes',
    summary: "A supervisor's note in the conversation's timeline; audited",
    roles: ['supervisor'],
    body: { schema: s.noteSchema, examples: { called: { text: 'Called back, citizen will reply today' } } },
    ok: { status: 201 },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v1/keys',
    summary: "Create a person's API key (agent or supervisor); the key is in this answer only",
    roles: ['supervisor'],
    body: {
      schema: s.keyCreateSchema,
      examples: {
        agent: { person: 'a.nurlanova', role: 'agent' },
        mealsAgent: { person: 'b.sadykov', role: 'agent', services: ['school-meals'] },
      },
    },
    ok: { status: 201, schema: s.keyCreatedSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_CONFLICT'],
  },
  {
    method: 'get',
    path: '/v1/keys',
    summary: "People's API keys (never the keys themselves)",
    roles: ['supervisor'],
    ok: { status: 200, schema: s.keyListSchema },
    errors: AUTH,
  },
  {
    method: 'post',
    path: '/v1/keys/{id}/revoke',
    summary: 'Revoke a key: refused from the next request on, without a restart',
    roles: ['supervisor'],
    body: { schema: s.keyRevokeSchema, examples: { left: { reason: 'left the call centre' } } },
    ok: { status: 200 },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/campaigns/{id}',
    summary: 'Progress counters of a campaign, its pace, whether it is paused, and its forecast end',
    roles: ['system', 'agent', 'supervisor'],
    ok: { status: 200, schema: s.campaignSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/pace',
    summary:
      "A campaign's pace, sized to the call centre: its invitations go one interval apart " +
      '(answers to citizens go first whatever the pace)',
    roles: ['system'],
    body: {
      schema: s.campaignPaceSchema,
      examples: { perHour: { perHour: 3000 }, perMinute: { perMinute: 50 }, none: { perMinute: null } },
    },
    ok: { status: 200, schema: s.campaignSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/pause',
    summary: "Pause a campaign: its SMS not yet sent wait (the conversations' deadlines are not moved)",
    roles: ['system'],
    ok: { status: 200, schema: s.campaignSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/resume',
    summary: 'Resume a paused campaign at its pace',
    roles: ['system'],
    ok: { status: 200, schema: s.campaignSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/v1/previews',
    summary:
      "An invitation's SMS rendered for params and language, sent nowhere: text, encoding, parts, template, its set and the act",
    roles: ['system', 'test'],
    body: {
      schema: previewSchema,
      examples: { home: { service: HOME.service, language: 'ru', params: HOME.params } },
    },
    ok: { status: 200 },
    errors: [...AUTH, 'GW_VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/v1/test/replies',
    summary:
      "The citizen of a test conversation replies: the text is read as an SMS from the conversation's number and applied (test keys only)",
    roles: ['test'],
    body: {
      schema: testReplySchema,
      examples: { consent: { conversationId: '0tmif3k2a0b1c2d3e4f5', text: '123#3#1' } },
    },
    ok: { status: 200, schema: testReplyResultSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND', 'GW_CONFLICT'],
  },
  {
    method: 'get',
    path: '/v1/webhooks/{name}/dead-letters',
    summary: 'Webhook deliveries that failed every attempt (72 h and more), for a system of WEBHOOKS_FILE',
    roles: ['supervisor'],
    query: deadLetterQuerySchema,
    ok: { status: 200 },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v1/webhooks/{name}/dead-letters/{id}/replay',
    summary: 'Deliver a dead letter again, its attempts afresh',
    roles: ['supervisor'],
    ok: { status: 202 },
    errors: [...AUTH, 'GW_VALIDATION_FAILED', 'GW_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v1/outboxes/dead',
    summary:
      'Conversations whose outbox hand-over failed every try of the recovery, set aside, with why (docs/operations.md)',
    roles: ['supervisor'],
    query: deadOutboxQuerySchema,
    ok: { status: 200, schema: deadOutboxListSchema },
    errors: [...AUTH, 'GW_VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/v1/outboxes/dead/{id}/replay',
    summary:
      "Hand a conversation's outbox set aside over again, once its cause is fixed; 409 and still set aside if it fails again; audited",
    roles: ['supervisor'],
    ok: { status: 200, schema: replayedOutboxSchema },
    errors: [...AUTH, 'GW_NOT_FOUND', 'GW_CONFLICT'],
  },
  {
    method: 'get',
    path: '/console/i18n/{lang}',
    summary: 'The agent console vocabulary (kk, ru); the console itself is served at /console/',
    roles: null,
    ok: { status: 200 },
    errors: ['GW_NOT_FOUND'],
  },
];

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

function parameters(op: Operation): unknown[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const shape = op.query ? (json(op.query) as { properties?: object; required?: string[] }) : {};
  const query = Object.entries(shape.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: shape.required?.includes(name) ?? false,
    schema: schema as unknown,
  }));
  return [...path, ...query];
}

/** Every answer carries it (gateway/http/request-id.ts). */
const HEADERS = {
  'X-Request-Id': {
    description:
      "The client's own X-Request-Id when it sent a usable one (1-128 of A-Za-z0-9._:@/+=-), else a new UUID",
    schema: { type: 'string' },
  },
};

function responses(op: Operation): Record<string, unknown> {
  const okContent = op.ok.type
    ? { [op.ok.type]: { schema: { type: 'string' } } }
    : { 'application/json': { schema: op.ok.schema ? json(op.ok.schema) : { type: 'object' } } };
  const out: Record<string, unknown> = {
    [op.ok.status]: { description: 'OK', headers: HEADERS, content: okContent },
  };
  for (const code of op.errors) {
    const status = String(ERRORS[code].status);
    const prev = out[status] as { description: string } | undefined;
    const description = prev ? `${prev.description}; ${code}` : code;
    out[status] = {
      description,
      headers: HEADERS,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return out;
}

function operationDoc(op: Operation): Record<string, unknown> {
  const roles = op.roles ? `Roles: ${op.roles.join(', ')}.` : 'No key needed.';
  return {
    summary: op.summary,
    description: roles,
    operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(op.roles ? { security: [{ bearer: [] }], 'x-roles': op.roles } : { security: [] }),
    parameters: parameters(op),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: json(op.body.schema),
                examples: Object.fromEntries(
                  Object.entries(op.body.examples).map(([k, v]) => [k, { value: v }]),
                ),
              },
            },
          },
        }
      : {}),
    responses: responses(op),
  };
}

/**
 * One invitation per service, `service` a constant and `params` that service's schema, so a
 * client generated from the document knows each service's params (docs/schemas/params.*.json).
 */
function invitationPerService(services: ServiceRegistry): Record<string, unknown> {
  const base = json(s.invitationSchema) as { properties: Record<string, unknown> };
  const oneOf = [...services.keys()].sort().map((id) => ({
    ...base,
    title: `${id} invitation`,
    properties: {
      ...base.properties,
      service: { type: 'string', const: id },
      params: paramsJsonSchema(services, id),
    },
  }));
  const single = { oneOf };
  const batch = (json(s.batchSchema) as unknown as { properties: { invitations: object } }).properties
    .invitations;
  return {
    oneOf: [
      single,
      {
        type: 'object',
        properties: { invitations: { ...batch, items: single } },
        required: ['invitations'],
        additionalProperties: false,
      },
    ],
  };
}

/** The document as served; `services` makes `service` an enum and `params` per service. */
export function openApiDocument(services: ServiceRegistry): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operationDoc(op);
  const invitations = paths['/v1/invitations']?.post as
    { requestBody: { content: { 'application/json': { schema: unknown } } } } | undefined;
  if (invitations)
    invitations.requestBody.content['application/json'].schema = invitationPerService(services);
  return {
    openapi: '3.1.0',
    info: {
      title: '1414 gateway',
      version: '1',
      description:
        'SMS gateway for proactive public services. Errors: { error: { code, message, details? } }; see docs/api.md. ' +
        'A path asked with a method it does not take is 405 GW_METHOD_NOT_ALLOWED, with Allow naming those it takes.',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A key from API_KEYS (roles system, test, agent, supervisor) or one a supervisor made (agent, supervisor)',
        },
      },
      schemas: { Error: json(s.errorSchema) },
    },
    paths,
  };
}

export function openApiRouter(services: ServiceRegistry): Router {
  const doc = openApiDocument(services);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  return router;
}
