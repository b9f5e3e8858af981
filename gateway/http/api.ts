/**
 * The API and the console, wired for buildApp: `guards` run before body
 * parsing (authentication), `routers` after it. gateway.ts passes both.
 */
import type { RequestHandler, Router } from 'express';
import type { Registry } from 'prom-client';
import type { ApiKey } from '../config.js';
import type { Core } from '../core/runtime.js';
import { authenticate, createAuthenticator, DEFAULT_LOOKUP_LIMIT, type RateLimit } from './auth.js';
import { agentRouter } from './agent.js';
import { campaignsRouter, campaignStore, registerCampaignMetrics } from './campaigns.js';
import { consoleRouter } from './console.js';
import { eventsRouter } from './events.js';
import { invitationsRouter } from './invitations.js';
import { DEFAULT_INVITATION_READ_LIMIT, invitationReadRouter } from './invitation-read.js';
import { keysRouter } from './keys.js';
import { lookupRouter } from './conversations.js';
import { openApiRouter } from './openapi.js';
import { outboxesRouter } from './outboxes.js';
import { webhooksRouter } from './webhooks.js';
import { previewsRouter } from './previews.js';
import { testRepliesRouter } from './test-replies.js';
import type { Webhooks } from '../webhooks/delivery.js';
import type { Logger } from '../log.js';
import { auditRefusals, registerAuditMetrics } from './refusals.js';
import { auditScans, DEFAULT_AUDIT_SCANS, type AuditScanLimits } from './audit-scans.js';
import { redisGate, shared } from './redis-gate.js';

export interface ApiDeps {
  readonly core: Core;
  readonly apiKeys: readonly ApiKey[];
  /** Campaign progress is registered here as `gateway_campaign_progress`. */
  readonly metrics: Registry;
  /** Lookups per key (default 60 at once, then 1 a second). */
  readonly lookupLimit?: RateLimit;
  /** The webhooks of WEBHOOKS_FILE, for their dead letters; none configured when absent. */
  readonly webhooks?: Webhooks;
  /** Clock of the rate limiter; the core's clock by default. */
  readonly now?: () => number;
  /** Where a refused attempt that could not be audited is reported. */
  readonly log?: Logger;
  /** Refusals of one caller and status within this many ms are folded into one audit entry (10 s). */
  readonly refusalFoldMs?: number;
  /** Filtered audit reads in flight at once (4 in the process, 2 a person). */
  readonly auditScans?: AuditScanLimits;
}

export interface ApiParts {
  readonly guards: RequestHandler[];
  readonly routers: Router[];
  /** Before Redis closes: the refused attempts still folded are written to the audit log. */
  close(): Promise<void>;
}

/**
 * How long a call waiting on Redis gives it to answer a PING before it is answered 503: a Redis busy
 * with a campaign answers within this, a frozen one never.
 */
const REDIS_ANSWER_MS = 5000;

/** The API's guards and routers, ready for `buildApp({ ...deps, ...api(…) })`. */
export function api(deps: ApiDeps): ApiParts {
  const { core } = deps;
  const campaigns = campaignStore(core);
  registerCampaignMetrics(deps.metrics, campaigns);
  const { audit, people } = core.store;
  const refusals = auditRefusals({
    audit,
    now: core.now,
    refused: registerAuditMetrics(deps.metrics, audit),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.refusalFoldMs !== undefined ? { foldMs: deps.refusalFoldMs } : {}),
  });
  return {
    close: () => refusals.flush(),
    guards: [
      // First: a person's key is checked in Redis, so without Redis nothing under /v1 can be answered.
      redisGate({
        connected: () => core.store.connected(),
        answering: shared(() => core.store.answering(REDIS_ANSWER_MS)),
      }),
      // Before authentication, so that a 401 is seen too.
      refusals.handler,
      authenticate(createAuthenticator(deps.apiKeys, people)),
    ],
    routers: [
      invitationsRouter({ core, campaigns }),
      invitationReadRouter(core, DEFAULT_INVITATION_READ_LIMIT, deps.now ?? core.now),
      eventsRouter(core),
      lookupRouter({
        core,
        audit,
        lookupLimit: deps.lookupLimit ?? DEFAULT_LOOKUP_LIMIT,
        auditScans: auditScans(deps.auditScans ?? DEFAULT_AUDIT_SCANS, deps.metrics),
        now: deps.now ?? core.now,
      }),
      keysRouter({ core, audit, keys: people }),
      agentRouter({
        core,
        audit,
        lookupLimit: deps.lookupLimit ?? DEFAULT_LOOKUP_LIMIT,
        now: deps.now ?? core.now,
      }),
      campaignsRouter(campaigns, core),
      webhooksRouter(deps.webhooks),
      outboxesRouter({ core, audit }),
      previewsRouter(core),
      testRepliesRouter(core),
      openApiRouter(core.services),
      consoleRouter(core.renderer.locales),
    ],
  };
}
