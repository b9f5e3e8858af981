/**
 * Which failures say Redis is away (store/connection.ts `isRedisAway`): the recovery counts the
 * others towards setting an outbox aside (gateway/core/outbox.ts), never these. Real errors from a
 * redis-server of its own (its writes refused would cut the other test files).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../common/errors.js';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { isRedisAway } from '../../store/connection.js';

let server: RedisServerHandle;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );

describe('a failure that says Redis is away', () => {
  it('is an answer that writes are refused for now, from a command or from a script', async () => {
    await redis.config('SET', 'min-replicas-to-write', '1');
    try {
      const command = await failure(redis.set('away:k', 'v'));
      const script = await failure(redis.eval("return redis.call('SET', KEYS[1], 'v')", 1, 'away:k'));
      expect(String(command)).toMatch(/NOREPLICAS/);
      expect(isRedisAway(command)).toBe(true);
      expect(isRedisAway(script)).toBe(true);
    } finally {
      await redis.config('SET', 'min-replicas-to-write', '0');
    }
  });

  it('is a command on a closed connection', async () => {
    const closed = new Redis(server.url, { maxRetriesPerRequest: null });
    await closed.ping();
    closed.disconnect();
    expect(isRedisAway(await failure(closed.get('away:k')))).toBe(true);
  });

  it('is not an answer about the command or its data, nor a record the store cannot read', async () => {
    await redis.set('away:s', 'v');
    expect(isRedisAway(await failure(redis.lpush('away:s', 'x')))).toBe(false);
    expect(isRedisAway(await failure(redis.eval("return redis.error_reply('GW_STORE_FORMAT bad')", 0)))).toBe(
      false,
    );
    expect(
      isRedisAway(new GatewayError('GW_STORE_FORMAT', 'conversation c: no timeline entry holds SMS 1.0')),
    ).toBe(false);
    expect(isRedisAway('OOM')).toBe(false);
  });
});
