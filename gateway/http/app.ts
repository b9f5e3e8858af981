/**
 * The HTTP side of the gateway, built without listening (fastify's testing
 * guide): `main.ts` listens, supertest drives this.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { GatewayError } from '../../common/errors.js';
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
  /** More for /readyz's body (per carrier: how long down, SMS waiting), whatever the status. */
  readonly readyDetails?: () => Record<string, unknown>;
  /** False when /metrics has a port of its own (METRICS_PORT): not served beside the API then. */
  readonly serveMetrics?: boolean;
  /**
   * Middleware run before the body is parsed (authentication, gateway/http/api.ts), so a request
   * without a valid key is refused before its body is read.
   */
  readonly guards?: ReadonlyArray<RequestHandler>;
  /** Routers mounted after the health routes (API, console), each with its own auth. */
  readonly routers?: ReadonlyArray<express.Router>;
}

/** JSON nesting no API body needs; deeper is refused before JSON.parse spends time on it. */
export const MAX_JSON_DEPTH = 32;

/**
 * Throws a 400 when `buf` is JSON but not an object or array (`null`, `5`, `"x"`: the API takes
 * objects), or nests arrays and objects deeper than MAX_JSON_DEPTH (strings skipped).
 */
function checkDepth(buf: Buffer): void {
  // A UTF-8 byte order mark is skipped, as body-parser does when it decodes the body.
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const first = buf.toString('latin1', start, Math.min(buf.length, start + 64)).trimStart()[0];
  if (first !== undefined && first !== '{' && first !== '[') {
    throw Object.assign(new Error('the body must be a JSON object'), {
      status: 400,
      type: 'entity.not.object',
    });
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (b === 0x5c)
        i++; // a backslash escapes the next byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw Object.assign(new Error(`the body nests deeper than ${MAX_JSON_DEPTH} levels`), {
          status: 400,
          type: 'entity.too.deep',
        });
      }
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
}

const parseJson = express.json({ limit: '5mb', verify: (_req, _res, buf) => checkDepth(buf) });
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Reads a JSON body only for a caller the guards authenticated (`res.locals.principal`), on a method that
 * carries one: an unknown path or an unauthenticated request is answered without reading its body.
 */
const jsonBody: RequestHandler = (req, res, next) => {
  if (res.locals.principal === undefined || !BODY_METHODS.has(req.method)) {
    next();
    return;
  }
  // A body of another type would be ignored and the fields reported missing (`curl -d` sends
  // application/x-www-form-urlencoded): say what to send instead.
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (hasBody && req.is('application/json') === false) {
    const sent = req.headers['content-type'] ?? '';
    const type = sent === '' ? 'none' : sent;
    next(
      new GatewayError(
        'GW_VALIDATION_FAILED',
        `the body must be JSON, sent with Content-Type: application/json (got ${type.slice(0, 100)})`,
      ),
    );
    return;
  }
  parseJson(req, res, next);
};

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
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not-ready', checks, missing, ...deps.readyDetails?.() });
  });

  // The agent console is what a person opening the gateway's address is after.
  app.get('/', (_req, res) => {
    res.redirect(302, '/console/');
  });

  if (deps.serveMetrics !== false) app.get('/metrics', metricsHandler(deps.metrics));

  for (const guard of deps.guards ?? []) app.use(guard);
  app.use(jsonBody);
  for (const router of deps.routers ?? []) app.use(router);

  app.use(methodNotAllowed(app), notFound);
  app.use(errorHandler(deps.log));
  return app;
}

/** A route of express's router stack (router 2.x): its path matcher and methods. */
interface RouteLayer {
  match(path: string): boolean;
  route?: { methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
}

/**
 * A path the gateway serves, asked with a method it does not take: `405 GW_METHOD_NOT_ALLOWED`
 * with `Allow` naming the methods it takes (RFC 9110 §15.5.6), not a 404 saying there is no such
 * path. The methods are read from the app's own routes (routers mounted at `/`), once.
 */
function methodNotAllowed(app: Express): RequestHandler {
  let routes: RouteLayer[] | undefined;
  const walk = (stack: readonly RouteLayer[]): RouteLayer[] =>
    stack.flatMap((layer) => (layer.route ? [layer] : layer.handle?.stack ? walk(layer.handle.stack) : []));
  return (req, res, next) => {
    routes ??= walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack);
    const methods = new Set(
      routes
        .filter((layer) => layer.match(req.path))
        .flatMap((layer) => Object.keys(layer.route!.methods).map((m) => m.toUpperCase())),
    );
    if (methods.size === 0) return next();
    if (methods.has('GET')) methods.add('HEAD');
    res.set('Allow', [...methods].sort().join(', '));
    sendError(
      res,
      'GW_METHOD_NOT_ALLOWED',
      `${req.method} is not taken by ${req.path}; it takes ${[...methods].sort().join(', ')}`,
    );
  };
}

/** GET /metrics: the registry in Prometheus' text format. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
}

export { sendError };
