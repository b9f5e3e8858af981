/**
 * Refused attempts on personal data go to the audit log too (Law on personal data, art. 25: who tried to
 * reach it, not only who did): a `401`, `403` or `429` answered on a lookup, the audit log or the keys is
 * recorded as `refused` with the status, the path (no query: it may hold a number), the client address and
 * the key's owner when the key was known. A flood of refusals is folded: per caller and status, one entry
 * at most every `foldMs`, its `count` the attempts since the previous entry, so refusals cannot flush the
 * log or load Redis.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AuditLog } from '../../store/audit.js';
import type { Logger } from '../log.js';
import { maybePrincipal } from './auth.js';

/** Paths that reach personal data or the keys to it. */
const PERSONAL = /^\/v1\/(conversations|audit|keys)(\/|$)/i;
const REFUSED = new Set([401, 403, 429]);
/** Callers and statuses remembered for folding; beyond, the oldest are forgotten (an entry then goes out). */
const MAX_TRACKED = 10_000;

export interface RefusalAuditOptions {
  readonly audit: AuditLog;
  readonly now: () => number;
  readonly log?: Logger;
  /** One entry per caller and status at most this often (ms). */
  readonly foldMs?: number;
}

/** The fingerprint of a presented key that was not known: enough to tell two unknown keys apart. */
function presentedKeyId(header: string | undefined): string | undefined {
  const key = /^Bearer[ ]+(\S+)/i.exec(header ?? '')?.[1];
  return key === undefined ? undefined : createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function auditRefusals(options: RefusalAuditOptions): RequestHandler {
  const foldMs = options.foldMs ?? 10_000;
  const windows = new Map<string, { since: number; folded: number }>();
  return (req, res, next) => {
    if (!PERSONAL.test(req.path)) return next();
    res.once('finish', () => {
      if (!REFUSED.has(res.statusCode)) return;
      const principal = maybePrincipal(res);
      const address = req.socket.remoteAddress ?? '';
      const keyId = principal?.keyId ?? presentedKeyId(req.get('authorization'));
      const who = principal?.person ?? `unknown@${address}`;
      const slot = `${who}|${res.statusCode}`;
      const now = options.now();
      const window = windows.get(slot);
      if (window && now - window.since < foldMs) {
        window.folded++;
        return;
      }
      windows.delete(slot);
      if (windows.size >= MAX_TRACKED) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      windows.set(slot, { since: now, folded: 0 });
      options.audit
        .record({
          at: now,
          actor: principal?.person ?? 'unknown',
          ...(keyId !== undefined ? { keyId } : {}),
          role: principal?.role ?? 'none',
          action: 'refused',
          status: res.statusCode,
          path: req.path.slice(0, 128),
          address,
          count: 1 + (window?.folded ?? 0),
        })
        .catch((err: unknown) => options.log?.warn({ err }, 'a refused attempt could not be audited'));
    });
    next();
  };
}
