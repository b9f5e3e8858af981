import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** The URL of the run's redis-server (started by global-setup). */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix of its own for one test: files and tests run in parallel on one Redis. */
export function testPrefix(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 8)}:`;
}

/** A connection to the run's Redis; close it in afterEach/afterAll. */
export function redisClient(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: null, lazyConnect: false });
}
