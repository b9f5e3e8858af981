/**
 * The call centre's work beyond lookups (docs/console.md): who am I, whether an open
 * conversation changed (the console follows it without a click), the day's worklists, and a
 * supervisor's actions (send an undelivered SMS again, annotate). Each list and action is in the
 * audit log; a key limited to some services sees only those.
 */
import { Router, type Response } from 'express';
import type { Conversation } from '../../dialogue/conversation.js';
import type { AuditAction, AuditLog } from '../../store/audit.js';
import type { WorklistKind } from '../../store/worklists.js';
import type { Core } from '../core/runtime.js';
import { principalOf, rateLimit, requireRole, type RateLimit } from './auth.js';
import { contextFor, maySee } from './conversations.js';
import { sendError } from './errors.js';
import {
  conversationIdSchema,
  noteSchema,
  resendSchema,
  worklistNameSchema,
  worklistQuerySchema,
} from './schemas.js';
import { summaryView } from './view.js';

export interface AgentDeps {
  readonly core: Core;
  readonly audit: AuditLog;
  readonly lookupLimit: RateLimit;
  readonly now?: () => number;
}

/** Notes kept per conversation: a timeline is read whole on every view. */
export const MAX_NOTES = 100;

/** Version checks: a console polls every few seconds; a generous bucket of its own. */
const VERSION_LIMIT: RateLimit = { burst: 120, perSecond: 2 };

type ListName = 'undelivered' | 'deadlines-today' | 'deadlines-tomorrow' | 'not-understood';

/** Which list a worklist reads (a day's list, or the deadline index) and the day it reads. */
function listRule(
  core: Core,
  name: ListName,
  now: number,
): { kind: WorklistKind | 'deadlines'; day: string } {
  const today = core.worklists.day(now);
  if (name === 'deadlines-today' || name === 'deadlines-tomorrow') {
    return { kind: 'deadlines', day: name === 'deadlines-today' ? today : nextDay(today) };
  }
  return { kind: name, day: today };
}

/** A page of a worklist over `services`: the conversations and the cursor of the next page. */
async function readList(
  core: Core,
  rule: ReturnType<typeof listRule>,
  services: readonly string[],
  cursor: string | undefined,
  limit: number,
): Promise<{ conversations: Conversation[]; next: string | null }> {
  if (rule.kind === 'deadlines') return core.worklists.deadlines(rule.day, services, cursor, limit);
  const page = await core.worklists.store.page(rule.kind, services, rule.day, cursor, limit);
  return { conversations: await core.store.getMany(page.ids), next: page.next };
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export function agentRouter(deps: AgentDeps): Router {
  const { core, audit } = deps;
  const router = Router();
  const lookers = requireRole('agent', 'supervisor');
  const supervisors = requireRole('supervisor');
  const limited = rateLimit(deps.lookupLimit, deps.now);
  const versions = rateLimit(VERSION_LIMIT, deps.now);
  const record = (res: Response, action: AuditAction, extra: Record<string, unknown>) => {
    const { person, keyId, role } = principalOf(res);
    return audit.record({ at: core.now(), actor: person, keyId, role, action, ...extra });
  };
  /** The conversation of `:id` if the caller may see it; otherwise a 404 is sent. */
  const visible = async (res: Response, raw: unknown): Promise<Conversation | null> => {
    const id = conversationIdSchema.safeParse(typeof raw === 'string' ? raw.slice(0, 64) : '');
    const conv = id.success ? await core.conversations.get(id.data) : null;
    if (conv && maySee(res, conv)) return conv;
    sendError(res, 'GW_NOT_FOUND', `no conversation ${String(raw).slice(0, 64)}`);
    return null;
  };

  router.get('/v1/me', (_req, res) => {
    const { person, role, services } = principalOf(res);
    res.json({ person, role, services });
  });

  router.get('/v1/conversations/:id/version', lookers, versions, async (req, res) => {
    const conv = await visible(res, req.params.id);
    if (!conv) return;
    const timeline = await core.store.timeline(conv.id);
    res.json({ id: conv.id, version: `${conv.version}.${timeline.length}` });
  });

  router.get('/v1/worklists/:name', lookers, limited, async (req, res) => {
    const name = worklistNameSchema.safeParse(req.params.name);
    if (!name.success) {
      return sendError(res, 'GW_NOT_FOUND', `worklists: ${worklistNameSchema.options.join(', ')}`);
    }
    const { cursor, limit } = worklistQuerySchema.parse(req.query);
    const now = core.now();
    const rule = listRule(core, name.data, now);
    const { services } = principalOf(res);
    const allowed = [...core.services.keys()].filter((s) => services === null || services.includes(s));
    const page = await readList(core, rule, allowed, cursor, limit);
    const convs = page.conversations.filter((c) => maySee(res, c));
    await record(res, 'worklist', { list: name.data, count: convs.length });
    res.json({
      name: name.data,
      day: rule.day,
      conversations: convs.map((c) => summaryView(c, contextFor(core, c, true))),
      next: page.next,
    });
  });

  router.post('/v1/conversations/:id/resend', supervisors, async (req, res) => {
    const body = resendSchema.parse(req.body);
    const conv = await visible(res, req.params.id);
    if (!conv) return;
    const { person } = principalOf(res);
    const result = await core.conversations.resend(conv.id, body.smsId, person, body.reason);
    if (result.status !== 'resent') {
      if (result.status === 'not-found') return sendError(res, 'GW_NOT_FOUND', `no conversation ${conv.id}`);
      if (result.status === 'no-such-sms') {
        return sendError(res, 'GW_VALIDATION_FAILED', 'no such SMS', [
          { path: 'smsId', message: `no SMS ${body.smsId} in this conversation` },
        ]);
      }
      return sendError(res, 'GW_CONFLICT', `SMS ${body.smsId} was not reported undelivered; nothing sent`);
    }
    await record(res, 'resend', { conversationId: conv.id, smsId: body.smsId, reason: body.reason });
    res.status(202).json({ conversationId: conv.id, smsId: result.smsId, state: result.conversation.state });
  });

  router.post('/v1/conversations/:id/notes', supervisors, async (req, res) => {
    const body = noteSchema.parse(req.body);
    const conv = await visible(res, req.params.id);
    if (!conv) return;
    const { person } = principalOf(res);
    const notes = (await core.store.timeline(conv.id)).filter((e) => e.kind === 'note' && e.by !== undefined);
    if (notes.length >= MAX_NOTES) {
      return sendError(
        res,
        'GW_CONFLICT',
        `this conversation has ${MAX_NOTES} notes already; no more are kept`,
      );
    }
    await core.store.append(conv.id, { at: core.now(), kind: 'note', text: body.text, by: person });
    await record(res, 'annotate', { conversationId: conv.id });
    res.status(201).json({ conversationId: conv.id });
  });
  return router;
}
