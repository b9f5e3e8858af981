/**
 * The outboxes the recovery set aside (role `supervisor`, the operators): conversations whose
 * outbox hand-over failed every try for a reason other than Redis being away (gateway/core/outbox.ts
 * `SET_ASIDE_AFTER`). Listed with why, and handed over again one by one once the cause is fixed
 * (docs/operations.md, "Outboxes set aside"); a replay is audited.
 */
import { Router } from 'express';
import { z } from 'zod';
import { asError } from '../../common/errors.js';
import type { AuditLog } from '../../store/audit.js';
import type { Core } from '../core/runtime.js';
import { principalOf, requireRole } from './auth.js';
import { sendError } from './errors.js';
import { conversationIdSchema } from './schemas.js';
import { almatyIso } from './view.js';

export const deadOutboxQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The answer of `GET /v1/outboxes/dead` (times on the Almaty clock with the offset). */
export const deadOutboxListSchema = z.object({
  /** How many are set aside (all, not only those listed). */
  total: z.number().int(),
  outboxes: z.array(
    z.object({
      conversationId: z.string(),
      tries: z.number().int(),
      failingSince: z.string(),
      setAsideAt: z.string(),
      /** `outbox`: the conversation's own; `batch`: a batch's step, moved into it. */
      from: z.enum(['outbox', 'batch']),
      /** The last failure's message. */
      error: z.string(),
    }),
  ),
});

/** The answer of `POST /v1/outboxes/dead/{id}/replay`. */
export const replayedOutboxSchema = z.object({
  conversationId: z.string(),
  /** The entries handed over. */
  entries: z.number().int(),
  replayed: z.literal(true),
});

export function outboxesRouter({ core, audit }: { core: Core; audit: AuditLog }): Router {
  const router = Router();
  const supervisors = requireRole('supervisor');
  const at = (ms: number): string => almatyIso(core.calendar.zone, ms);

  router.get('/v1/outboxes/dead', supervisors, async (req, res) => {
    const { limit } = deadOutboxQuerySchema.parse(req.query);
    const { total, items } = await core.store.outboxes.setAsideList(limit);
    res.json({
      total,
      outboxes: items.map((item) => ({
        conversationId: item.id,
        tries: item.tries,
        failingSince: at(item.since),
        setAsideAt: at(item.at),
        from: item.from,
        error: item.error,
      })),
    });
  });

  router.post('/v1/outboxes/dead/:id/replay', supervisors, async (req, res) => {
    const id = conversationIdSchema.safeParse(req.params.id);
    const missing = `no outbox set aside for ${String(req.params.id).slice(0, 64)}`;
    if (!id.success) return sendError(res, 'GW_NOT_FOUND', missing);
    const replayed = await core.outbox.replay(id.data).catch((err: unknown) => asError(err));
    if (replayed === null) return sendError(res, 'GW_NOT_FOUND', missing);
    if (replayed instanceof Error) {
      return sendError(
        res,
        'GW_CONFLICT',
        `the hand-over failed again; still set aside: ${replayed.message}`,
      );
    }
    const { person, keyId, role } = principalOf(res);
    await audit.record({
      at: core.now(),
      actor: person,
      keyId,
      role,
      action: 'outbox-replay',
      conversationId: id.data,
    });
    res.json({ conversationId: id.data, entries: replayed.entries, replayed: true });
  });
  return router;
}
