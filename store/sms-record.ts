/**
 * The record of one outgoing SMS (keys.smsParts) while it is being sent: claimed by the job that
 * sends it, then, if a dropped link cut it, the parts already accepted (a retry sends only the
 * rest), or `failed` when the SMSC refused it for good. Once the SMSC accepted every part, the
 * SMS's compact sent entry in its conversation's timeline marks it sent and the record goes
 * (store/lua/sent.lua, store/lua/claim.lua): 197 bytes less for 7 days (docs/performance.md).
 * Where there is no such entry to find (the conversation is gone or stored as a hash by an
 * earlier version, the entry did not fit the compact form, an SMS without a conversation) the
 * record is kept 7 days marked sent, with its template and campaign for delivery receipts
 * (gateway/core/replies.ts); a re-hand-over sends nothing either way (gateway/core/sender.ts).
 *
 * One short string, `<templateId>` or `<templateId> <campaign>` (template and campaign ids have
 * no spaces: gateway/http/schemas.ts), or the resume JSON (starts with `{`): Redis keeps a
 * string of up to 44 bytes in one allocation, where the hash it replaces cost ≈ 216 bytes.
 * The SMSC ids of the parts are in the conversation's timeline (`sms-status` sent). Hashes
 * (`ids`, `bind`, `t`, `k`, `partial`) written by earlier versions still read.
 *
 * While a job sends it, the record is a claim `~<job id>` (claimSmsRecords): an SMS handed over
 * twice (a crash between the BullMQ add and the outbox ack) may sit in two batch jobs at once,
 * and only the job holding the claim sends it. Template ids never start with `~` or `{`.
 */
import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { RedisClient } from './redis.js';

export type SmsRecord =
  | { readonly state: 'none' }
  /**
   * Some parts were accepted: the resume JSON (gateway/smpp/transport.ts `SubmitResume`), with
   * `o` the job that sends the rest (absent in records of earlier versions: any job may).
   */
  | { readonly state: 'partial'; readonly resume: string; readonly owner?: string }
  /** Refused for good (gateway/core/sender.ts): no job sends it again. */
  | { readonly state: 'failed' }
  | { readonly state: 'sent'; readonly templateId: string | null; readonly campaign: string | null }
  /** A job (`owner`, its BullMQ id) is sending it. */
  | { readonly state: 'claimed'; readonly owner: string };

const CLAIM = '~';
const FAILED = '!';

const isWrongType = (err: unknown): boolean => err instanceof Error && err.message.startsWith('WRONGTYPE');

/** The stored value of an SMS refused for good. */
export const FAILED_RECORD = `${FAILED}failed`;

/** The stored value of an SMS some of whose parts were accepted, still `owner`'s to finish. */
export function partialRecord(resume: object, owner: string): string {
  return JSON.stringify({ ...resume, o: owner });
}

function partial(value: string): SmsRecord {
  const owner = (JSON.parse(value) as { o?: unknown }).o;
  return typeof owner === 'string'
    ? { state: 'partial', resume: value, owner }
    : { state: 'partial', resume: value };
}

/** The stored value of a sent SMS's record. */
export function sentRecord(templateId: string, campaign?: string): string {
  return campaign ? `${templateId} ${campaign}` : templateId;
}

function parse(value: string | null): SmsRecord {
  if (value === null) return { state: 'none' };
  if (value.startsWith('{')) return partial(value);
  if (value.startsWith(FAILED)) return { state: 'failed' };
  if (value.startsWith(CLAIM)) return { state: 'claimed', owner: value.slice(CLAIM.length) };
  const space = value.indexOf(' ');
  return space < 0
    ? { state: 'sent', templateId: value, campaign: null }
    : { state: 'sent', templateId: value.slice(0, space), campaign: value.slice(space + 1) };
}

