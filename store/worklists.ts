/**
 * The call centre's worklists (docs/console.md): per Almaty day and per service, the
 * conversations with an undelivered SMS or a reply not understood. Written when the fact happens
 * (gateway/core), read a page at a time: no scan of all conversations. An entry may be stale (a
 * conversation ended); readers check each conversation of the page against the list's rule. The
 * deadlines ending on a day are read from the deadline index (store/deadlines.ts) instead.
 */
import type { RedisClient } from './connection.js';

export const WORKLIST_KINDS = ['undelivered', 'not-understood'] as const;
export type WorklistKind = (typeof WORKLIST_KINDS)[number];

/** Days a list is kept after its own day. */
const KEEP_DAYS = 2;

export interface WorklistPage {
  readonly ids: string[];
  /** The cursor of the next page, or null at the end. */
  readonly next: string | null;
}

export class WorklistStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: { worklist(list: string, service: string, day: string): string },
  ) {}

  /**
   * Puts a conversation on a list (once: a second add moves its score). `now` (epoch ms, the
   * gateway's clock) sets the expiry: two days after the list's day.
   */
  async add(kind: WorklistKind, service: string, day: string, id: string, score: number, now: number) {
    const key = this.keys.worklist(kind, service, day);
    const end = Date.parse(`${day}T00:00:00Z`) + (KEEP_DAYS + 1) * 86_400_000;
    const ttl = Math.max(60, Math.ceil((end - now) / 1000));
    // Two commands in one write rather than a MULTI (a pipeline object per call, costly on a
    // connection with BullMQ's scripts): each add sets the expiry again, so none is left without.
    await Promise.all([this.redis.zadd(key, score, id), this.redis.expire(key, ttl)]);
  }

  /**
   * One page of a day's list over `services` in their order, oldest first. The cursor is
   * `<service index>.<offset>`; a malformed one starts from the beginning.
   */
  async page(
    kind: WorklistKind,
    services: readonly string[],
    day: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<WorklistPage> {
    const m = /^(\d{1,3})\.(\d{1,9})$/.exec(cursor ?? '');
    let index = m ? Number(m[1]) : 0;
    let offset = m ? Number(m[2]) : 0;
    const ids: string[] = [];
    while (index < services.length && ids.length < limit) {
      const key = this.keys.worklist(kind, services[index] ?? '', day);
      const want = limit - ids.length;
      const got = await this.redis.zrange(key, offset, offset + want - 1);
      ids.push(...got);
      if (got.length < want) {
        index++;
        offset = 0;
      } else offset += got.length;
    }
    return { ids, next: index < services.length ? `${index}.${offset}` : null };
  }
}
