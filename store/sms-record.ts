/**
 * The record of one outgoing SMS (keys.smsParts) while it is being sent: claimed by the job that
 * sends it, then, if a dropped link cut it, the parts already accepted (a retry sends only the
 * rest), or `failed` when the SMSC refused it for good. Once the SMSC accepted every part, the
 * SMS's compact sent entry in its conversation's timeline marks it sent and the record goes
 * (store/lua/sent-n.lua, store/lua/claim-n.lua; docs/performance.md, memory).
 * Where there is no such entry to find (the conversation is gone, the entry did not fit the
 * compact form, an SMS without a conversation) the record is kept 7 days marked sent, with its
 * template and campaign for delivery receipts (gateway/core/replies.ts); a re-hand-over sends
 * nothing either way (gateway/core/sender.ts).
 *
 * One short string whose first character is its tag (version 1; docs/storage.md): `~<job id>`
 * a claim, `{…}` the resume JSON with its owner `o`, `!failed` refused for good, `=<templateId>`
 * or `=<templateId> <campaign>` sent (template and campaign ids have no spaces:
 * gateway/http/schemas.ts). The SMSC ids of the parts are in the conversation's timeline.
 *
 * While a job sends it, the record is a claim (`SmsRecords.claim`): an SMS handed over twice (a
 * crash between the BullMQ add and the outbox ack) may sit in two batch jobs at once, and only
 * the job holding the claim sends it.
 */
import { GatewayError } from '../common/errors.js';
import { checkedPartialSms } from './checked.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

/** The parts of an SMS the SMSC accepted before a drop, and its concatenation reference. */
export interface SmsResume {
  readonly ref: number;
  readonly accepted: ReadonlyArray<{ readonly index: number; readonly messageId: string }>;
}

export type SmsRecord =
  | { readonly state: 'none' }
  /** Some parts were accepted (`resume`); `owner` is the job that sends the rest. */
  | { readonly state: 'partial'; readonly resume: SmsResume; readonly owner: string }
  /** Refused for good (gateway/core/sender.ts): no job sends it again. */
  | { readonly state: 'failed' }
  | { readonly state: 'sent'; readonly templateId: string | null; readonly campaign: string | null }
  /** A job (`owner`, its BullMQ id) is sending it. */
  | { readonly state: 'claimed'; readonly owner: string };

const CLAIM = '~';
const FAILED = '!';
const SENT = '=';
const PARTIAL = '{';

/** The stored value of an SMS refused for good. */
export const FAILED_RECORD = `${FAILED}failed`;

/** The stored value of an SMS some of whose parts were accepted, still `owner`'s to finish. */
export function partialRecord(resume: SmsResume, owner: string): string {
  return JSON.stringify({ ref: resume.ref, accepted: resume.accepted, o: owner });
}

function partial(value: string): SmsRecord {
  const { ref, accepted, o } = checkedPartialSms(value);
  return { state: 'partial', resume: { ref, accepted }, owner: o };
}

/** The stored value of a sent SMS's record. */
export function sentRecord(templateId: string, campaign?: string): string {
  return campaign ? `${SENT}${templateId} ${campaign}` : `${SENT}${templateId}`;
}

/** A stored record (the file's comment); an unknown tag is an error, never a guess. */
export function parseSmsRecord(value: string | null): SmsRecord {
  if (value === null) return { state: 'none' };
  switch (value[0]) {
    case PARTIAL:
      return partial(value);
    case FAILED:
      return { state: 'failed' };
    case CLAIM:
      return { state: 'claimed', owner: value.slice(CLAIM.length) };
    case SENT: {
      const space = value.indexOf(' ');
      return space < 0
        ? { state: 'sent', templateId: value.slice(1), campaign: null }
        : { state: 'sent', templateId: value.slice(1, space), campaign: value.slice(space + 1) };
    }
    default:
      throw new GatewayError(
        'GW_STORE_FORMAT',
        `stored SMS record has an unknown tag ${JSON.stringify(value.slice(0, 1))}`,
      );
  }
}

