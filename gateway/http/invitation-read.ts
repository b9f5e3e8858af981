/**
 * GET /v1/invitations/{service}/{externalId} (role `system`, CONTRACT.md): the inviting system's
 * read of its own invitation by its own id. State, deadline and outcomes; no SMS texts, no
 * number, no names (the system knows them; nothing more leaves than it needs).
 */
import { Router } from 'express';
import { almatyIso } from '../../dialogue/time.js';
import type { Core } from '../core/runtime.js';
import { outcomesFromTimeline } from '../core/outcomes.js';
import { principalOf, rateLimit, requireRole, type RateLimit } from './auth.js';
import { externalIdNamespace } from '../core/test-traffic.js';
import { sendError } from './errors.js';
import { invitationKeySchema } from './schemas.js';

/** A system reads its invitations in bulk: 1,000 at once, then 200 a second per key. */
export const DEFAULT_INVITATION_READ_LIMIT: RateLimit = { burst: 1000, perSecond: 200 };

export function invitationReadRouter(core: Core, limit: RateLimit, now: () => number): Router {
  const router = Router();
  router.get(
    '/v1/invitations/:service/:externalId',
    requireRole('system', 'test'),
    rateLimit(limit, now),
    async (req, res) => {
      const { service, externalId } = invitationKeySchema.parse(req.params);
      core.conversations.service(service);
      // A test key reads its test invitations, a system key its real ones (test-traffic.ts).
      const test = principalOf(res).role === 'test';
      const id = await core.store.findExternalId(externalIdNamespace(service, test), externalId);
      const stored = id === null ? null : await core.store.withTimeline(id);
      if (!stored) return sendError(res, 'GW_NOT_FOUND', `no invitation ${externalId} of ${service}`);
      const { conversation: conv, timeline } = stored;
      const zone = core.calendar.zone;
      res.json({
        conversationId: conv.id,
        service: conv.service,
        externalId: conv.externalId,
        state: conv.state,
        deadline: conv.deadline === null ? null : almatyIso(zone, conv.deadline),
        createdAt: almatyIso(zone, conv.createdAt),
        updatedAt: almatyIso(zone, conv.updatedAt),
        campaign: conv.campaign,
        outcomes: outcomesFromTimeline(conv, timeline).map((o) => ({ ...o, at: almatyIso(zone, o.at) })),
      });
    },
  );
  return router;
}
