/**
 * What an operator watches above the SMPP layer (docs/smpp.md lists the per-bind metrics):
 * replies and receipts stored before their deliver_sm_resp, temporary refusals while Redis is
 * away, multipart replies, receipts that never found their SMS, and what the workers decided.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { HoldCounts } from '../../store/holds.js';
import type { HandOverCounts } from './outbox.js';
import type { StateCounts } from '../../store/state-counts.js';
import { withinMs } from './scrape.js';

export interface CoreMetrics {
  /** deliver_sm stored and acknowledged, by kind (`reply`, `receipt`). */
  readonly stored: Counter<'kind'>;
  /** deliver_sm answered ESME_RX_T_APPN (0x64) because they could not be stored; the SMSC retries. */
  readonly temporaryErrors: Counter<'kind'>;
  /** Parts of multipart replies stored, and multipart replies completed (incomplete = a backlog of parts). */
  readonly replyParts: Counter<'outcome'>;
  /** Receipts whose SMS was never found after every retry (an SMSC id we did not record). */
  readonly receiptsUnmatched: Counter;
  /** Inbound jobs by result (`applied`, `unchanged`, `no-open-request`, `asked-which`, `delivered`, …). */
  readonly processed: Counter<'name' | 'result'>;
  /**
   * SMS the sender tried, by outcome: `sent`, `skipped` (already sent, or held by another job:
   * handed over twice), `failed` (refused for good), `retry` (a retryable error: tried again later,
   * in a job of its own if it was in a batch), `link-down` (its job waits for a bind), `busy` (its
   * carrier's SMS hold their share of the sender's jobs: its job waits in the queue).
   */
  readonly sms: Counter<'outcome'>;
  /** SMS with no final receipt within RECEIPT_TIMEOUT_HOURS, marked "delivery unknown". */
  readonly deliveryUnknown: Counter;
  /** Due deadlines by what firing them did: `fired` (the conversation moved), `unchanged`, `not-found`. */
  readonly deadlines: Counter<'result'>;
  /**
   * Courtesy SMS that failed (gateway/core/worklists.ts, COURTESY_TEMPLATES), kept off the undelivered
   * worklist: `stage` `submit` (the SMSC refused it for good) or `receipt` (each failed part's receipt).
   */
  readonly courtesyFailed: Counter<'stage'>;
}

