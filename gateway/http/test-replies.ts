/**
 * POST /v1/test/replies (role `test`): the citizen of a test conversation "replies" — the text is
 * read exactly as an SMS from the conversation's number would be (parsers/reply.ts) and applied to
 * that conversation, so an integrator sees the consent, refusal or help the reply causes, and its
 * outcomes, without a phone. Only test conversations: a real one is not there for a test key.
 */
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { parseReply } from '../../parsers/reply.js';
import type { Core } from '../core/runtime.js';
import { isTestId } from '../core/test-traffic.js';
import { requireRole } from './auth.js';
import { sendError } from './errors.js';
import { conversationIdSchema } from './schemas.js';

/** A long SMS at most (10 UCS2 parts): a reply is a few characters. */
export const MAX_TEST_REPLY_CHARS = 670;

export const testReplySchema = z.strictObject({
  conversationId: conversationIdSchema,
  text: z.string().min(1, 'is empty: give the text the citizen sends').max(MAX_TEST_REPLY_CHARS),
});

/** `folded`: one of many unaccepted replies of the day, only counted (gateway/core/reply-limits.ts). */
export const testReplyResultSchema = z.object({
  conversationId: z.string(),
  state: z.string(),
  result: z.enum(['applied', 'unchanged', 'folded']),
});

export function testRepliesRouter(core: Core): Router {
  const router = Router();
  router.post('/v1/test/replies', requireRole('test'), async (req, res) => {
    const { conversationId, text } = testReplySchema.parse(req.body);
    if (!isTestId(conversationId))
      return sendError(res, 'GW_NOT_FOUND', `no test conversation ${conversationId} for this key`);
    // Each call is a new SMS, as a citizen who sends the same text twice sends two.
    const smscMessageId = `test-${randomBytes(8).toString('hex')}`;
    const result = await core.conversations.apply(
      conversationId,
      { type: 'reply', parsed: parseReply(text), reply: { text, receivedAt: core.now(), smscMessageId } },
      `reply:${smscMessageId}`,
    );
    if (result.status === 'not-found')
      return sendError(res, 'GW_NOT_FOUND', `no test conversation ${conversationId} for this key`);
    if (result.status === 'rejected')
      return sendError(res, 'GW_CONFLICT', result.reason, { state: result.conversation.state });
    res.json({
      conversationId,
      state: result.conversation.state,
      result: result.status,
    });
  });
  return router;
}
