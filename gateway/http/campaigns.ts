/**
 * Campaign progress (issue 7, point 5): counters per campaign, read by
 * GET /v1/campaigns/:id, the console and /metrics. The sender and the
 * receipt/reply paths call {@link campaignCounter} as each step happens.
 */
import { Router } from 'express';
import { withinMs } from '../core/within.js';
import { Gauge, type Registry } from 'prom-client';
import { CAMPAIGN_FIELDS, type CampaignStore, type CampaignField } from '../../store/campaigns.js';
import type { Core } from '../core/runtime.js';
import { requireRole } from './auth.js';
import { sendError } from './errors.js';
import { campaignParamsSchema } from './schemas.js';

/** Campaigns exported to /metrics: the most recently active ones (bounded label cardinality). */
export const METRICS_CAMPAIGNS = 50;

/** The campaign counters of a core. */
export function campaignStore(core: Pick<Core, 'store'>): CampaignStore {
  return core.store.campaigns;
}

/**
 * Adds one to a campaign's counter; a conversation without a campaign counts nowhere.
 * Call with `conversation.campaign` from the sender (`sent`), the receipt path
 * (`delivered`, `failed`), the reply path (`replied`) and on consent (`consented`).
 */
export async function campaignCounter(
  core: Pick<Core, 'store' | 'now'>,
  campaign: string | null | undefined,
  field: CampaignField,
): Promise<void> {
  if (!campaign) return;
  await campaignStore(core).increment(campaign, field, core.now());
}

/**
 * `gateway_campaign_progress{campaign, stage}`, read from Redis when scraped
 * (prom-client's async `collect`), so every gateway process reports the same totals.
 */
export function registerCampaignMetrics(registry: Registry, store: CampaignStore): Gauge {
  return new Gauge({
    name: 'gateway_campaign_progress',
    help: 'Conversations of a campaign per stage (queued, sent, delivered, failed, replied, consented)',
    labelNames: ['campaign', 'stage'],
    registers: [registry],
    async collect() {
      // A scrape answers from memory within half a second: while Redis is down or slow, the last values
      // read stay (a scrape must work exactly when the alerts matter).
      const read = store
        .recent(METRICS_CAMPAIGNS)
        .then((ids) => Promise.all(ids.map(async (id) => [id, await store.progress(id)] as const)));
      const all = await withinMs(read);
      if (all === undefined) return;
      this.reset();
      for (const [campaign, progress] of all) {
        if (!progress) continue;
        for (const stage of CAMPAIGN_FIELDS) this.set({ campaign, stage }, progress[stage]);
      }
    },
  });
}

export function campaignsRouter(store: CampaignStore): Router {
  const router = Router();
  router.get('/v1/campaigns/:id', requireRole('system', 'supervisor', 'agent'), async (req, res) => {
    const { id } = campaignParamsSchema.parse(req.params);
    const progress = await store.progress(id);
    if (!progress) return sendError(res, 'GW_NOT_FOUND', `no campaign ${id}`);
    res.json({ id, progress });
  });
  return router;
}
