/**
 * Builds and wires the whole gateway from a Config. Used by main.ts, the demo
 * and the end-to-end tests (in-process, on port 0).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { connectRedis, redisReady, type RedisClient } from '../store/redis.js';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import type { Logger } from './log.js';

export interface GatewayHandle {
  readonly httpUrl: string;
  readonly redis: RedisClient;
  readonly metrics: Registry;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log: Logger;
}

export async function startGateway(config: Config, options: StartOptions): Promise<GatewayHandle> {
  const { log } = options;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const redis = connectRedis(config.redis, { name: 'gateway' });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));

  const app = buildApp({
    log,
    metrics,
    probes: [{ name: 'redis', check: () => redisReady(redis) }],
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const httpUrl = `http://${config.http.host}:${address.port}`;

  return {
    httpUrl,
    redis,
    metrics,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
