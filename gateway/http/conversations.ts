/**
 * Call-centre lookups (CONTRACT.md): a conversation by id,
 * the conversations of one phone number, and the audit log. Agents see
 * MSISDNs and names masked; a supervisor unmasks by stating a reason. Every
 * lookup is recorded before the answer leaves: no data without its record.
 */
import { Router, type RequestHandler, type Response } from 'express';
import { maskText } from '../../common/mask-text.js';
import { maskMsisdn } from '../../common/msisdn.js';
import type { Conversation } from '../../dialogue/conversation.js';
import type { AuditAction, AuditEntry, AuditLog } from '../../store/audit.js';
import type { NoteEntry } from '../../store/timeline-entry.js';
import type { Core } from '../core/runtime.js';
import { AUDIT_SCAN_RETRY_AFTER_S, type AuditScans } from './audit-scans.js';
import { principalOf, rateLimit, requireRole, type RateLimit } from './auth.js';
import { sendError } from './errors.js';
import { auditQuerySchema, conversationIdSchema, searchQuerySchema, viewQuerySchema } from './schemas.js';
import { almatyIso, conversationView, summaryView, type ViewContext } from './view.js';

export interface LookupDeps {
  readonly core: Core;
  readonly audit: AuditLog;
  readonly lookupLimit: RateLimit;
  /** The bound on filtered audit reads in flight. */
  readonly auditScans: AuditScans;
  /** Clock of the rate limiter (tests). */
  readonly now?: () => number;
}

/** Whether to unmask, or an answer already sent (an agent asking to unmask: 403). */
function wantsUnmask(res: Response, query: { unmask?: string | undefined }): boolean | 'refused' {
  if (query.unmask !== 'true') return false;
  if (principalOf(res).role !== 'supervisor') {
    sendError(res, 'GW_FORBIDDEN', 'only a supervisor may unmask, and with a reason');
    return 'refused';
  }
  return true;
}

export function contextFor(core: Core, conv: Conversation, masked: boolean): ViewContext {
  return {
    service: core.conversations.service(conv.service),
    calendar: core.calendar,
    locales: core.renderer.locales,
    sets: core.renderer,
    masked,
    now: core.now(),
  };
}

type Recorder = (res: Response, action: AuditAction, extra: Record<string, unknown>) => Promise<void>;

function foldedNote(at: number, folded: number): NoteEntry {
  return { at, kind: 'note', text: `${folded} more unaccepted replies, counted but not kept` };
}

/** GET /v1/conversations/:id: one conversation, audited before it is answered. */
function viewOne(core: Core, record: Recorder): RequestHandler {
  return async (req, res) => {
    const query = viewQuerySchema.parse(req.query);
    const unmask = wantsUnmask(res, query);
    if (unmask === 'refused') return;
    const param = req.params.id;
    const rawId = typeof param === 'string' ? param.slice(0, 64) : '';
    const id = conversationIdSchema.safeParse(rawId);
    const found = id.success ? await core.conversations.get(id.data) : null;
    const conv = found && maySee(res, found) ? found : null;
    await record(res, unmask ? 'unmask' : 'view', {
      // What was typed for an id that names no conversation may be a phone number or an IIN.
      conversationId: conv ? conv.id : maskText(rawId, []),
      ...(conv ? { msisdn: maskMsisdn(conv.msisdn) } : {}),
      ...(unmask ? { reason: query.reason } : {}),
    });
    if (!conv) return sendError(res, 'GW_NOT_FOUND', `no conversation ${rawId}`);
    const timeline = await core.store.timeline(conv.id);
    const folded = await core.conversations.limits.folded(conv.id);
    // Unaccepted replies beyond the day's first ones are counted, not kept (reply-limits.ts).
    const shown = folded > 0 ? [...timeline, foldedNote(conv.updatedAt, folded)] : timeline;
    res.json(conversationView(conv, shown, contextFor(core, conv, !unmask)));
  };
}

