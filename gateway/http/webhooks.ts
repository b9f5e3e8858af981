/**
 * The dead letters of the webhooks (role `supervisor`, the operators): deliveries that failed
 * every attempt for more than 72 hours. Listed per system, and replayed one by one once the
 * receiver is fixed; a replay starts the attempts afresh.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Webhooks } from '../webhooks/delivery.js';
import { requireRole } from './auth.js';
import { sendError } from './errors.js';

const nameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'is not a webhook name');
const idSchema = z.string().regex(/^[A-Za-z0-9._-]{1,160}$/, 'is not a job id');
export const deadLetterQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export function webhooksRouter(webhooks: Webhooks | undefined): Router {
  const router = Router();
  const queueOf = (raw: unknown) => {
    const name = nameSchema.parse(raw);
    return { name, queue: webhooks?.queues.get(name) };
  };
  router.get('/v1/webhooks/:name/dead-letters', requireRole('supervisor'), async (req, res) => {
    const { name, queue } = queueOf(req.params.name);
    if (!queue) return sendError(res, 'GW_NOT_FOUND', `no webhook ${name} in WEBHOOKS_FILE`);
    const { limit, offset } = deadLetterQuerySchema.parse(req.query);
    const jobs = await queue.getFailed(offset, offset + limit - 1);
    res.json({
      deadLetters: jobs.map((j) => ({
        id: j.id,
        attempts: j.attemptsMade,
        failedReason: j.failedReason,
        outcome: j.data as unknown,
      })),
    });
  });
  router.post('/v1/webhooks/:name/dead-letters/:id/replay', requireRole('supervisor'), async (req, res) => {
    const { name, queue } = queueOf(req.params.name);
    if (!queue) return sendError(res, 'GW_NOT_FOUND', `no webhook ${name} in WEBHOOKS_FILE`);
    const id = idSchema.parse(req.params.id);
    const job = await queue.getJob(id);
    if (!job || !(await job.isFailed()))
      return sendError(res, 'GW_NOT_FOUND', `no dead letter ${id} of ${name}`);
    await job.retry('failed', { resetAttemptsMade: true });
    res.status(202).json({ id, replayed: true });
  });
  return router;
}
