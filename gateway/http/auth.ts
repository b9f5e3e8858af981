/**
 * API keys and roles (CONTRACT.md, `API_KEYS`; issue 7, point 2). No key, no
 * access (401); a key whose role may not do this, 403. Keys are compared in
 * constant time over their SHA-256 digests (equal lengths, so
 * `timingSafeEqual` applies and a key's length does not leak), every key is
 * tried so the match position does not leak either, and the key itself is
 * never logged or stored: the audit log names a key by its fingerprint.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiKey, Role } from '../config.js';
import { sendError } from './errors.js';

/** Who is calling: the key's role and its fingerprint (first 12 hex of its SHA-256). */
export interface Principal {
  readonly role: Role;
  readonly keyId: string;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Builds the key check once: digests are computed at start-up, not per request. */
export function createAuthenticator(
  keys: readonly ApiKey[],
): (header: string | undefined) => Principal | undefined {
  const known = keys.map((k) => ({ role: k.role, hash: digest(k.key) }));
  return (header) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return undefined;
    const presented = digest(match[1]);
    let found: (typeof known)[number] | undefined;
    for (const k of known) {
      if (timingSafeEqual(presented, k.hash) && found === undefined) found = k;
    }
    return found && { role: found.role, keyId: found.hash.toString('hex').slice(0, 12) };
  };
}

function unauthenticated(res: Response): void {
  res.set('WWW-Authenticate', 'Bearer');
  sendError(res, 'GW_UNAUTHENTICATED', 'send Authorization: Bearer <key> with a key from API_KEYS');
}

/** The caller, as set by {@link authenticate}. */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error('principalOf: authenticate() did not run for this route');
  return p;
}

/**
 * Refuses unauthenticated calls to `/v1/…` with 401. Mounted before body
 * parsing (AppDeps.guards), so a request without a valid key is refused before
 * its body is read.
 */
export function authenticate(check: ReturnType<typeof createAuthenticator>): RequestHandler {
  return (req, res, next) => {
    // Express matches routes case-insensitively: /V1/audit reaches the /v1/audit route, so guard it too.
    if (!/^\/v1(\/|$)/i.test(req.path)) return next();
    const principal = check(req.get('authorization'));
    if (!principal) return unauthenticated(res);
    res.locals.principal = principal;
    next();
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

/** Lookups: 60 at once, then one a second per key — a person at a console, not a scraper. */
export const DEFAULT_LOOKUP_LIMIT: RateLimit = { burst: 60, perSecond: 1 };

/**
 * A token bucket per API key, in memory (one gateway process; several behind a
 * balancer each allow the rate, which still bounds a leaked key). Answers 429
 * with Retry-After in whole seconds (RFC 9110 §10.2.3).
 */
export function rateLimit(limit: RateLimit, now: () => number = Date.now): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (_req, res, next) => {
    const { keyId } = principalOf(res);
    const t = now();
    const b = buckets.get(keyId) ?? { tokens: limit.burst, at: t };
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
    b.at = t;
    buckets.set(keyId, b);
    if (b.tokens < 1) {
      res.set('Retry-After', String(Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond))));
      return sendError(
        res,
        'GW_RATE_LIMITED',
        'too many lookups with this key; wait for Retry-After seconds',
      );
    }
    b.tokens -= 1;
    next();
  };
}
