/**
 * POST /v1/invitations (role `system`): one invitation, or a batch whose
 * entries succeed or fail one by one. Idempotent on
 * (service, externalId): the conversation service answers the existing
 * conversation and sends nothing (CONTRACT.md).
 */
import { Router } from 'express';
import { ZodError } from 'zod';
import { ERRORS, GatewayError, type ErrorCode } from '../../common/errors.js';
import type { ServiceDefinition } from '../../services/schema.js';
import type { Core } from '../core/runtime.js';
import { principalOf, requireRole } from './auth.js';
import { zodDetails } from './errors.js';
import { batchEnvelopeSchema, invitationSchema, type InvitationBody } from './schemas.js';
import type { CampaignStore } from '../../store/campaigns.js';

/** Invitations in flight at once within one batch: each waits mostly on Redis, so thousands answer in seconds. */
export const BATCH_CONCURRENCY = 32;

/**
 * The number to write to: `msisdn`, or among `recipients` the one whose role
 * comes first in the service's `recipientPriority`, whatever the order of the
 * list (002, item 9: mother, then father, then another legal representative, role `guardian`).
 */
export function chooseRecipient(service: ServiceDefinition, body: InvitationBody): string {
  if (body.msisdn !== undefined) return body.msisdn;
  const priority = service.recipientPriority;
  if (!priority) {
    throw new GatewayError('GW_VALIDATION_FAILED', `service ${service.id} takes msisdn, not recipients`, [
      { path: 'recipients', message: `${service.id} has no recipient roles; give msisdn` },
    ]);
  }
  const recipients = body.recipients ?? [];
  const unknown = recipients.flatMap((r, i) =>
    priority.includes(r.role)
      ? []
      : [{ path: `recipients.${i}.role`, message: `must be one of ${priority.join(', ')}` }],
  );
  if (unknown.length > 0) throw new GatewayError('GW_VALIDATION_FAILED', 'unknown recipient role', unknown);
  const ranked = [...recipients].sort((a, b) => priority.indexOf(a.role) - priority.indexOf(b.role));
  // The schema requires at least one recipient; sort is stable, so equal roles keep their order.
  return ranked[0]?.msisdn ?? '';
}

export interface EntryResult {
  readonly index: number;
  readonly conversationId?: string;
  readonly state?: string;
  readonly created?: boolean;
  readonly error?: { code: ErrorCode; message: string; details?: unknown };
}

export interface InvitationDeps {
  readonly core: Core;
  readonly campaigns: CampaignStore;
}

/** Validates and starts one invitation; throws GatewayError/ZodError for a bad one. `test`: a test key's. */
async function inviteOne(deps: InvitationDeps, raw: unknown, test: boolean) {
  const body = invitationSchema.parse(raw);
  const service = deps.core.conversations.service(body.service);
  const msisdn = chooseRecipient(service, body);
  const { conversation, created } = await deps.core.conversations.invite({
    service: body.service,
    externalId: body.externalId,
    msisdn,
    language: body.language,
    params: body.params,
    campaign: body.campaign,
    test,
  });
  if (created && body.campaign !== undefined) {
    await deps.campaigns.increment(body.campaign, 'queued', deps.core.now());
  }
  return { conversation, created };
}

function entryError(err: unknown): NonNullable<EntryResult['error']> {
  if (err instanceof GatewayError && ERRORS[err.code].status < 500) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: err.details };
  }
  if (err instanceof ZodError) {
    const details = zodDetails(err);
    return { code: 'GW_VALIDATION_FAILED', message: 'the invitation does not match the API', details };
  }
  throw err;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the results in order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The same invitation twice in one batch started one conversation: the first entry is the one
 * that created it, the later ones the same call again (`created: false`), whichever of the
 * entries, run side by side, happened to commit it.
 */
function createdFirst(results: readonly EntryResult[]): EntryResult[] {
  const created = new Set(results.filter((r) => r.created === true).map((r) => r.conversationId));
  const seen = new Set<string>();
  return results.map((r) => {
    if (r.conversationId === undefined || !created.has(r.conversationId)) return r;
    const first = !seen.has(r.conversationId);
    seen.add(r.conversationId);
    return r.created === first ? r : { ...r, created: first };
  });
}

export function invitationsRouter(deps: InvitationDeps): Router {
  const router = Router();
  router.post('/v1/invitations', requireRole('system', 'test'), async (req, res) => {
    const body: unknown = req.body;
    const test = principalOf(res).role === 'test';
    if (typeof body === 'object' && body !== null && 'invitations' in body) {
      const { invitations } = batchEnvelopeSchema.parse(body);
      const results = await mapBounded(
        invitations,
        BATCH_CONCURRENCY,
        async (raw, index): Promise<EntryResult> => {
          try {
            const { conversation, created } = await inviteOne(deps, raw, test);
            return { index, conversationId: conversation.id, state: conversation.state, created };
          } catch (err) {
            return { index, error: entryError(err) };
          }
        },
      );
      const rejected = results.filter((r) => r.error !== undefined).length;
      res.status(202).json({ accepted: results.length - rejected, rejected, results: createdFirst(results) });
      return;
    }
    const { conversation, created } = await inviteOne(deps, body, test);
    res.status(202).json({ conversationId: conversation.id, state: conversation.state, created });
  });
  return router;
}
