/**
 * The HTTP side of the gateway, built without listening (fastify's testing
 * guide): `main.ts` listens, supertest drives this.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { buildInfo } from '../build-info.js';
import type { Logger } from '../log.js';
import { accessLog } from './access.js';
import { errorHandler, notFound, sendError } from './errors.js';
import { requestId } from './request-id.js';

export interface HealthProbe {
  /** Name shown in /readyz, e.g. `redis`, `smpp`. */
  readonly name: string;
  /** True when this dependency can serve. Must not throw; must answer within ~1 s. */
  check(): Promise<boolean>;
}

export interface AppDeps {
  readonly log: Logger;
  readonly metrics: Registry;
  /** Readiness: Redis and at least one bind up (CONTRACT.md). */
  readonly probes: readonly HealthProbe[];
  /**
   * Middleware run before the body is parsed (authentication, gateway/http/api.ts), so a request
   * without a valid key is refused before its body is read.
   */
  readonly guards?: ReadonlyArray<RequestHandler>;
  /** Routers mounted after the health routes (API, console), each with its own auth. */
  readonly routers?: ReadonlyArray<express.Router>;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestId(deps.log));
  app.use(accessLog(deps.log, deps.metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: buildInfo().version });
  });

  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      deps.probes.map(async (p) => [p.name, await p.check().catch(() => false)] as const),
    );
    const checks = Object.fromEntries(results);
    const missing = results.filter(([, ok]) => !ok).map(([name]) => name);
    const ready = missing.length === 0;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks, missing });
  });

  // The agent console is what a person opening the gateway's address is after.
  app.get('/', (_req, res) => {
    res.redirect(302, '/console/');
  });

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  for (const guard of deps.guards ?? []) app.use(guard);
  app.use(express.json({ limit: '5mb' }));
  for (const router of deps.routers ?? []) app.use(router);

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}

export { sendError };
