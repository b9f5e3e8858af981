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
    const cluster = new Cluster([...target.clusterNodes], {
      redisOptions: common,
      enableOfflineQueue: !options.failFast,
      scaleReads: 'master',
    });
    cluster.on('+node', (node: Redis) => coalesceWrites(node));
    return cluster;
  }
  return coalesceWrites(new Redis(target.url, common));
}

/**
 * The commands a client issues in one turn of the event loop reach the socket in one write
 * (`writev`) instead of one write each: a reply decided or a deadline fired issues a dozen, and
 * a system call per command is a large share of the process's CPU (docs/performance.md,
 * "Behind the edge"). The socket is corked at the turn's first command and uncorked after the
 * turn (setImmediate). Unlike ioredis's auto-pipelining, every command stays a command of its
 * own: one lost with the connection is resent after the reconnection as before.
 */
export function coalesceWrites(client: Redis): Redis {
  const hook = (): void => {
    const socket = client.stream as (typeof client.stream & { corkedTurn?: boolean }) | undefined;
    if (!socket || socket.corkedTurn !== undefined) return;
    socket.corkedTurn = false;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    const uncork = (): void => {
      socket.corkedTurn = false;
      socket.uncork();
    };
    socket.write = (...args: unknown[]): boolean => {
      if (!socket.corkedTurn && !socket.destroyed) {
        socket.corkedTurn = true;
        socket.cork();
        setImmediate(uncork);
      }
      return write(...args);
    };
  };
  client.on('connect', hook);
  hook();
  return client;
}

/** Readiness probe: PING within `timeoutMs` (a second by default). */
export async function redisReady(client: RedisClient, timeoutMs = 1000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  const ping = client
    .ping()
    .then((r) => r === 'PONG')
    .catch(() => false);
  return Promise.race([ping, timeout]);
}

/**
 * Redis's error answers that say it is away for a while (a failover, a load, memory, a cluster
 * resharding, a busy script, missing replicas, a failed snapshot), as against one about the command;
 * a script's error carries the answer of the command that failed in it.
 */
const AWAY_ANSWERS = /\b(?:READONLY|OOM|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF)\b/;

/** ioredis's own words for a command lost with its connection or given up on. */
const LOST =
  /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Command timed out/;

/**
 * Whether `err` says Redis is away (unreachable, or answering that it cannot take the command for
 * now) rather than that the command or its data is at fault: what an outage looks like, and so
 * no reason to give up on what failed.
 */
export function isRedisAway(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return AWAY_ANSWERS.test(err.message) || LOST.test(err.message);
}
