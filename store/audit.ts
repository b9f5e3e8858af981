/**
 * The audit log of the call centre (issue 7, point 2): every lookup of a
 * conversation and every unmasking by a supervisor, newest first. Personal
 * data is kept out of it: the MSISDN searched is stored masked, the actor as
 * the fingerprint of its API key (never the key).
 */
import type { RedisClient } from './redis.js';

/** What was done: a lookup by id, a search by phone number, or an unmasked read. */
export type AuditAction = 'view' | 'search' | 'unmask';

export interface AuditEntry {
  /** Epoch ms. */
  readonly at: number;
  /** Fingerprint of the API key (gateway/http/auth.ts), not the key. */
  readonly actor: string;
  readonly role: string;
  readonly action: AuditAction;
  readonly conversationId?: string;
  /** Masked (`7701***4567`). */
  readonly msisdn?: string;
  /** The supervisor's stated reason for an unmasking. */
  readonly reason?: string;
  /** How many conversations the lookup returned. */
  readonly count?: number;
}

/** Entries kept; the oldest beyond this are trimmed (a list in Redis, not an archive). */
export const AUDIT_KEEP = 1_000_000;

export class AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly keep = AUDIT_KEEP,
  ) {}

  /** Appends one entry; the caller answers only after this resolved (no lookup without its record). */
  async record(entry: AuditEntry): Promise<void> {
    await this.redis
      .multi()
      .lpush(this.key, JSON.stringify(entry))
      .ltrim(this.key, 0, this.keep - 1)
      .exec();
  }

  /** The newest entries first. */
  async recent(limit: number, offset = 0): Promise<AuditEntry[]> {
    const raw = await this.redis.lrange(this.key, offset, offset + limit - 1);
    return raw.map((r) => JSON.parse(r) as AuditEntry);
  }
}
