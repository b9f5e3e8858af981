/**
 * Start-up never waits on its dependencies: the HTTP server listens before Redis answers and
 * before any bind is up. Until the gateway is built, it answers /healthz, /readyz (what is still
 * missing) and /metrics, and a 503 to everything else; then the full app takes over on the same
 * server.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { buildApp, sendError, type HealthProbe } from './app.js';

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
}): Express {
  const rest = express.Router();
  rest.use((_req, res) => {
    res.set('Retry-After', '5');
    sendError(res, 'GW_REDIS_UNAVAILABLE', `the gateway is starting: ${deps.waitingFor}`);
  });
  return buildApp({ log: deps.log, metrics: deps.metrics, probes: deps.probes, routers: [rest] });
}

export function listenEarly(app: Express, host: string, port: number): Promise<EarlyServer> {
  let current: RequestListener = app;
  const server = createServer((req, res) => current(req, res));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        server,
        serve(next) {
          current = next;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
