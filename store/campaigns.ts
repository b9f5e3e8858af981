/**
 * Campaign progress (issue 7, point 5): one Redis hash of counters per
 * campaign, incremented where each step happens (invitation accepted, SMS
 * sent, receipt, reply, consent), so reading progress costs one HGETALL.
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './redis.js';

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

export type CampaignProgress = Record<CampaignField, number>;

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

  /** The counters, or undefined when the campaign has none. */
  async progress(campaign: string): Promise<CampaignProgress | undefined> {
    const raw = await this.redis.hgetall(this.keys.campaign(campaign));
    if (Object.keys(raw).length === 0) return undefined;
    return Object.fromEntries(CAMPAIGN_FIELDS.map((f) => [f, Number(raw[f] ?? 0)])) as CampaignProgress;
  }

  /** The most recently active campaigns, newest first. */
  async recent(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.campaigns(), 0, limit - 1);
  }
}
