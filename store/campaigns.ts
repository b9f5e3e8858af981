/**
 * Campaign progress: one Redis hash of counters per
 * campaign, incremented where each step happens (invitation accepted, SMS
 * sent, receipt, reply, consent), so reading progress costs one HGETALL.
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './connection.js';
import { withScripts } from './scripts.js';

/** The counters of a campaign. DO NOT RENAME: persisted hash fields and metric labels. */
export const CAMPAIGN_FIELDS = [
  'queued',
  'sent',
  'delivered',
  'failed',
  'replied',
  'consented',
  /** Invitations with no final receipt after RECEIPT_TIMEOUT_HOURS (gateway/core/delivery-unknown.ts). */
  'unknown',
] as const;
export type CampaignField = (typeof CAMPAIGN_FIELDS)[number];

/**
 * Counters plus `states`: how many of the campaign's conversations are in each state now; and
 * `carriers`: the same per carrier that accepted the invitation (or its second try elsewhere),
 * for the conversations whose invitation an SMSC accepted.
 */
export type CampaignProgress = Record<CampaignField, number> & {
  states: Record<string, number>;
  carriers: Record<string, { states: Record<string, number> }>;
};

/** Hash fields of the per-state counts: `state:<name>` (a persisted format). */
const STATE_FIELD = 'state:';
/** Hash fields of the per-carrier counts: `carrier:<carrier>:state:<name>` (a persisted format). */
const CARRIER_FIELD = /^carrier:([^:]+):state:(.+)$/;

/** How a campaign is sent: its pace (none: as fast as the binds allow) and whether it is paused. */
export interface CampaignControl {
  /** Invitations per minute (a pace per hour is stored divided by 60). */
  readonly perMinute: number | null;
  readonly paused: boolean;
}

/** Send times reserved for SMS of a campaign (`reserve`). */
export type Reservation =
  | { readonly kind: 'free' }
  | { readonly kind: 'paused' }
  | { readonly kind: 'paced'; readonly first: number; readonly intervalMs: number };

export class CampaignStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Adds `by` to one counter. Two keys in different Cluster slots: two commands, no MULTI. */
  async increment(campaign: string, field: CampaignField, now: number, by = 1): Promise<void> {
    await Promise.all([
      this.redis.hincrby(this.keys.campaign(campaign), field, by),
      this.redis.zadd(this.keys.campaigns(), now, campaign),
    ]);
  }

  /**
   * Moves conversation `id` from state `from` (null: a new one) to `to` in the per-state counts,
   * and in its carrier's once one is known, in one script (the campaign's keys share a slot).
   * `ended`: it ended for good, nothing moves it again (its record goes).
   */
  async moveState(
    campaign: string,
    move: { id: string; from: string | null; to: string; ended: boolean },
    now: number,
  ): Promise<void> {
    await Promise.all([
      this.scripts.gwCampaignMove(
        this.keys.campaign(campaign),
        this.keys.campaignMembers(campaign),
        'state',
        move.id,
        move.from ?? '',
        move.to,
        move.ended ? '1' : '0',
      ),
      this.redis.zadd(this.keys.campaigns(), now, campaign),
    ]);
  }

  /**
   * The SMSC of `carrier` accepted conversation `id`'s invitation (or its second try): its state
   * counts for that carrier from now on, no longer for one that refused it. Arriving before its
   * first state is recorded (the two are written at once), it waits for it.
   */
  async carrierAccepted(campaign: string, id: string, carrier: string): Promise<void> {
    await this.scripts.gwCampaignMove(
      this.keys.campaign(campaign),
      this.keys.campaignMembers(campaign),
      'carrier',
      id,
      carrier,
    );
  }

  /**
   * Invitation SMS `smsId` of conversation `id`, first recorded sent in epoch hour `hour`, was sent:
   * `sent` counts it once, however often this is repeated within `ttlSeconds` of the first time, the
   * conversation a member of the campaign or not (store/lua/campaign-sent-2.lua). Used on Cluster, where the count
   * cannot share the SMS record's script call (store/sent-records.ts). Resolves true when it counted.
   */
  async countSent(
    campaign: string,
    sms: { readonly id: string; readonly smsId: string; readonly hour: number; readonly ttlSeconds: number },
    now: number,
  ): Promise<boolean> {
    const [counted] = await Promise.all([
      this.scripts.gwCampaignSent(
        this.keys.campaign(campaign),
        this.keys.campaignCounted(campaign, sms.hour),
        `${sms.id} ${sms.smsId}`,
        sms.ttlSeconds,
      ),
      this.redis.zadd(this.keys.campaigns(), now, campaign),
    ]);
    return counted === 1;
  }

  private get scripts(): RedisClient {
    return withScripts(this.redis);
  }

  /** The counters, or undefined when the campaign has none. */
  async progress(campaign: string): Promise<CampaignProgress | undefined> {
    const raw = await this.redis.hgetall(this.keys.campaign(campaign));
    if (Object.keys(raw).length === 0) return undefined;
    const counters = Object.fromEntries(CAMPAIGN_FIELDS.map((f) => [f, Number(raw[f] ?? 0)]));
    const states = Object.fromEntries(
      Object.entries(raw)
        .filter(([f, n]) => f.startsWith(STATE_FIELD) && Number(n) > 0)
        .map(([f, n]) => [f.slice(STATE_FIELD.length), Number(n)]),
    );
    const carriers: CampaignProgress['carriers'] = {};
    for (const [field, n] of Object.entries(raw)) {
      const match = CARRIER_FIELD.exec(field);
      if (!match || Number(n) <= 0) continue;
      const [, carrier = '', state = ''] = match;
      (carriers[carrier] ??= { states: {} }).states[state] = Number(n);
    }
    return { ...counters, states, carriers } as CampaignProgress;
  }

  /** Sets the pace (invitations per minute; null: none), keeping the reservations made. */
  async setPace(campaign: string, perMinute: number | null): Promise<void> {
    const key = this.keys.campaignPace(campaign);
    if (perMinute === null) await this.redis.hdel(key, 'perMinute');
    else await this.redis.hset(key, 'perMinute', String(perMinute));
  }

  /** Pauses the campaign: its SMS not yet sent wait (gateway/core/pace.ts). */
  async pause(campaign: string): Promise<void> {
    await this.redis.hset(this.keys.campaignPace(campaign), 'paused', '1');
  }

  /** Resumes it: the paced slots start again from `now`. */
  async resume(campaign: string, now: number): Promise<void> {
    await this.redis.hset(this.keys.campaignPace(campaign), 'paused', '0', 'next', String(now));
  }

  async control(campaign: string): Promise<CampaignControl> {
    const [perMinute, paused] = await this.redis.hmget(
      this.keys.campaignPace(campaign),
      'perMinute',
      'paused',
    );
    return { perMinute: perMinute ? Number(perMinute) : null, paused: paused === '1' };
  }

  /** Reserves send times for `n` SMS of the campaign, one pace interval apart, from `now` or after the last reserved. */
  async reserve(campaign: string, n: number, now: number): Promise<Reservation> {
    const [kind, first, interval] = await withScripts(this.redis).gwPace(
      this.keys.campaignPace(campaign),
      n,
      now,
    );
    if (kind === -1) return { kind: 'paused' };
    if (kind !== 1 || first === undefined || interval === undefined) return { kind: 'free' };
    return { kind: 'paced', first, intervalMs: interval };
  }

  /** The most recently active campaigns, newest first. */
  async recent(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.campaigns(), 0, limit - 1);
  }
}
