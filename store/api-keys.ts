/**
 * API keys of the call centre's people: one key per person, created and revoked by a supervisor
 * through the API (gateway/http/keys.ts). Only the SHA-256 of a key is stored: keys are 32
 * random bytes, so a plain digest is as strong as a slow hash and costs one lookup per request.
 * Every request reads the record, so a revoked key is refused at once on every gateway instance.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from './connection.js';

/** Roles a supervisor may give (upstream systems keep their keys in API_KEYS). */
export const PERSON_ROLES = ['agent', 'supervisor'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

/** One person's key as stored (format version 1). */
export interface PersonKey {
  readonly v: 1;
  /** Public id of the key (listing, revoking, audit), not derived from the key. */
  readonly id: string;
  /** Who holds it: a login or staff number, named in the audit log. */
  readonly person: string;
  readonly role: PersonRole;
  /** Services this person works on; null: all. */
  readonly services: readonly string[] | null;
  /** Epoch ms. */
  readonly createdAt: number;
  /** The person who created it. */
  readonly createdBy: string;
}

/** Keys kept at most: a call centre, not a user base; the list is read whole. */
export const MAX_PERSON_KEYS = 5_000;

/** Prefix of the keys this module issues, so a leaked one is recognisable in a scan of logs or code. */
export const KEY_PREFIX = 'gw1414_';

export const keyDigest = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

function isPersonKey(value: unknown): value is PersonKey {
  const v = value as Partial<PersonKey> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.v === 1 &&
    typeof v.id === 'string' &&
    typeof v.person === 'string' &&
    (PERSON_ROLES as readonly string[]).includes(v.role as string)
  );
}

function parse(raw: string | null): PersonKey | null {
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return isPersonKey(value) ? value : null;
  } catch {
    return null;
  }
}

export class PersonKeyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: { personKeys(): string; personKeyIds(): string },
    private readonly max = MAX_PERSON_KEYS,
  ) {}

  /** Creates a key; the secret is returned here and never again. Null when the store is full. */
  async create(input: {
    person: string;
    role: PersonRole;
    services: readonly string[] | null;
    createdAt: number;
    createdBy: string;
  }): Promise<{ record: PersonKey; secret: string } | null> {
    if ((await this.redis.hlen(this.keys.personKeyIds())) >= this.max) return null;
    const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: PersonKey = { v: 1, id: randomBytes(6).toString('hex'), ...input };
    const digest = keyDigest(secret);
    await this.redis
      .multi()
      .hset(this.keys.personKeys(), digest, JSON.stringify(record))
      .hset(this.keys.personKeyIds(), record.id, digest)
      .exec();
    return { record, secret };
  }

  /** The record of a presented key, by its digest; null for an unknown or revoked key. */
  async find(key: string): Promise<PersonKey | null> {
    return parse(await this.redis.hget(this.keys.personKeys(), keyDigest(key)));
  }

  /** Every live key, oldest first (bounded by MAX_PERSON_KEYS). */
  async list(): Promise<PersonKey[]> {
    const raw = await this.redis.hvals(this.keys.personKeys());
    return raw
      .map(parse)
      .filter((k): k is PersonKey => k !== null)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Revokes a key by id: refused from the next request on. The record revoked, or null. */
  async revoke(id: string): Promise<PersonKey | null> {
    const digest = await this.redis.hget(this.keys.personKeyIds(), id);
    if (digest === null) return null;
    const record = parse(await this.redis.hget(this.keys.personKeys(), digest));
    await this.redis.multi().hdel(this.keys.personKeys(), digest).hdel(this.keys.personKeyIds(), id).exec();
    return record;
  }
}
