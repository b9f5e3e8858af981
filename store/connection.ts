/**
 * Redis connections: standalone (REDIS_URL) or Cluster (REDIS_CLUSTER_NODES).
 * Every key the gateway writes is hash-tagged (store/keys.ts) so that one
 * conversation's keys live in one slot and its Lua scripts run on Cluster.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  readonly url: string;
  readonly clusterNodes: ReadonlyArray<{ host: string; port: number }>;
}

export interface ConnectOptions {
  /**
   * Fail commands at once while disconnected instead of queueing them. The
   * inbound path needs this: a deliver_sm must get a temporary error promptly
   * while Redis is down, so the SMSC retries (CONTRACT.md, "SMPP behaviour").
   */
  readonly failFast?: boolean;
  /** Connection name shown in CLIENT LIST. */
  readonly name?: string;
}

export function connectRedis(target: RedisTarget, options: ConnectOptions = {}): RedisClient {
  const common: RedisOptions = {
    connectionName: options.name ?? 'gateway-1414',
    // BullMQ workers need null; the fail-fast client bounds each command instead.
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    ...(options.failFast ? { commandTimeout: 2000 } : {}),
  };
  if (target.clusterNodes.length > 0) {
    return new Cluster([...target.clusterNodes], {
      redisOptions: common,
      enableOfflineQueue: !options.failFast,
      scaleReads: 'master',
    });
  }
  return new Redis(target.url, common);
}

/** Readiness probe: PING within a second. */
export async function redisReady(client: RedisClient): Promise<boolean> {
  if (client.status !== 'ready') return false;
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 1000).unref());
  const ping = client
    .ping()
    .then((r) => r === 'PONG')
    .catch(() => false);
  return Promise.race([ping, timeout]);
}
