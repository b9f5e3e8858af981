/**
 * Where a number lives, as the gateway learned it: the carrier a citizen's SMS came through,
 * or the carrier an SMS went through after another said "not our subscriber". Kept per MSISDN
 * for a while (CARRIER_MEMORY_DAYS), in the MSISDN's Cluster slot; routing reads it for each
 * SMS (gateway/smpp/carriers.ts: after the portability file, before the prefixes).
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';

export class CarrierMemory {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly ttlSeconds: number,
  ) {}

  /** Remember that `carrier` serves `msisdn` (from now, for the configured days). */
  async learn(msisdn: string, carrier: string): Promise<void> {
    await this.redis.set(this.keys.learnedCarrier(msisdn), carrier, 'EX', this.ttlSeconds);
  }

  /** The carriers learned for `msisdns` (undefined where none), in order; the keys may sit in different slots. */
  async learnedMany(msisdns: readonly string[]): Promise<Array<string | undefined>> {
    const values = await Promise.all(msisdns.map((m) => this.redis.get(this.keys.learnedCarrier(m))));
    return values.map((v) => v ?? undefined);
  }
}