/** An SMS whose sent entry is in its conversation's timeline, as store/lua/claim-n.lua reports it. */
const SENT_IN_TIMELINE = '\0sent';

/** An SMS of a conversation (`conversationId` is `none` for one without). */
export interface SmsRef {
  readonly conversationId: string;
  readonly smsId: string;
}

/** The records of the SMS being sent (the file's comment): the sender's and the receipt path's intents. */
export class SmsRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<Keys, 'smsParts' | 'conversation'>,
  ) {
    withScripts(redis);
  }

  /** Where the record of `sms` is kept (keys.smsParts). */
  key(sms: SmsRef): string {
    return this.keys.smsParts(sms.conversationId, sms.smsId);
  }

  /** The record of one SMS. */
  async read(sms: SmsRef): Promise<SmsRecord> {
    return parseSmsRecord(await this.redis.get(this.key(sms)));
  }

  /** Marks an SMS refused for good, for `ttlSeconds`: no job sends it again. */
  async markFailed(sms: SmsRef, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(sms), FAILED_RECORD, 'EX', ttlSeconds);
  }

  /**
   * Marks an SMS never to be sent, for `ttlSeconds`, unless a job holds it already (`SET NX`): a
   * job that takes it later skips it. One already being sent goes, and its timeline says so.
   */
  async markUnsent(sms: SmsRef, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(sms), FAILED_RECORD, 'EX', ttlSeconds, 'NX');
  }

  /** Keeps the parts of an SMS the SMSC accepted before a drop, still `owner`'s to finish. */
  async recordPartial(sms: SmsRef, resume: SmsResume, owner: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(sms), partialRecord(resume, owner), 'EX', ttlSeconds);
  }

  /**
   * Claims the records of `sms` for the job `owner` where nobody holds them, `SET NX GET` each
   * (Redis ≥ 7.0), and gives a claim back at once when the conversation's timeline shows the SMS
   * sent (store/lua/claim-n.lua: a sent SMS of a conversation string has no record): in one
   * script call on a single Redis, one call per SMS on Cluster, where the SMS lie in many slots.
   * Returns, per SMS, what its record held before, `sent`, or the new claim: the caller sends an
   * SMS whose record is claimed by `owner` (new, or its own from a crashed attempt) or partial,
   * and skips one sent or claimed by another job.
   */
  async claim(sms: readonly SmsRef[], owner: string, ttlSeconds: number): Promise<SmsRecord[]> {
    if (sms.length === 0) return [];
    const claim = `${CLAIM}${owner}`;
    const keys = (s: SmsRef) => [this.key(s), this.keys.conversation(s.conversationId)];
    const before: unknown[] = this.redis.isCluster
      ? (
          await Promise.all(sms.map((s) => this.redis.gwClaim(2, ...keys(s), claim, ttlSeconds, s.smsId)))
        ).flat()
      : await this.redis.gwClaim(
          2 * sms.length,
          ...sms.flatMap(keys),
          claim,
          ttlSeconds,
          ...sms.map((s) => s.smsId),
        );
    return before.map((value): SmsRecord => {
      if (value === SENT_IN_TIMELINE) return { state: 'sent', templateId: null, campaign: null };
      return value === null || value === false
        ? { state: 'claimed', owner }
        : parseSmsRecord(value as string);
    });
  }

  /**
   * Hands `from`'s claim on an SMS (a plain claim, or a partial record it owns) to the job `to`:
   * the SMS goes on in a job of its own (gateway/core/sender.ts). A record since written by
   * another job, or marked sent, stays as it is (store/lua/transfer-claim-1.lua).
   */
  async transferClaim(sms: SmsRef, from: string, to: string): Promise<void> {
    await this.redis.gwTransferClaim(this.key(sms), `${CLAIM}${from}`, `${CLAIM}${to}`, from, to);
  }
}
