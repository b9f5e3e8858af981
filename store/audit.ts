/**
 * The audit log of the call centre: every lookup of a
 * conversation and every unmasking by a supervisor, newest first. Personal
 * data is kept out of it: the MSISDN searched is stored masked, the actor as
 * the person holding the key (never the key).
 */
import { z } from 'zod';
import { checkedJson } from './checked.js';
import type { RedisClient } from './connection.js';

/** What was done: lookups (by id, by phone number, unmasked), and supervisors' changes to keys. */
export const AUDIT_ACTIONS = [
  'view',
  'search',
  'unmask',
  'key-create',
  'key-revoke',
  'refused',
  'worklist',
  'resend',
  'annotate',
  'outbox-replay',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  /** Epoch ms. */
  readonly at: number;
  /** The person (gateway/http/auth.ts, Principal.person); never a key. */
  readonly actor: string;
  /** The id of the key used (a person key's id or an API_KEYS key's fingerprint). */
  readonly keyId?: string;
  readonly role: string;
  readonly action: AuditAction;
  readonly conversationId?: string;
  /** The conversations an unmasked search showed in full (at most the 50 a search lists). */
  readonly conversationIds?: readonly string[];
  /** Masked (`7701***4567`). */
  readonly msisdn?: string;
  /** The supervisor's stated reason for an unmasking. */
  readonly reason?: string;
  /** How many conversations the lookup returned. */
  readonly count?: number;
  /** A search by the inviting system's reference. */
  readonly service?: string;
  readonly externalId?: string;
  /** The worklist read. */
  readonly list?: string;
  /** The SMS sent again. */
  readonly smsId?: string;
  /** A refused attempt (`refused`): the status answered (401, 403, 429), the path, the client address. */
  readonly status?: number;
  readonly path?: string;
  readonly address?: string;
  /** The key created or revoked, and whose it is. */
  readonly targetKey?: string;
  readonly targetPerson?: string;
  /** A created key's fingerprint (first 12 hex digits of its SHA-256), as a refused attempt with it names it. */
  readonly targetFingerprint?: string;
}

/** What every entry has; the optional fields pass as they are (the API's schema documents them). */
const AUDIT_ENTRY = z.looseObject({
  at: z.number(),
  actor: z.string(),
  role: z.string(),
  action: z.enum(AUDIT_ACTIONS),
});

/** Entries kept; the oldest beyond this are trimmed (a list in Redis, not an archive). */
export const AUDIT_KEEP = 1_000_000;
/** Entries a filtered read scans at most per request, and per round trip. */
export const AUDIT_SCAN = 100_000;
const AUDIT_CHUNK = 1000;

export interface AuditScanOptions {
  /** Entries read at most (AUDIT_SCAN). */
  readonly scan?: number;
  /** Stops the scan before its next part (a request whose client went away). */
  readonly signal?: AbortSignal;
  /** Told the size of every part read (the scans' metric). */
  readonly read?: (entries: number) => void;
}

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

  /** How many entries are kept now (at most `keep`). */
  size(): Promise<number> {
    return this.redis.llen(this.key);
  }

  /** The most entries kept. */
  get limit(): number {
    return this.keep;
  }

  /**
   * The newest entries matching `match`, from `offset` on, reading at most `scan` entries: up to `limit`
   * of them, and the offset to go on from (null once the log is read to its end). Once `signal` is
   * aborted (the client went away) no further part is read; `read` is told how many entries each part held.
   */
  async find(
    match: (entry: AuditEntry) => boolean,
    limit: number,
    offset: number,
    options: AuditScanOptions = {},
  ): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const { scan = AUDIT_SCAN, signal, read } = options;
    const entries: AuditEntry[] = [];
    let at = offset;
    while (at < offset + scan && signal?.aborted !== true) {
      const chunk = await this.recent(Math.min(AUDIT_CHUNK, offset + scan - at), at);
      read?.(chunk.length);
      for (const [i, entry] of chunk.entries()) {
        if (!match(entry)) continue;
        entries.push(entry);
        if (entries.length === limit) return { entries, next: at + i + 1 };
      }
      if (chunk.length < AUDIT_CHUNK) return { entries, next: null };
      at += chunk.length;
    }
    return { entries, next: at };
  }

  /** The newest entries first. */
  async recent(limit: number, offset = 0): Promise<AuditEntry[]> {
    const raw = await this.redis.lrange(this.key, offset, offset + limit - 1);
    return raw.map((r) => checkedJson<AuditEntry>('audit entry', AUDIT_ENTRY, r));
  }
}