/** The record at `key`, in either format. */
export async function readSmsRecord(redis: RedisClient, key: string): Promise<SmsRecord> {
  try {
    return parse(await redis.get(key));
  } catch (err) {
    if (!isWrongType(err)) throw err;
  }
  const [ids = null, partial = null, t = null, k = null] = await redis.hmget(key, 'ids', 'partial', 't', 'k');
  if (ids !== null) return { state: 'sent', templateId: t, campaign: k };
  return partial !== null ? { state: 'partial', resume: partial } : { state: 'none' };
}

/** A record an earlier version wrote as a hash, as store/lua/claim.lua reports it. */
const HASH_RECORD = '\0hash';
/** An SMS whose sent entry is in its conversation's timeline, as store/lua/claim.lua reports it. */
const SENT_IN_TIMELINE = '\0sent';
const CLAIM_SCRIPT = readFileSync(new URL('./lua/claim.lua', import.meta.url), 'utf8');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gwClaim(numKeys: number, ...keysThenArgs: Array<string | number>): Result<unknown[], Context>;
  }
}

/** Clients the claim script is defined on (EVALSHA after the first call, not the script each time). */
const withClaim = new WeakSet<RedisClient>();

function claimCommand(redis: RedisClient): RedisClient {
  if (!withClaim.has(redis)) {
    redis.defineCommand('gwClaim', { lua: CLAIM_SCRIPT });
    withClaim.add(redis);
  }
  return redis;
}

/** An SMS to claim: its record (keys.smsParts), its conversation (keys.conversation), its smsId. */
export interface SmsToClaim {
  readonly record: string;
  readonly conversation: string;
  readonly smsId: string;
}

/**
 * Claims the records of `sms` for the job `owner` where nobody holds them, `SET NX GET` each
 * (Redis ≥ 7.0), and gives a claim back at once when the conversation's timeline shows the SMS
 * sent (store/lua/claim.lua: a sent SMS of a conversation string has no record): in one script
 * call on a single Redis, one call per SMS on Cluster, where the SMS lie in many slots. Returns,
 * per SMS, what its record held before, `sent`, or the new claim: the caller sends an SMS whose
 * record is claimed by `owner` (new, or its own from a crashed attempt) or partial, and skips one
 * sent or claimed by another job.
 */
export async function claimSmsRecords(
  redis: RedisClient,
  sms: readonly SmsToClaim[],
  owner: string,
  ttlSeconds: number,
): Promise<SmsRecord[]> {
  if (sms.length === 0) return [];
  const claim = `${CLAIM}${owner}`;
  const keys = (s: SmsToClaim) => [s.record, s.conversation];
  const before: unknown[] = redis.isCluster
    ? (
        await Promise.all(
          sms.map((s) => claimCommand(redis).gwClaim(2, ...keys(s), claim, ttlSeconds, s.smsId)),
        )
      ).flat()
    : await claimCommand(redis).gwClaim(
        2 * sms.length,
        ...sms.flatMap(keys),
        claim,
        ttlSeconds,
        ...sms.map((s) => s.smsId),
      );
  return Promise.all(
    before.map(async (value, i) => {
      if (value === HASH_RECORD) return readSmsRecord(redis, (sms[i] as SmsToClaim).record);
      if (value === SENT_IN_TIMELINE) return { state: 'sent' as const, templateId: null, campaign: null };
      return value === null || value === false
        ? { state: 'claimed' as const, owner }
        : parse(value as string);
    }),
  );
}

/**
 * Hands `from`'s claim on an SMS (a plain claim, or a partial record it owns) to the job `to`:
 * the SMS goes on in a job of its own (gateway/core/sender.ts). A record since written by
 * another job, or marked sent, stays as it is.
 */
export async function transferSmsClaim(
  redis: RedisClient,
  key: string,
  from: string,
  to: string,
): Promise<void> {
  await redis.eval(TRANSFER_SCRIPT, 1, key, `${CLAIM}${from}`, `${CLAIM}${to}`, from, to);
}

const TRANSFER_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
if value == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
if string.sub(value, 1, 1) == '{' then
  local ok, record = pcall(cjson.decode, value)
  if ok and record.o == ARGV[3] then
    record.o = ARGV[4]
    redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
    return 1
  end
end
return 0`;
