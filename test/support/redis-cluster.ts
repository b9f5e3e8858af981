/**
 * A local Redis Cluster of three masters from the system redis-server, for
 * the test that runs a whole dialogue on Cluster.
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';

export interface RedisClusterHandle {
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** `host:port,host:port,…` for REDIS_CLUSTER_NODES. */
  readonly spec: string;
  stop(): Promise<void>;
}

async function clusterOk(port: number, timeoutMs: number): Promise<void> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const end = Date.now() + timeoutMs;
  try {
    for (;;) {
      const info = await client.cluster('INFO');
      if (info.includes('cluster_state:ok')) return;
      if (Date.now() > end) throw new Error(`cluster not ok after ${timeoutMs} ms:\n${info}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.disconnect();
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      servers.push(
        await startRedisServer({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
          ],
        }),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const s of servers) await clusterOk(s.port, 10_000);
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  const nodes = servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  return {
    nodes,
    spec: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
