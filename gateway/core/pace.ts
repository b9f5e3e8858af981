/**
 * Paced campaigns: the SMS of a campaign with a pace go out one pace interval apart (the slots
 * are reserved in Redis, store/lua/pace-1.lua, so every sender process shares them), a paused
 * campaign's SMS wait until it is resumed, and a notice waits for the sending window to open.
 * The sender asks here which SMS of a job go now and which later (sender.ts).
 */
import type { SmsOutJob } from '../../queues/jobs.js';
import type { Core } from './runtime.js';

/**
 * A notice the citizen did not ask for (an invitation, a repeat, an expiry, blocking or assignment
 * notice, a supervisor's resend of an SMS that asks for consent): bounded by the sending window. An
 * answer to the citizen's own SMS is not one, even one that asks for consent (003, Appendix 2 after
 * `#3#0`): it goes at any hour (CONTRACT, SEND_WINDOW).
 */
export const isNotice = (sms: SmsOutJob): boolean => sms.notice === true;

/** A paused campaign's SMS look again this often. */
export const PAUSE_RECHECK_MS = 15_000;
/** An SMS whose slot is this close goes now (the delayed job woke a little early). */
const EARLY_MS = 50;

export interface PacePlan {
  readonly now: SmsOutJob[];
  /** Each with the time to look again (a paced SMS carries its reserved `paceSlot`). */
  readonly later: Array<{ readonly sms: SmsOutJob; readonly at: number }>;
}

/**
 * Which SMS of a job go now. `opensAt` is when the sending window opens (now while open);
 * a paused campaign's SMS look again after `pauseRecheckMs`. A notice that reaches the sender
 * after the window closed (its carrier down or slow until then, its submits refused) waits for
 * the opening rather than going at night (CONTRACT, SEND_WINDOW).
 */
export async function planPace(
  core: Pick<Core, 'campaigns'>,
  sms: readonly SmsOutJob[],
  now: number,
  window: { readonly opensAt: (now: number) => number; readonly pauseRecheckMs?: number },
): Promise<PacePlan> {
  const { opensAt } = window;
  const plan: { now: SmsOutJob[]; later: Array<{ sms: SmsOutJob; at: number }> } = { now: [], later: [] };
  const byCampaign = new Map<string, SmsOutJob[]>();
  let opening: number | undefined;
  for (const s of sms) {
    // Only invitations are paced: an answer in a campaign's conversation goes at once (one that
    // asks for consent too), and a second try through another carrier was paced as the first.
    if (s.campaign !== undefined && s.asksConsent && isNotice(s) && !s.avoidCarriers)
      byCampaign.set(s.campaign, [...(byCampaign.get(s.campaign) ?? []), s]);
    else if (isNotice(s) && (opening ??= opensAt(now)) > now) plan.later.push({ sms: s, at: opening });
    else plan.now.push(s);
  }
  for (const [campaign, list] of byCampaign) {
    const control = await core.campaigns.control(campaign);
    if (control.paused) {
      for (const s of list)
        plan.later.push({ sms: withoutSlot(s), at: now + (window.pauseRecheckMs ?? PAUSE_RECHECK_MS) });
      continue;
    }
    const open = opensAt(now);
    if (open > now) {
      // Outside the sending window: the slots start again when it opens.
      for (const s of list) plan.later.push({ sms: withoutSlot(s), at: open });
      continue;
    }
    const slotted = list.filter((s) => s.paceSlot !== undefined);
    const fresh = control.perMinute === null ? [] : list.filter((s) => s.paceSlot === undefined);
    if (control.perMinute === null) plan.now.push(...list.filter((s) => s.paceSlot === undefined));
    const reservation =
      fresh.length > 0 ? await core.campaigns.reserve(campaign, fresh.length, now) : undefined;
    const placed = fresh.map((s, i) =>
      reservation?.kind === 'paced' ? { ...s, paceSlot: reservation.first + i * reservation.intervalMs } : s,
    );
    for (const s of [...slotted, ...placed]) {
      if (s.paceSlot === undefined || s.paceSlot <= now + EARLY_MS) plan.now.push(withoutSlot(s));
      else plan.later.push({ sms: s, at: s.paceSlot });
    }
  }
  return plan;
}

function withoutSlot(s: SmsOutJob): SmsOutJob {
  if (s.paceSlot === undefined) return s;
  const { paceSlot: _slot, ...rest } = s;
  return rest;
}
