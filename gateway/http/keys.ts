/**
 * People's API keys, managed by a supervisor (docs/api.md, "Keys"): create
 * (the key is shown once), list, revoke. A revoked key is refused from the
 * next request on, on every gateway instance (gateway/http/auth.ts reads the
 * store on each request). Every change is in the audit log, naming both people.
 */
import { Router, type Response } from 'express';
import type { AuditAction, AuditLog } from '../../store/audit.js';
import { keyDigest, type PersonKey, type PersonKeyStore } from '../../store/api-keys.js';
import type { Core } from '../core/runtime.js';
import { principalOf, requireRole } from './auth.js';
import { sendError } from './errors.js';
import { keyCreateSchema, keyIdSchema, keyRevokeSchema } from './schemas.js';
import { almatyIso } from './view.js';

export interface KeyDeps {
  readonly core: Core;
  readonly audit: AuditLog;
  readonly keys: PersonKeyStore;
}

export function keysRouter({ core, audit, keys }: KeyDeps): Router {
  const router = Router();
  const supervisors = requireRole('supervisor');
  const shown = (k: PersonKey) => ({
    id: k.id,
    person: k.person,
    role: k.role,
    services: k.services,
    createdAt: almatyIso(core.calendar.zone, k.createdAt),
    createdBy: k.createdBy,
  });
  const record = (
    res: Response,
    action: AuditAction,
    target: PersonKey,
    reason?: string,
    fingerprint?: string,
  ) => {
    const { person, keyId, role } = principalOf(res);
    return audit.record({
      at: core.now(),
      actor: person,
      keyId,
      role,
      action,
      targetKey: target.id,
      targetPerson: target.person,
      ...(reason ? { reason } : {}),
      ...(fingerprint ? { targetFingerprint: fingerprint } : {}),
    });
  };

  router.post('/v1/keys', supervisors, async (req, res) => {
    const body = keyCreateSchema.parse(req.body);
    const unknown = (body.services ?? []).filter((s) => !core.services.has(s));
    if (unknown.length > 0) {
      return sendError(res, 'GW_VALIDATION_FAILED', 'unknown services', [
        { path: 'services', message: `must be among ${[...core.services.keys()].join(', ')}` },
      ]);
    }
    const created = await keys.create({
      person: body.person,
      role: body.role,
      services: body.services ?? null,
      createdAt: core.now(),
      createdBy: principalOf(res).person,
    });
    if (!created) return sendError(res, 'GW_CONFLICT', 'too many keys: revoke unused ones first');
    // The fingerprint a refused attempt with this key names once it is revoked (refusals.ts): who held it.
    await record(res, 'key-create', created.record, undefined, keyDigest(created.secret).slice(0, 12));
    res.status(201).json({ ...shown(created.record), key: created.secret });
  });

  router.get('/v1/keys', supervisors, async (_req, res) => {
    res.json({ keys: (await keys.list()).map(shown) });
  });

  router.post('/v1/keys/:id/revoke', supervisors, async (req, res) => {
    const id = keyIdSchema.safeParse(req.params.id);
    const { reason } = keyRevokeSchema.parse(req.body ?? {});
    const revoked = id.success ? await keys.revoke(id.data) : null;
    if (!revoked) return sendError(res, 'GW_NOT_FOUND', `no key ${String(req.params.id).slice(0, 64)}`);
    await record(res, 'key-revoke', revoked, reason);
    res.json({ ...shown(revoked), revoked: true });
  });
  return router;
}
