/**
 * Deadlines and recovery. Deadlines live in the deadline index (store/deadlines.ts);
 * each sweep claims a batch of those due, so that several sweeping processes share
 * them, and fires them through the same compare-and-set as replies, so a deadline
 * never fires twice and a conversation that ended earlier ignores it
 * (docs/decisions/0002-deadlines.md).
 * It also sends the waiting conversations whose time came, hands the SMS held
 * for the sending window to `sms-out` once it opens, and hands over outboxes a
 * crash left behind.
 */
import { asError } from '../../common/errors.js';
import { isOpen, type Conversation } from '../../dialogue/conversation.js';
import { isWindowOpen, nextOpening } from '../../dialogue/window.js';
import { ofKind, sentEntry } from '../../store/timeline-entry.js';
import { PENDING_CHECK_MS } from './conversations.js';
import type { Counter } from 'prom-client';
import type { Logger } from '../log.js';
import { sweepUnknownDeliveries } from './delivery-unknown.js';
import type { Core } from './runtime.js';
import type { ApplyResult } from './conversations.js';

export interface SweeperOptions {
  readonly core: Core;
  readonly log: Logger;
  /** Milliseconds between sweeps. Default 1000. */
  readonly intervalMs?: number;
  /** Due deadlines handled per sweep. Default `SWEEP_DEFAULTS.batch`. */
  readonly batch?: number;
  /** Deadlines read and committed together (a sub-batch). Default `SWEEP_DEFAULTS.parallel`. */
  readonly parallel?: number;
  /** Sub-batches fired at once. Default `SWEEP_DEFAULTS.inFlight`. */
  readonly inFlight?: number;
  /**
   * How long after a deadline the sweeper fires it. Replies the SMSC delivered before the deadline
   * may still wait in the inbound queue; firing a little later lets them win without sending the
   * citizen a wrong "time is up" SMS (the engine still counts an in-time reply processed after the
   * sweep). Default {@link DEADLINE_GRACE_MS}.
   */
  readonly graceMs?: number;
  /**
   * How long a claimed deadline is this sweeper's alone: several sweeping processes share the due
   * deadlines instead of reading the same ones, and one this sweeper did not fire (it stopped, or
   * the firing failed) falls due again this much later. Default {@link DEADLINE_LEASE_MS}.
   */
  readonly leaseMs?: number;
  /** Counts the SMS marked "delivery unknown" (`gateway_delivery_unknown_total`). */
  readonly deliveryUnknown?: Counter;
  /** Counts due deadlines by what firing them did (`gateway_deadlines_total{result}`). */
  readonly deadlines?: Counter<'result'>;
}

export const DEADLINE_GRACE_MS = 120_000;
export const DEADLINE_LEASE_MS = 60_000;

