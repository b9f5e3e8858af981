/**
 * An in-process gateway core on the run's real Redis, isolated by key and queue
 * prefix, with a clock the test moves (deadlines are tested without waiting days).
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createCore, type Core } from '../../gateway/core/runtime.js';
import type { RedisClient } from '../../store/connection.js';
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
  options: { templatesDir?: string; redisUrl?: string } = {},
): Promise<TestCore> {
  const redis =
    options.redisUrl === undefined
      ? redisClient()
      : new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
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

/** 20 banks of 200 characters: every field within its own limit, an SMS listing them far over 20 parts. */
export const LONG_BANKS = Array.from({ length: 20 }, (_, i) => ({
  code: `B${i}`,
  nameKk: `Банк ${i} `.padEnd(200, 'ә'),
  nameRu: `Банк ${i} `.padEnd(200, 'я'),
}));

export function homeSchoolingParams(banks: unknown[] = [KASPI]): Record<string, unknown> {
  return { fullName: 'Айгүл Сейітқызы', serviceCode: '123', banks, integratedBanks: [HALYK, KASPI, OTBASY] };
}

/**
 * What the sender does once the SMSC accepted the stage's SMS, for tests with no SMSC: the stage's
 * deadline starts at the clock's now (gateway/core/sent-writes.ts).
 */
export async function markSent(core: Core, id: string): Promise<void> {
  const conv = await core.conversations.get(id);
  const stage = conv?.deadlineOnSent;
  const templateId = stage ? core.services.get(conv.service)?.stages[stage]?.send : undefined;
  if (!templateId) throw new Error(`conversation ${id} waits for no SMS`);
  await core.conversations.apply(id, { type: 'sent', templateId, at: core.now() }, `sent:test:${stage}`);
}
