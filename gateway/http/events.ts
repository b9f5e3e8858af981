/**
 * POST /v1/events (role `system`): facts from downstream systems (CONTRACT.md).
 * Idempotent: the event's key is derived from its body, so the same fact sent
 * twice changes nothing the second time and answers 200
 * with the current state.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Core } from '../core/runtime.js';
import { principalOf, requireRole } from './auth.js';
import { isTestId } from '../core/test-traffic.js';
import { sendError } from './errors.js';
import { eventSchema, type EventBody } from './schemas.js';

/** The idempotency key of an event: what makes two deliveries "the same fact". */
export function eventKey(event: EventBody): string {
  const parts: string[] = [event.type];
  if (event.type === 'account-opened') parts.push(event.bank.code);
  if (event.type === 'decision') parts.push(event.outcome);
  return `ev:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;
}

export function eventsRouter(core: Core): Router {
  const router = Router();
  router.post('/v1/events', requireRole('system', 'test'), async (req, res) => {
    const event = eventSchema.parse(req.body);
    // A test key's events reach only test conversations, a system key's only real ones: the other
    // kind is not there for it (no hint that it exists).
    if ((principalOf(res).role === 'test') !== isTestId(event.conversationId))
      return sendError(res, 'GW_NOT_FOUND', `no conversation ${event.conversationId} for this key`);
    const result = await core.conversations.upstream(event.conversationId, event.type, {
      ...(event.type === 'account-opened' ? { bank: event.bank } : {}),
      ...(event.type === 'decision' ? { outcome: event.outcome } : {}),
      ...(event.type === 'decision' && event.params?.reason ? { reason: event.params.reason } : {}),
      key: eventKey(event),
    });
    switch (result.status) {
      case 'not-found':
        return sendError(res, 'GW_NOT_FOUND', `no conversation ${event.conversationId}`);
      case 'rejected':
        return sendError(res, 'GW_CONFLICT', result.reason, { state: result.conversation.state });
      default:
        res.json({
          conversationId: result.conversation.id,
          state: result.conversation.state,
          result: result.status,
          ...(event.type === 'decision' && event.params?.reason ? { reason: event.params.reason } : {}),
        });
    }
  });
  return router;
}