export interface Sweeper {
  /** One sweep at the core's `now()`: returns how many due deadlines were handled. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/** After a deadline was fired (`result`): the index made to say what the conversation says. */
async function settle(
  core: Core,
  id: string,
  result: ApplyResult,
  counter?: Counter<'result'>,
): Promise<void> {
  counter?.inc({ result: result.status === 'applied' ? 'fired' : result.status });
  if (result.status === 'not-found') {
    await core.store.setDeadline(id, null);
    return;
  }
  if (result.status === 'unchanged') {
    const conv = result.conversation;
    if (isOpen(conv) && conv.deadline === null && conv.deadlineOnSent) {
      await startPendingDeadline(core, conv);
      return;
    }
    // Not due after all (moved) or already ended: make the index say what the conversation says.
    await core.store.setDeadline(id, isOpen(conv) ? conv.deadline : null);
  }
}

/**
 * A stage whose deadline waits for its SMS: if the timeline says the SMSC accepted it (the sender
 * stopped before starting the deadline), the deadline starts from that entry's time; if not, the
 * SMS is still on its way (a carrier outage) and the stage is looked at again later.
 */
async function startPendingDeadline(core: Core, conv: Conversation): Promise<void> {
  const timeline = await core.store.timeline(conv.id);
  const template = core.services.get(conv.service)?.stages[conv.deadlineOnSent ?? '']?.send;
  const sms = timeline.filter(ofKind('sms')).findLast((e) => e.templateId === template);
  const sent = sms && sentEntry(timeline, sms.smsId);
  if (template && sent) {
    const result = await core.conversations.apply(
      conv.id,
      { type: 'sent', templateId: template, at: sent.at },
      `sent:${sms.smsId}`,
    );
    if (result.status !== 'not-found' && result.conversation.deadline !== null) return;
  }
  await core.store.setDeadline(conv.id, core.now() + PENDING_CHECK_MS);
}

/** Waiting conversations whose time came, in order: each goes out if its number's turn is free. */
async function releaseWaiting(core: Core, log: Logger, batch: number): Promise<number> {
  const due = await core.holds.dueWaiting(core.now(), batch);
  for (const id of due) {
    await core.conversations
      .release(id)
      .catch((err: unknown) =>
        log.warn({ err, conversationId: id }, 'waiting conversation not released; retried'),
      );
  }
  return due.length;
}

/** SMS held for the sending window, handed to `sms-out` in order once it is open; the binds' TPS paces them. */
async function releaseHeld(core: Core, batch: number): Promise<number> {
  const now = core.now();
  const due = await core.holds.dueSms(now, batch);
  if (due.length === 0) return 0;
  if (!isWindowOpen(core.window, core.calendar, now)) {
    // The calendar changed under it: wait for the next opening.
    const opening = nextOpening(core.window, core.calendar, now);
    for (const held of due) await core.holds.rehold(held.raw, opening);
    return 0;
  }
  await core.sms.addAll(due.map((h) => h.sms));
  for (const held of due) await core.holds.rehold(held.raw, null);
  return due.length;
}

/**
 * A sweep's sizes: deadlines claimed per sweep, read and committed together, and such sub-batches
 * in flight at once (one decided here while Redis runs another's commit). Larger sub-batches make
 * fewer round trips and script calls per deadline (docs/performance.md, deadlines).
 */
export const SWEEP_DEFAULTS = { batch: 1000, parallel: 64, inFlight: 2 } as const;

export function createSweeper(options: SweeperOptions): Sweeper {
  const { core, log } = options;
  const batch = options.batch ?? SWEEP_DEFAULTS.batch;
  const parallel = options.parallel ?? SWEEP_DEFAULTS.parallel;
  const inFlight = options.inFlight ?? SWEEP_DEFAULTS.inFlight;

  /** Fires one sub-batch of claimed deadlines: one read, one commit (conversations.ts `applyEach`). */
  async function fireAll(ids: readonly string[]): Promise<void> {
    const reads = await core.store.getAll(ids).catch((err: unknown) => {
      log.warn({ err }, 'due conversations not read; retried when their claim ends');
      return undefined;
    });
    if (!reads) return;
    const results = await core.conversations
      .applyEach(
        { type: 'deadline' },
        ids.map((id, n) => [id, reads[n] ?? null] as const),
      )
      .catch((err: unknown) => ids.map(() => asError(err)));
    await Promise.all(
      ids.map(async (id, n) => {
        const result = results[n];
        try {
          if (result === undefined) throw new Error('the batch gave no result');
          if (result instanceof Error) throw result;
          await settle(core, id, result, options.deadlines);
        } catch (err) {
          log.warn({ err, conversationId: id }, 'deadline failed; retried when its claim ends');
        }
      }),
    );
  }

  async function tick(): Promise<number> {
    const now = core.now();
    const due = await core.store.claimDueDeadlines(
      now - (options.graceMs ?? DEADLINE_GRACE_MS),
      batch,
      now + (options.leaseMs ?? DEADLINE_LEASE_MS),
    );
    const chunks: string[][] = [];
    for (let i = 0; i < due.length; i += parallel) chunks.push(due.slice(i, i + parallel));
    // Sub-batches in flight at once: one is decided here while Redis runs another's commit.
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let ids = chunks[next++]; ids; ids = chunks[next++]) await fireAll(ids);
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, chunks.length) }, lane));
    const released = await releaseWaiting(core, log, batch);
    const held = await releaseHeld(core, batch);
    await core.outbox.recover();
    await sweepUnknownDeliveries(core, options.deliveryUnknown).catch((err: unknown) =>
      log.warn({ err }, 'delivery-unknown sweep failed; retried next sweep'),
    );
    return Math.max(due.length, released, held);
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const loop = (): void => {
    if (stopped) return;
    running = tick()
      .then((n) => {
        // A full batch means more are due: go again at once.
        timer = setTimeout(loop, n >= batch ? 0 : (options.intervalMs ?? 1000));
      })
      .catch((err: unknown) => {
        log.warn({ err }, 'deadline sweep failed');
        timer = setTimeout(loop, options.intervalMs ?? 1000);
      });
  };
  if (options.intervalMs !== 0) loop();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
