/**
 * One real redis-server for the whole run. Each test isolates itself by key
 * prefix (see `testPrefix()`), never by FLUSHALL, so files run in parallel.
 */
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';

let server: RedisServerHandle | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
