/**
 * Campaign progress: counters per campaign, read by
 * GET /v1/campaigns/:id, the console and /metrics. The sender and the
 * receipt/reply paths call {@link campaignCounter} as each step happens.
 */
import { Router, type Response } from 'express';
import { Gauge, type Registry } from 'prom-client';
import {
  CAMPAIGN_FIELDS,
  type CampaignStore,
  type CampaignField,
  type CampaignProgress,
} from '../../store/campaigns.js';
import type { Core } from '../core/runtime.js';
import { requireRole } from './auth.js';
import { sendError } from './errors.js';
import { campaignPaceSchema, campaignParamsSchema } from './schemas.js';
import { almatyIso } from './view.js';
import { SCRAPE_WAIT_MS, withinMs } from '../core/scrape.js';

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
      const all = await withinMs(read, SCRAPE_WAIT_MS);
      if (all === undefined) return;
      this.reset();
      for (const [campaign, progress] of all) {
        if (!progress) continue;
        for (const stage of CAMPAIGN_FIELDS) this.set({ campaign, stage }, progress[stage]);
      }
    },
  });
}

/** A campaign as GET /v1/campaigns/:id shows it: progress, pace, pause and the forecast end. */
async function campaignView(
  store: CampaignStore,
  core: Pick<Core, 'now' | 'calendar'>,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const [found, control] = await Promise.all([store.progress(id), store.control(id)]);
  if (!found && control.perMinute === null && !control.paused) return undefined;
  const progress =
    found ??
    ({
      ...Object.fromEntries(CAMPAIGN_FIELDS.map((f) => [f, 0])),
      states: {},
      carriers: {},
    } as CampaignProgress);
  // Invitations queued and not yet accepted or refused by an SMSC.
  const remaining = Math.max(0, progress.queued - progress.sent - progress.failed);
  const now = core.now();
  const forecast =
    remaining === 0
      ? now
      : control.paused || control.perMinute === null
        ? null
        : now + Math.ceil((remaining / control.perMinute) * 60_000);
  return {
    id,
    progress,
    pace:
      control.perMinute === null ? null : { perMinute: control.perMinute, perHour: control.perMinute * 60 },
    paused: control.paused,
    remaining,
    forecastEnd: forecast === null ? null : almatyIso(core.calendar.zone, forecast),
  };
}

export function campaignsRouter(store: CampaignStore, core: Pick<Core, 'now' | 'calendar'>): Router {
  const router = Router();
  const answer = async (res: Response, id: string): Promise<void> => {
    const view = await campaignView(store, core, id);
    if (!view) return void sendError(res, 'GW_NOT_FOUND', `no campaign ${id}`);
    res.json(view);
  };
  router.get('/v1/campaigns/:id', requireRole('system', 'supervisor', 'agent'), async (req, res) => {
    await answer(res, campaignParamsSchema.parse(req.params).id);
  });
  // The pace of a campaign is sized to the call centre: invitations per minute or per hour.
  router.post('/v1/campaigns/:id/pace', requireRole('system'), async (req, res) => {
    const { id } = campaignParamsSchema.parse(req.params);
    const body = campaignPaceSchema.parse(req.body);
    const perMinute = 'perHour' in body ? body.perHour / 60 : body.perMinute;
    await store.setPace(id, perMinute);
    await answer(res, id);
  });
  router.post('/v1/campaigns/:id/pause', requireRole('system'), async (req, res) => {
    const { id } = campaignParamsSchema.parse(req.params);
    await store.pause(id);
    await answer(res, id);
  });
  router.post('/v1/campaigns/:id/resume', requireRole('system'), async (req, res) => {
    const { id } = campaignParamsSchema.parse(req.params);
    await store.resume(id, core.now());
    await answer(res, id);
  });
  return router;
}
