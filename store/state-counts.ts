/**
 * Conversations by service and state, for /metrics: one Redis hash of counters, moved after each
 * committed transition (gateway/core/conversations.ts). A separate command from the commit (its
 * key lies in another Cluster slot), so a crash between the two leaves one count off by one.
 * Open states count what is open now; an ended state counts every conversation that ended so,
 * including those Redis has since expired (RETENTION_DAYS).
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';

export interface StateCount {
  readonly service: string;
  readonly state: string;
  readonly count: number;
}

/** The counter of one service's conversations in one state. */
export const stateCountField = (service: string, state: string): string => `${service} ${state}`;

export class StateCounts {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** One conversation of `service` moved from `from` (null: it is new) to `to`. */
  async move(service: string, from: string | null, to: string): Promise<void> {
    if (from === to) return;
    const key = this.keys.stateCounts();
    await Promise.all([
      this.redis.hincrby(key, stateCountField(service, to), 1),
      ...(from === null ? [] : [this.redis.hincrby(key, stateCountField(service, from), -1)]),
    ]);
  }

  async all(): Promise<StateCount[]> {
    const raw = await this.redis.hgetall(this.keys.stateCounts());
    return Object.entries(raw).map(([field, count]) => {
      const [service = '', state = ''] = field.split(' ');
      return { service, state, count: Number(count) };
    });
  }
}
