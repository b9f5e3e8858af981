/**
 * Refused attempts on personal data go to the audit log too (Law on personal data, art. 25: who tried to
 * reach it, not only who did): a `401`, `403` or `429` answered on a path that reaches citizens' data
 * (lookups, worklists, invitations, events, outboxes, webhooks' dead letters, test replies) or the
 * audit log or the keys is recorded as `refused` with the status, the path (no query: it may hold a
 * number), the client address and the key's owner when the key was known. A flood of refusals is folded:
 * per caller and status, one entry at most every `foldMs`; the attempts folded into a window are written
 * when it closes, as one entry whose `count` says how many, so refusals cannot flush the log or load
 * Redis, and none goes unrecorded: a process that stops writes its open windows first (`flush`).
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditEntry, AuditLog } from '../../store/audit.js';
import type { Logger } from '../log.js';
import { SCRAPE_WAIT_MS, withinMs } from '../core/scrape.js';
import { maybePrincipal } from './auth.js';

/** Paths that reach personal data or the keys to it (not campaigns' counts, previews or `/v1/me`). */
const PERSONAL =
  /^\/v1\/(conversations|worklists|invitations|events|outboxes|webhooks|test|audit|keys)(\/|$)/i;
const REFUSED = new Set([401, 403, 429]);
/** Callers and statuses remembered for folding; beyond, the oldest are forgotten (an entry then goes out). */
const MAX_TRACKED = 10_000;

export interface RefusalAuditOptions {
  readonly audit: AuditLog;
  readonly now: () => number;
  readonly log?: Logger;
  /** One entry per caller and status at most this often (ms). */
  readonly foldMs?: number;
  /** Every refused attempt, folded or not, by status (registerAuditMetrics). */
  readonly refused?: Counter<'status'>;
}

/**
 * The audit log's own figures: `gateway_audit_entries` (read from Redis when scraped: the same in every
 * process; the last figure while Redis is down or slow) against `gateway_audit_entries_limit`, the most it
 * keeps before the oldest are trimmed, and `gateway_audit_refusals_total{status}`, every refused attempt
 * this process answered, folded into the log or not (a burst of 401s is someone guessing keys).
 */
export function registerAuditMetrics(registry: Registry, audit: AuditLog): Counter<'status'> {
  new Gauge({
    name: 'gateway_audit_entries',
    help: 'Entries in the audit log (the oldest are trimmed beyond gateway_audit_entries_limit)',
    registers: [registry],
    async collect() {
      const size = await withinMs(audit.size(), SCRAPE_WAIT_MS);
      if (size !== undefined) this.set(size);
    },
  });
  new Gauge({
    name: 'gateway_audit_entries_limit',
    help: 'The most entries the audit log keeps; ship them to an archive for longer retention',
    registers: [registry],
  }).set(audit.limit);
  return new Counter({
    name: 'gateway_audit_refusals_total',
    help: 'Refused attempts (401, 403, 429) on paths reaching personal data, each one, folded in the audit log or not',
    labelNames: ['status'],
    registers: [registry],
  });
}

/** The fingerprint of a presented key that was not known: enough to tell two unknown keys apart. */
function presentedKeyId(header: string | undefined): string | undefined {
  const key = /^Bearer[ ]+(\S+)/i.exec(header ?? '')?.[1];
  return key === undefined ? undefined : createHash('sha256').update(key).digest('hex').slice(0, 12);
}

interface Window {
  readonly since: number;
  /** Attempts answered in the window after the first; written when it closes. */
  folded: number;
  /** The path of the latest folded attempt. */
  path: string;
  timer?: NodeJS.Timeout;
  /** Writes the folded attempts, if any, as one entry and forgets the window. */
  close?: () => void;
}

/** The refusals' middleware, and what a stopping process calls before it closes Redis. */
export interface RefusalAudit {
  readonly handler: RequestHandler;
  /** Writes the attempts folded into the open windows and waits for every write in progress. */
  flush(): Promise<void>;
}

export function auditRefusals(options: RefusalAuditOptions): RefusalAudit {
  const foldMs = options.foldMs ?? 10_000;
  const windows = new Map<string, Window>();
  const writing = new Set<Promise<void>>();
  const write = (entry: AuditEntry): void => {
    const done = options.audit
      .record(entry)
      .catch((err: unknown) => options.log?.warn({ err }, 'a refused attempt could not be audited'))
      .finally(() => writing.delete(done));
    writing.add(done);
  };
  const flush = async (): Promise<void> => {
    for (const window of [...windows.values()]) window.close?.();
    windows.clear();
    await Promise.all([...writing]);
  };
  const handler: RequestHandler = (req, res, next) => {
    if (!PERSONAL.test(req.path)) return next();
    res.once('finish', () => {
      if (!REFUSED.has(res.statusCode)) return;
      options.refused?.inc({ status: String(res.statusCode) });
      const principal = maybePrincipal(res);
      const address = req.socket.remoteAddress ?? '';
      const keyId = principal?.keyId ?? presentedKeyId(req.get('authorization'));
      const who = principal?.person ?? `unknown@${address}`;
      const slot = `${who}|${res.statusCode}`;
      const now = options.now();
      const path = req.path.slice(0, 128);
      const entry = (count: number, at: number, where: string): AuditEntry => ({
        at,
        actor: principal?.person ?? 'unknown',
        ...(keyId !== undefined ? { keyId } : {}),
        role: principal?.role ?? 'none',
        action: 'refused',
        status: res.statusCode,
        path: where,
        address,
        count,
      });
      const window = windows.get(slot);
      if (window && now - window.since < foldMs) {
        window.folded++;
        window.path = path;
        // The window's attempts are written when it closes, whether or not another one follows.
        window.close ??= () => {
          clearTimeout(window.timer);
          if (windows.get(slot) === window) windows.delete(slot);
          if (window.folded > 0) write(entry(window.folded, options.now(), window.path));
          window.folded = 0;
        };
        window.timer ??= setTimeout(window.close, foldMs - (now - window.since)).unref();
        return;
      }
      if (window) {
        clearTimeout(window.timer);
        windows.delete(slot);
      }
      if (windows.size >= MAX_TRACKED) {
        const [oldest, forgotten] = windows.entries().next().value ?? [];
        if (oldest !== undefined) windows.delete(oldest);
        forgotten?.close?.();
      }
      windows.set(slot, { since: now, folded: 0, path });
      write(entry(1 + (window?.folded ?? 0), now, path));
    });
    next();
  };
  return { handler, flush };
}
