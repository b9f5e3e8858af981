/**
 * An end to every SMS's story: an SMS of a conversation that has no final receipt
 * RECEIPT_TIMEOUT_HOURS (default 72) after it was sent — carriers retry receipts for up to 72 h —
 * gets a `sms-status` "unknown" entry in its timeline, is counted, and, for an invitation, its
 * campaign's `unknown` counter; the agent's view then says what to tell the citizen
 * (gateway/http/view.ts). A receipt that comes later still shows as the SMS's latest status.
 */
import type { Counter } from 'prom-client';
import { smsEntry, smsStatuses, type TimelineEntry } from '../../store/timeline-entry.js';
import type { AwaitedSms } from '../../store/awaited-receipts.js';
import type { Core } from './runtime.js';

/** Statuses after which an SMS's story has ended: a final receipt, a refusal, a second try, never sent. */
const ENDED: ReadonlySet<string> = new Set(['delivered', 'failed', 'unknown', 'wrong-network', 'not-sent']);

/** An SMS's story has ended when its timeline has a final status for it. */
function ended(timeline: readonly TimelineEntry[], smsId: string): boolean {
  return smsStatuses(timeline, smsId).some((e) => ENDED.has(e.status));
}

async function markOne(core: Core, sms: AwaitedSms, counter?: Counter): Promise<boolean> {
  const stored = await core.store.withTimeline(sms.conversationId);
  if (!stored || ended(stored.timeline, sms.smsId)) return false;
  const hours = Math.round(core.receiptTimeoutMs / 3600_000);
  await core.store.append(sms.conversationId, {
    at: core.now(),
    kind: 'sms-status',
    smsId: sms.smsId,
    status: 'unknown',
    reason: `no final receipt within ${hours} h`,
  });
  counter?.inc();
  const { conversation } = stored;
  const entry = smsEntry(stored.timeline, sms.smsId);
  const invitation = entry !== undefined && entry.templateId === conversation.consentTemplate?.id;
  if (invitation && conversation.campaign)
    await core.campaigns.increment(conversation.campaign, 'unknown', core.now());
  return true;
}

/**
 * Marks the SMS whose receipt is overdue, one sent-hour at a time (a page of 200 SMS per round
 * trip); returns how many were marked. Safe to run again: a marked SMS is skipped.
 */
export async function sweepUnknownDeliveries(core: Core, counter?: Counter, maxHours = 4): Promise<number> {
  const hours = await core.awaitedReceipts.hoursBefore(core.now() - core.receiptTimeoutMs, maxHours);
  let marked = 0;
  for (const hour of hours) {
    let cursor = '0';
    do {
      const page = await core.awaitedReceipts.page(hour, cursor);
      cursor = page.cursor;
      const results = await Promise.all(page.sms.map((s) => markOne(core, s, counter)));
      marked += results.filter(Boolean).length;
    } while (cursor !== '0');
    await core.awaitedReceipts.done(hour);
  }
  return marked;
}