export function createCoreMetrics(registry: Registry): CoreMetrics {
  return {
    stored: new Counter({
      name: 'gateway_inbound_stored_total',
      help: 'deliver_sm stored in Redis, then acknowledged, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    temporaryErrors: new Counter({
      name: 'gateway_inbound_temporary_errors_total',
      help: 'deliver_sm answered ESME_RX_T_APPN because they could not be stored (the SMSC retries)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    replyParts: new Counter({
      name: 'gateway_reply_parts_total',
      help: 'parts of multipart replies: stored, and replies completed',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    receiptsUnmatched: new Counter({
      name: 'gateway_receipts_unmatched_total',
      help: 'delivery receipts that matched no SMS after every retry',
      registers: [registry],
    }),
    processed: new Counter({
      name: 'gateway_inbound_processed_total',
      help: 'inbound jobs processed, by job name and result',
      labelNames: ['name', 'result'],
      registers: [registry],
    }),
    sms: new Counter({
      name: 'gateway_sms_total',
      help: 'SMS the sender tried, by outcome (sent, skipped, failed, retry, link-down, busy)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    deadlines: new Counter({
      name: 'gateway_deadlines_total',
      help: 'due deadlines handled by the sweeper, by result (fired, unchanged, not-found, rejected)',
      labelNames: ['result'],
      registers: [registry],
    }),
    courtesyFailed: new Counter({
      name: 'gateway_courtesy_sms_failed_total',
      help: 'courtesy SMS ("no open request") that failed, by stage (submit, receipt); kept off the undelivered worklist',
      labelNames: ['stage'],
      registers: [registry],
    }),
    deliveryUnknown: new Counter({
      name: 'gateway_delivery_unknown_total',
      help: 'SMS with no final receipt within RECEIPT_TIMEOUT_HOURS, marked delivery unknown',
      registers: [registry],
    }),
  };
}

/**
 * `gateway_conversations{service, state}`, read from Redis when scraped (store/state-counts.ts),
 * so every process reports the same figures; the last figures while Redis is down (scrape.ts).
 */
export function registerConversationMetrics(
  registry: Registry,
  counts: StateCounts,
  connected: () => boolean = () => true,
): void {
  new Gauge({
    name: 'gateway_conversations',
    help: 'Conversations by service and state (an ended state counts every conversation that ended so)',
    labelNames: ['service', 'state'],
    registers: [registry],
    async collect() {
      if (!connected()) return;
      const all = await withinMs(counts.all());
      if (all === undefined) return;
      this.reset();
      for (const { service, state, count } of all) this.set({ service, state }, count);
    },
  });
}

/** A waiting conversation or held SMS due longer ago than this is overdue: the sweeper is not releasing it. */
export const HOLD_OVERDUE_MS = 5 * 60_000;

/**
 * What waits for its time (store/holds.ts), read from Redis in one round trip per scrape:
 * `gateway_conversations_waiting` (not sent yet: the sending window is closed, or another request
 * of the number asks without a code), `gateway_sms_held` (notices held for the window), and
 * `gateway_held_overdue{kind}`, those due more than {@link HOLD_OVERDUE_MS} ago. The last figures
 * while Redis is down (scrape.ts).
 */
export function registerHoldMetrics(
  registry: Registry,
  holds: { counts(overdueBefore: number): Promise<HoldCounts> },
  now: () => number,
  connected: () => boolean = () => true,
): void {
  let last: HoldCounts | undefined;
  let read: Promise<void> | undefined;
  // One read serves the three gauges of a scrape.
  const refresh = (): Promise<void> =>
    (read ??= (async () => {
      if (!connected()) return;
      const counts = await withinMs(holds.counts(now() - HOLD_OVERDUE_MS));
      if (counts !== undefined) last = counts;
    })().finally(() => {
      read = undefined;
    }));
  new Gauge({
    name: 'gateway_conversations_waiting',
    help: 'Conversations waiting to be sent: the sending window is closed, or another request of the number asks without a code',
    registers: [registry],
    async collect() {
      await refresh();
      if (last) this.set(last.waiting);
    },
  });
  new Gauge({
    name: 'gateway_sms_held',
    help: 'SMS the citizen did not ask for, held until the sending window opens (SEND_WINDOW)',
    registers: [registry],
    async collect() {
      await refresh();
      if (last) this.set(last.held);
    },
  });
  new Gauge({
    name: 'gateway_held_overdue',
    help: 'Waiting conversations (kind=conversation) and held SMS (kind=sms) due more than 5 minutes ago and not yet released',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      await refresh();
      if (!last) return;
      this.set({ kind: 'conversation' }, last.waitingOverdue);
      this.set({ kind: 'sms' }, last.heldOverdue);
    },
  });
}

/**
 * What became of batch hand-overs that failed (outbox.ts `flushMany`): tried again, or left to the
 * recovery sweep, whose hand-overs of batches are counted too. Counted in this process.
 */
export function registerOutboxMetrics(registry: Registry, counts: Readonly<HandOverCounts>): void {
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  counter(
    'gateway_outbox_handover_retries_total',
    "tries again of a batch's outbox hand-over that Redis failed",
    () => counts.retries,
  );
  counter(
    'gateway_outbox_left_to_recovery_total',
    'steps whose outbox hand-over failed every try, left to the recovery sweep (about 10 s late)',
    () => counts.leftToRecovery,
  );
  counter(
    'gateway_outbox_batches_recovered_total',
    "batches' outboxes the recovery sweep handed over: a process stopped, or a hand-over cut longer than its tries",
    () => counts.recoveredBatches,
  );
}

/**
 * `gateway_outbox_dead`: conversations whose outbox the recovery set aside (outbox.ts
 * `SET_ASIDE_AFTER`), waiting for an operator; read from Redis when scraped, so every process
 * reports the same figure; the last figure while Redis is down (scrape.ts).
 */
export function registerOutboxSetAsideMetric(
  registry: Registry,
  outboxes: { setAsideCount(): Promise<number> },
  connected: () => boolean = () => true,
): void {
  new Gauge({
    name: 'gateway_outbox_dead',
    help: 'Conversations whose outbox hand-over failed every try of the recovery, set aside for an operator to hand over again',
    registers: [registry],
    async collect() {
      if (!connected()) return;
      const count = await withinMs(outboxes.setAsideCount());
      if (count !== undefined) this.set(count);
    },
  });
}
