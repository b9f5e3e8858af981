/**
 * The audit log's filtered reads (`GET /v1/audit?conversationId=` or `?actor=`) each scan up to
 * AUDIT_SCAN entries in Redis. A few run at once: in flight in this process at most `perProcess`,
 * of one person at most `perPerson`; another is answered `429 GW_AUDIT_SCANS_BUSY` with Retry-After.
 * The bound counts work, not time, so it holds whatever the clock says, and a scan whose client went
 * away stops before its next part and frees its place (store/audit.ts, `find`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface AuditScanLimits {
  /** Filtered scans in flight at once in one process. */
  readonly perProcess: number;
  /** Of them, one person's (several keys of one person share it). */
  readonly perPerson: number;
}

/** A supervisor pages one filter at a time; four at once keep a process's Redis time for the rest. */
export const DEFAULT_AUDIT_SCANS: AuditScanLimits = { perProcess: 4, perPerson: 2 };

/** Seconds a refused scan is told to wait: a scan of 100,000 entries takes well under one. */
export const AUDIT_SCAN_RETRY_AFTER_S = 1;

export type ScanRefusal = 'process' | 'person';

export interface AuditScans {
  /** A place for one scan of `person`, released by the function returned (once); or which bound refused it. */
  take(person: string): { readonly release: () => void } | { readonly refused: ScanRefusal };
  /** Counts entries read by the scans. */
  readonly read: (entries: number) => void;
}

export function auditScans(limits: AuditScanLimits, registry: Registry): AuditScans {
  const inFlight = new Gauge({
    name: 'gateway_audit_scans_in_flight',
    help: 'Filtered reads of the audit log (GET /v1/audit?conversationId= or ?actor=) running in this process',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'gateway_audit_scans_refused_total',
    help: 'Filtered reads of the audit log answered 429 because too many ran at once, by the bound that refused (process, person)',
    labelNames: ['limit'],
    registers: [registry],
  });
  const entries = new Counter({
    name: 'gateway_audit_scanned_entries_total',
    help: 'Audit entries read by filtered reads of the audit log',
    registers: [registry],
  });
  let total = 0;
  const byPerson = new Map<string, number>();
  return {
    take(person) {
      const own = byPerson.get(person) ?? 0;
      const bound: ScanRefusal | null =
        total >= limits.perProcess ? 'process' : own >= limits.perPerson ? 'person' : null;
      if (bound !== null) {
        refused.inc({ limit: bound });
        return { refused: bound };
      }
      total++;
      byPerson.set(person, own + 1);
      inFlight.set(total);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          total--;
          const left = (byPerson.get(person) ?? 1) - 1;
          if (left > 0) byPerson.set(person, left);
          else byPerson.delete(person);
          inFlight.set(total);
        },
      };
    },
    read: (n) => entries.inc(n),
  };
}
