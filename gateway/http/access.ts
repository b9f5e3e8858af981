/**
 * The access log and the HTTP metrics: one line per request with its route, status and duration
 * (refusals included: 401, 403, 413, 429), and `gateway_http_requests_total` /
 * `gateway_http_request_duration_seconds` by route and status. The route is the pattern of the
 * operation (`/v1/conversations/{id}`, OPERATIONS in openapi.ts), matched on the path even when
 * the request was refused before routing, so a scan of random paths cannot create new series.
 * Paths and queries are not logged: a query may hold an MSISDN.
 */
import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import { logContext, type Logger } from '../log.js';
import { OPERATIONS } from './openapi.js';
import { requestIdOf } from './request-id.js';

const ROUTES = OPERATIONS.map((op) => ({
  path: op.path,
  pattern: new RegExp(`^${op.path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
}));

/** Probes and scrapes: logged at debug, not at every poll of a load balancer or Prometheus. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/** The route label of a path: an operation's pattern, `/console/` for the page's files, else `other`. */
export function routeOf(path: string): string {
  for (const route of ROUTES) if (route.pattern.test(path)) return route.path;
  if (path === '/console' || path.startsWith('/console/')) return '/console/';
  if (path === '/') return '/';
  return 'other';
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface HttpMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
}

/** Once per registry: the start-up app and the full app share them (gateway.ts). */
function httpMetrics(registry: Registry): HttpMetrics {
  const existing = registry.getSingleMetric('gateway_http_requests_total');
  if (existing)
    return {
      requests: existing as Counter<'method' | 'route' | 'status'>,
      duration: registry.getSingleMetric('gateway_http_request_duration_seconds') as Histogram<
        'method' | 'route'
      >,
    };
  return {
    requests: new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'HTTP request duration, from the first byte read to the last byte written, by method and route',
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}

export function accessLog(log: Logger, registry: Registry): RequestHandler {
  const metrics = httpMetrics(registry);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req.path);
      const method = ['GET', 'POST', 'HEAD'].includes(req.method) ? req.method : 'other';
      const status = res.statusCode;
      metrics.requests.inc({ method, route, status: String(status) });
      metrics.duration.observe({ method, route }, seconds);
      const line = {
        event: 'http',
        method,
        route,
        status,
        ms: Math.round(seconds * 10_000) / 10,
      };
      const write = (): void => {
        if (QUIET.has(route)) log.debug(line, 'request');
        else if (status === 500) log.error(line, 'request failed');
        else if (status >= 500) log.warn(line, 'request refused');
        else log.info(line, 'request');
      };
      const requestId = requestIdOf(res);
      if (requestId === undefined) write();
      else logContext.run({ requestId }, write);
    });
    // Every line written while this request is handled names it (gateway/log.ts).
    const requestId = requestIdOf(res);
    if (requestId === undefined) next();
    else logContext.run({ requestId }, next);
  };
}