/** Whether the caller's key covers this conversation's service (a person key may name services). */
export function maySee(res: Response, conv: Pick<Conversation, 'service'>): boolean {
  const { services } = principalOf(res);
  return services === null || services.includes(conv.service);
}

/**
 * GET /v1/conversations?msisdn= (the conversations of one number, newest first), or
 * ?service=&externalId= (the inviting system's reference: one conversation or none).
 */
function search(core: Core, record: Recorder): RequestHandler {
  return async (req, res) => {
    const query = searchQuerySchema.parse(req.query);
    const unmask = wantsUnmask(res, query);
    if (unmask === 'refused') return;
    let found: Conversation[];
    if (query.msisdn !== undefined) found = await core.store.listByMsisdn(query.msisdn);
    else {
      const id = await core.store.findExternalId(query.service ?? '', query.externalId ?? '');
      const conv = id === null ? null : await core.conversations.get(id);
      found = conv ? [conv] : [];
    }
    const convs = found.filter((c) => maySee(res, c));
    await record(res, unmask ? 'unmask' : 'search', {
      ...(query.msisdn !== undefined
        ? { msisdn: maskMsisdn(query.msisdn) }
        : { service: query.service, externalId: query.externalId }),
      count: convs.length,
      // Whose numbers and names were shown in full, not only how many.
      ...(unmask ? { reason: query.reason, conversationIds: convs.map((c) => c.id) } : {}),
    });
    res.json({ conversations: convs.map((c) => summaryView(c, contextFor(core, c, !unmask))) });
  };
}

export function lookupRouter(deps: LookupDeps): Router {
  const { core, audit } = deps;
  const router = Router();
  const limited = rateLimit(deps.lookupLimit, deps.now);
  const record: Recorder = (res, action, extra) => {
    const { person, keyId, role } = principalOf(res);
    return audit.record({ at: core.now(), actor: person, keyId, role, action, ...extra });
  };
  const lookers = requireRole('agent', 'supervisor');
  router.get('/v1/conversations/:id', lookers, limited, viewOne(core, record));
  router.get('/v1/conversations', lookers, limited, search(core, record));
  router.get('/v1/audit', requireRole('supervisor'), async (req, res) => {
    const { limit, offset, conversationId, actor } = auditQuerySchema.parse(req.query);
    const shown = (entries: readonly AuditEntry[]) =>
      entries.map((e) => ({ ...e, at: almatyIso(core.calendar.zone, e.at) }));
    if (conversationId === undefined && actor === undefined) {
      return res.json({ entries: shown(await audit.recent(limit, offset)) });
    }
    // Who saw one citizen's conversation, or what one person did: scanned a bounded part at a time,
    // a few such scans at once (audit-scans.ts).
    const slot = deps.auditScans.take(principalOf(res).person);
    if ('refused' in slot) {
      res.set('Retry-After', String(AUDIT_SCAN_RETRY_AFTER_S));
      return sendError(
        res,
        'GW_AUDIT_SCANS_BUSY',
        slot.refused === 'person'
          ? 'too many filtered audit reads of yours are running; wait for Retry-After seconds'
          : 'too many filtered audit reads are running; wait for Retry-After seconds',
      );
    }
    const gone = new AbortController();
    const abort = (): void => {
      if (!res.writableEnded) gone.abort();
    };
    res.once('close', abort);
    try {
      const found = await audit.find(
        (e) =>
          (actor === undefined || e.actor === actor) &&
          (conversationId === undefined ||
            e.conversationId === conversationId ||
            (e.conversationIds?.includes(conversationId) ?? false)),
        limit,
        offset,
        { signal: gone.signal, read: deps.auditScans.read },
      );
      if (!gone.signal.aborted) res.json({ entries: shown(found.entries), next: found.next });
    } finally {
      res.off('close', abort);
      slot.release();
    }
  });
  return router;
}
