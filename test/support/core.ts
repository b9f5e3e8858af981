/**
 * An in-process gateway core on the run's real Redis, isolated by key and queue
 * prefix, with a clock the test moves (deadlines are tested without waiting days).
 */
import { pino } from 'pino';
import { createCore, type Core } from '../../gateway/core/runtime.js';
import type { RedisClient } from '../../store/redis.js';
import { redisClient, testPrefix } from './redis.js';

export interface TestClock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 10, 24, 6, 0)): TestClock {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms), advance: (ms) => void (t += ms) };
}

export interface TestCore extends Core {
  readonly redis: RedisClient;
  readonly clock: TestClock;
  readonly keyPrefix: string;
}

export async function createTestCore(
  clock: TestClock = testClock(),
  options: { templatesDir?: string } = {},
): Promise<TestCore> {
  const redis = redisClient();
  const prefix = testPrefix('core');
  let core: Core;
  try {
    core = await createCore({
      redis,
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      keyPrefix: `gw-${prefix}`,
      queuePrefix: `bull-${prefix}`,
      now: clock.now,
      templatesDir: options.templatesDir,
    });
  } catch (error) {
    await redis.quit();
    throw error;
  }

  return {
    ...core,
    redis,
    clock,
    keyPrefix: `gw-${prefix}`,
    async close() {
      await core.close();
      await redis.quit();
    },
  };
}

export const KASPI = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' };
export const HALYK = { code: 'HSBK', nameKk: 'Halyk Bank', nameRu: 'Народный банк (Halyk)' };
export const OTBASY = { code: 'HCSK', nameKk: 'Отбасы банк', nameRu: 'Отбасы банк' };

export function homeSchoolingParams(banks: unknown[] = [KASPI]): Record<string, unknown> {
  return { fullName: 'Айгүл Сейітқызы', serviceCode: '123', banks, integratedBanks: [HALYK, KASPI, OTBASY] };
}
