/**
 * POST /v1/events (role `system`): facts from downstream systems (CONTRACT.md).
 * Idempotent: the event's key is derived from its body, so the same fact sent
 * twice changes nothing the second time and answers 200
 * with the current state.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Bank } from '../../dialogue/conversation.js';
import type { Core } from '../core/runtime.js';
import { principalOf, requireRole } from './auth.js';
import { isTestId } from '../core/test-traffic.js';
import { sendError } from './errors.js';
import { eventSchema, type EventBody } from './schemas.js';

/** The idempotency key of an event: what makes two deliveries "the same fact". */
export function eventKey(event: EventBody): string {
  const parts: string[] = [event.type];
  if (event.type === 'account-opened')
    parts.push(typeof event.bank === 'string' ? event.bank : event.bank.code);
  if (event.type === 'decision') parts.push(event.outcome);
  return `ev:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;
}

/**
 * The bank an account-opened event names: given whole, or by its code, one of the invitation's
 * `integratedBanks` (where Appendix 3 asked the citizen to open one). Null: no such code there;
 * undefined: no such conversation (the event answers 404).
 */
async function bankOf(core: Core, id: string, bank: Bank | string): Promise<Bank | null | undefined> {
  if (typeof bank !== 'string') return bank;
  const conv = await core.conversations.get(id);
  if (!conv) return undefined;
  const offered = conv.params.integratedBanks;
  const found = Array.isArray(offered)
    ? (offered as Bank[]).find((b) => typeof b === 'object' && b !== null && b.code === bank)
    : undefined;
  return found ? { code: found.code, nameKk: found.nameKk, nameRu: found.nameRu } : null;
}

export function eventsRouter(core: Core): Router {
  const router = Router();
  router.post('/v1/events', requireRole('system', 'test'), async (req, res) => {
    const event = eventSchema.parse(req.body);
    // A test key's events reach only test conversations, a system key's only real ones: the other
    // kind is not there for it (no hint that it exists).
    if ((principalOf(res).role === 'test') !== isTestId(event.conversationId))
      return sendError(res, 'GW_NOT_FOUND', `no conversation ${event.conversationId} for this key`);
    const bank =
      event.type === 'account-opened' ? await bankOf(core, event.conversationId, event.bank) : undefined;
    if (bank === null)
      return sendError(res, 'GW_VALIDATION_FAILED', 'the request does not match the API', [
        { path: 'bank', message: "is no code of the invitation's integratedBanks" },
      ]);
    const result = await core.conversations.upstream(event.conversationId, event.type, {
      ...(bank ? { bank } : {}),
      ...(event.type === 'decision' ? { outcome: event.outcome } : {}),
      ...(event.type === 'decision' && event.params?.reason ? { reason: event.params.reason } : {}),
      key: eventKey(event),
    });
    switch (result.status) {
      case 'not-found':
        return sendError(res, 'GW_NOT_FOUND', `no conversation ${event.conversationId}`);
      case 'rejected':
        return sendError(res, 'GW_CONFLICT', result.reason, { state: result.conversation.state });
      default: {
        // The reason recorded: a repeated decision (`unchanged`) leaves the first one's.
        const reason = event.type === 'decision' ? result.conversation.decision?.reason : undefined;
        res.json({
          conversationId: result.conversation.id,
          state: result.conversation.state,
          result: result.status,
          ...(reason ? { reason } : {}),
        });
      }
    }
  });
  return router;
}
