/**
 * API keys and roles (CONTRACT.md, `API_KEYS`). No key, no access (401); a key
 * whose role may not do this, 403. Two sources of keys:
 *
 * - `API_KEYS` (start-up): upstream systems, and the first supervisor, who
 *   creates the others. Compared in constant time over their SHA-256 digests
 *   (equal lengths, so `timingSafeEqual` applies and a key's length does not
 *   leak), every key tried so the match position does not leak either.
 * - people's keys (store/api-keys.ts): one per person, created and revoked by
 *   a supervisor through /v1/keys, looked up by digest on every request, so a
 *   change takes effect at once and without a restart.
 *
 * A key itself is never logged or stored; the audit log names the person.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { PersonKeyStore } from '../../store/api-keys.js';
import type { ApiKey, Role } from '../config.js';
import { sendError } from './errors.js';

/** Who is calling, for routes, the audit log and the rate limits. */
export interface Principal {
  readonly role: Role;
  /** The key: a person key's id, or the first 12 hex of an `API_KEYS` key's SHA-256. */
  readonly keyId: string;
  /** The person (a login given when the key was made), or `API_KEYS:<keyId>` for a start-up key. */
  readonly person: string;
  /** Services this caller may see; null: all. */
  readonly services: readonly string[] | null;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The key of a `Bearer` header, or undefined. */
function bearerKey(header: string | undefined): string | undefined {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

export type Authenticator = (header: string | undefined) => Promise<Principal | undefined>;

/** Builds the key check once: the start-up keys' digests are computed here, not per request. */
export function createAuthenticator(
  keys: readonly ApiKey[],
  people?: Pick<PersonKeyStore, 'find'>,
): Authenticator {
  const known = keys.map((k) => ({ role: k.role, hash: digest(k.key) }));
  return async (header) => {
    const key = bearerKey(header);
    if (!key) return undefined;
    const presented = digest(key);
    let found: (typeof known)[number] | undefined;
    for (const k of known) {
      if (timingSafeEqual(presented, k.hash) && found === undefined) found = k;
    }
    if (found) {
      const keyId = found.hash.toString('hex').slice(0, 12);
      return { role: found.role, keyId, person: `API_KEYS:${keyId}`, services: null };
    }
    const record = await people?.find(key);
    return record
      ? { role: record.role, keyId: record.id, person: record.person, services: record.services }
      : undefined;
  };
}

function unauthenticated(res: Response): void {
  res.set('WWW-Authenticate', 'Bearer');
  sendError(
    res,
    'GW_UNAUTHENTICATED',
    'send Authorization: Bearer <key> with your own key (or one from API_KEYS)',
  );
}

/** The caller, as set by {@link authenticate}; undefined before it (or when it refused). */
export function maybePrincipal(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/** The caller, as set by {@link authenticate}. */
export function principalOf(res: Response): Principal {
  const p = maybePrincipal(res);
  if (!p) throw new Error('principalOf: authenticate() did not run for this route');
  return p;
}

/**
 * Refuses unauthenticated calls to `/v1/…` with 401. Mounted before body
 * parsing (AppDeps.guards), so a request without a valid key is refused before
 * its body is read.
 */
export function authenticate(check: Authenticator): RequestHandler {
  return (req, res, next) => {
    // Express matches routes case-insensitively: /V1/audit reaches the /v1/audit route, so guard it too.
    if (!/^\/v1(\/|$)/i.test(req.path)) return next();
    check(req.get('authorization')).then(
      (principal) => {
        if (!principal) return unauthenticated(res);
        res.locals.principal = principal;
        next();
      },
      () => sendError(res, 'GW_REDIS_UNAVAILABLE', 'the key cannot be checked now; try again'),
    );
  };
}

/** 403 unless the caller has one of `roles`; 401 when no key was checked (fails closed). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal) return unauthenticated(res);
    const { role } = principal;
    if (!roles.includes(role)) {
      return sendError(
        res,
        'GW_FORBIDDEN',
        `this endpoint is for ${roles.join(', ')}; the key's role is ${role}`,
      );
    }
    next();
  };
}

export interface RateLimit {
  /** Requests a key may make at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly perSecond: number;
}

/** Lookups: 60 at once, then one a second per person — a person at a console, not a scraper. */
export const DEFAULT_LOOKUP_LIMIT: RateLimit = { burst: 60, perSecond: 1 };

/**
 * A token bucket per person (several keys of one person share it), in memory (one gateway process; several behind a
 * balancer each allow the rate, which still bounds a leaked key). Answers 429
 * with Retry-After in whole seconds (RFC 9110 §10.2.3).
 */
export function rateLimit(limit: RateLimit, now: () => number = Date.now): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (_req, res, next) => {
    const { person } = principalOf(res);
    const t = now();
    const b = buckets.get(person) ?? { tokens: limit.burst, at: t };
    // A clock set back (NTP) refills nothing rather than draining the bucket.
    b.tokens = Math.min(limit.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * limit.perSecond);
    b.at = t;
    buckets.set(person, b);
    if (b.tokens < 1) {
      res.set('Retry-After', String(Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond))));
      return sendError(
        res,
        'GW_RATE_LIMITED',
        'too many lookups by this person; wait for Retry-After seconds',
      );
    }
    b.tokens -= 1;
    next();
  };
}
