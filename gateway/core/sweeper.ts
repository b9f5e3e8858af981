/**
 * Deadlines and recovery. Deadlines live in one sorted set (score = the
 * deadline); the sweeper fires those that are due through the same
 * compare-and-set as replies, so a deadline never fires twice and a
 * conversation that ended earlier ignores it (docs/decisions/0002-deadlines.md).
 * It also hands over outboxes a crash left behind.
 */
import { isOpen } from '../../dialogue/conversation.js';
import type { Counter } from 'prom-client';
import type { Logger } from '../log.js';
import { sweepUnknownDeliveries } from './delivery-unknown.js';
import type { Core } from './runtime.js';

export interface SweeperOptions {
  readonly core: Core;
  readonly log: Logger;
  /** Milliseconds between sweeps. Default 1000. */
  readonly intervalMs?: number;
  /** Due deadlines handled per sweep. Default 1000. */
  readonly batch?: number;
  /** Deadlines fired in parallel. Default 32. */
  readonly parallel?: number;
  /**
   * How long after a deadline the sweeper fires it. Replies the SMSC delivered before the deadline
   * may still wait in the inbound queue; firing a little later lets them win without sending the
   * citizen a wrong "time is up" SMS (the engine still counts an in-time reply processed after the
   * sweep). Default {@link DEADLINE_GRACE_MS}.
   */
  readonly graceMs?: number;
  /** Counts the SMS marked "delivery unknown" (`gateway_delivery_unknown_total`). */
  readonly deliveryUnknown?: Counter;
  /** Counts due deadlines by what firing them did (`gateway_deadlines_total{result}`). */
  readonly deadlines?: Counter<'result'>;
}

export const DEADLINE_GRACE_MS = 120_000;

export interface Sweeper {
  /** One sweep at the core's `now()`: returns how many due deadlines were handled. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

async function fireOne(core: Core, id: string, counter?: Counter<'result'>): Promise<void> {
  const result = await core.conversations.apply(id, { type: 'deadline' });
  counter?.inc({ result: result.status === 'applied' ? 'fired' : result.status });
  if (result.status === 'not-found') {
    await core.store.setDeadline(id, null);
    return;
  }
  if (result.status === 'unchanged') {
    // Not due after all (moved) or already ended: make the index say what the conversation says.
    const conv = result.conversation;
    await core.store.setDeadline(id, isOpen(conv) ? conv.deadline : null);
  }
}

export function createSweeper(options: SweeperOptions): Sweeper {
  const { core, log } = options;
  const batch = options.batch ?? 1000;
  const parallel = options.parallel ?? 32;

  async function tick(): Promise<number> {
    const due = await core.store.dueDeadlines(core.now() - (options.graceMs ?? DEADLINE_GRACE_MS), batch);
    for (let i = 0; i < due.length; i += parallel) {
      await Promise.all(
        due
          .slice(i, i + parallel)
          .map((id) =>
            fireOne(core, id, options.deadlines).catch((err: unknown) =>
              log.warn({ err, conversationId: id }, 'deadline failed; retried next sweep'),
            ),
          ),
      );
    }
    await core.outbox.recover();
    await sweepUnknownDeliveries(core, options.deliveryUnknown).catch((err: unknown) =>
      log.warn({ err }, 'delivery-unknown sweep failed; retried next sweep'),
    );
    return due.length;
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
