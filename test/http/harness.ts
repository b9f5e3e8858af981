/**
 * The gateway's HTTP side on a test core (real Redis, own key prefix, test clock),
 * with one key per role. supertest drives `app`; the browser test listens on port 0.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Express } from 'express';
import { buildApp } from '../../gateway/http/app.js';
import { api } from '../../gateway/http/api.js';
import type { RateLimit } from '../../gateway/http/auth.js';
import type { ApiKey } from '../../gateway/config.js';
import type { AuditScanLimits } from '../../gateway/http/audit-scans.js';
import { createTestCore, testClock, type TestCore } from '../support/core.js';

export const KEYS = {
  system: 'sys-key-0123456789abcdef',
  agent: 'agent-key-0123456789abcdef',
  supervisor: 'super-key-0123456789abcdef',
  test: 'test-key-0123456789abcdef',
} as const;

export const bearer = (role: keyof typeof KEYS): string => `Bearer ${KEYS[role]}`;

export interface TestApp {
  readonly app: Express;
  readonly core: TestCore;
  readonly metrics: Registry;
  /** What a stopping gateway does first: the refused attempts still folded are audited. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(
  options: {
    lookupLimit?: RateLimit;
    refusalFoldMs?: number;
    auditScans?: AuditScanLimits;
    /** Another Redis than the run's (a test that pauses it). */
    redisUrl?: string;
    /** More keys than one per role (two supervisors). */
    extraKeys?: readonly ApiKey[];
  } = {},
): Promise<TestApp> {
  const core = await createTestCore(
    testClock(),
    options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl },
  );
  const metrics = new Registry();
  const parts = api({
    core,
    apiKeys: [
      ...Object.entries(KEYS).map(([role, key]) => ({ role: role as keyof typeof KEYS, key })),
      ...(options.extraKeys ?? []),
    ],
    metrics,
    ...(options.lookupLimit ? { lookupLimit: options.lookupLimit } : {}),
    ...(options.refusalFoldMs !== undefined ? { refusalFoldMs: options.refusalFoldMs } : {}),
    ...(options.auditScans ? { auditScans: options.auditScans } : {}),
  });
  const app = buildApp({ log: pino({ level: 'silent' }), metrics, probes: [], ...parts });
  return {
    app,
    core,
    metrics,
    flush: () => parts.close(),
    close: async () => {
      await parts.close();
      await core.close();
    },
  };
}
