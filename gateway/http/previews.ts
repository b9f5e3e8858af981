/**
 * POST /v1/previews (role `system`): the SMS an invitation would send, rendered for the given
 * params and language without starting a conversation or sending anything — the text, its
 * encoding and parts, the template and its version (the template set in force, its hash) and
 * the act it comes from. What the citizen reads can be checked before a campaign starts.
 */
import { Router } from 'express';
import { z } from 'zod';
import { GatewayError } from '../../common/errors.js';
import { newConversation } from '../../dialogue/conversation.js';
import { start } from '../../dialogue/engine.js';
import { TemplateError } from '../../templates/errors.js';
import { parseParams } from '../core/params.js';
import { deadlineFrom, type Core } from '../core/runtime.js';
import { requireRole } from './auth.js';

export const previewSchema = z.object({
  service: z.string().min(1).max(64),
  language: z.enum(['kk', 'ru']),
  params: z.record(z.string(), z.unknown()),
});

export function previewsRouter(core: Core): Router {
  const router = Router();
  const deadline = deadlineFrom(core.calendar);
  router.post('/v1/previews', requireRole('system', 'test'), (req, res) => {
    const body = previewSchema.parse(req.body);
    const service = core.conversations.service(body.service);
    const params = parseParams(service, body.params);
    const now = core.now();
    const conv = newConversation({
      id: 'preview',
      service: service.id,
      externalId: 'preview',
      msisdn: '70000000000',
      language: body.language,
      params,
      createdAt: now,
    });
    const first = start({ service, deadline }, conv, now);
    try {
      const rendered = core.conversations.renderInvitation(service, conv, first.messages, now);
      const sms = first.messages.map((m, i) => {
        const r = rendered[i]!;
        return {
          templateId: r.templateId,
          language: r.language,
          text: r.text,
          encoding: r.segmentation.encoding,
          characters: r.segmentation.characters,
          parts: r.segmentation.parts,
          sha256: r.sha256,
          templateSet: r.set,
          asksConsent: m.asksConsent,
        };
      });
      res.json({ service: service.id, source: service.source, state: first.conversation.state, sms });
    } catch (err) {
      if (err instanceof TemplateError)
        throw new GatewayError('GW_VALIDATION_FAILED', err.message, [
          { path: 'params', message: err.message },
        ]);
      throw err;
    }
  });
  return router;
}
