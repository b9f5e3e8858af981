/**
 * Start-up never waits on its dependencies: the HTTP server listens before Redis answers and
 * before any bind is up. Until the gateway is built, it answers /healthz, /readyz (what is still
 * missing) and /metrics, and a 503 to everything else; then the full app takes over on the same
 * server.
 */
import type { RequestListener, Server } from 'node:http';
import express, { type Express } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { buildApp, metricsHandler, sendError, type HealthProbe } from './app.js';
import { notFound } from './errors.js';
import { listenLimited, type ConnectionRefusals } from './server.js';
import { GatewayError } from '../../common/errors.js';

export interface EarlyServer {
  readonly server: Server;
  /** Hand every request from now on to `app`. */
  serve(app: Express): void;
  close(): Promise<void>;
}

/** What answers while the gateway is still starting: health, readiness, metrics, and 503. */
export function startingApp(deps: {
  log: Logger;
  metrics: Registry;
  probes: readonly HealthProbe[];
  waitingFor: string;
  serveMetrics: boolean;
}): Express {
  const rest = express.Router();
  rest.use((_req, res) => {
    res.set('Retry-After', '5');
    sendError(res, 'GW_REDIS_UNAVAILABLE', `the gateway is starting: ${deps.waitingFor}`);
  });
  return buildApp({
    log: deps.log,
    metrics: deps.metrics,
    probes: deps.probes,
    routers: [rest],
    serveMetrics: deps.serveMetrics,
  });
}

/** /metrics alone, for METRICS_PORT: scraped on a port the API's clients never see. */
export function metricsApp(registry: Registry): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(registry));
  app.use(notFound);
  return app;
}

/**
 * Listen at once, with the server's limits (server.ts); `serve` hands the server to the full app.
 * `variables`: the settings host and port come from (`HTTP_HOST/HTTP_PORT`): an address that cannot
 * be listened on (in use, not this machine's, a privileged port) is bad configuration, one line
 * naming them (GW_CONFIG_INVALID). `metrics`: where the server's refusals are counted.
 */
export async function listenEarly(
  app: Express,
  host: string,
  port: number,
  variables: string,
  metrics?: Registry,
): Promise<EarlyServer> {
  let current: RequestListener = app;
  const { server, refused } = await listenLimited((req, res) => current(req, res), host, port).catch(
    (err: NodeJS.ErrnoException) => {
      throw new GatewayError(
        'GW_CONFIG_INVALID',
        `${variables} ${host}:${port} cannot be listened on: ${err.code ?? err.message}`,
        undefined,
        { cause: err },
      );
    },
  );
  if (metrics) refusalsMetric(metrics, refused);
  return {
    server,
    serve(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The connections and requests the server refused before the API saw them, by reason. */
function refusalsMetric(registry: Registry, refused: Readonly<ConnectionRefusals>): void {
  new Counter({
    name: 'gateway_http_refused_total',
    help: 'connections closed over a cap (per-address, total) and requests refused before the API (unreadable: headers too large, not HTTP, too slow)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'per-address' }, refused.perAddress);
      this.inc({ reason: 'total' }, refused.total);
      this.inc({ reason: 'unreadable' }, refused.unreadable);
    },
  });
}
