/**
 * The accounting every fault test ends with: invitations sent once each,
 * replies stored once each, consents in `assignments` exactly once each, nothing lost. Counted
 * from what the simulated SMSC accepted and from Redis, never from the gateway's own logs.
 */
import { expect } from 'vitest';
import type { Core } from '../../gateway/core/runtime.js';
import type { CarrierSimulator, ReceivedSubmit, WholeMessage } from '../../dev/simulator/index.js';
import { eventually } from './gateway.js';

const JOB_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'] as const;

/** One part of one SMS as the SMSC sees it: destination, concatenation reference and sequence. */
function partKey(s: ReceivedSubmit): string {
  const c = s.concat;
  return c ? `${s.destination}|${c.ref}/${c.total}#${c.seq}` : `${s.destination}|${s.text}`;
}

/** How the SMSC saw the parts sent to `destinations`. */
export interface PartCounts {
  /** Distinct parts received. */
  readonly parts: number;
  /** Parts accepted (status 0) more than once: must be 0. */
  readonly acceptedTwice: number;
  /** Parts received more than once and accepted once (re-sent after no answer or a refusal). */
  readonly resent: number;
  /** Submits answered with a throttle status (0x58 / 0x14). */
  readonly throttled: number;
  /** Submits never answered (the link dropped under them). */
  readonly unanswered: number;
  /**
   * Parts received, never accepted under that reference: unanswered at a cut before any part
   * of their message was accepted, so the retry starts afresh under a new reference.
   */
  readonly neverAccepted: number;
}

/** Counts, per part, how often the SMSC received and accepted it. */
export function countParts(sim: CarrierSimulator, destinations: ReadonlySet<string>): PartCounts {
  const received = new Map<string, number>();
  const accepted = new Map<string, number>();
  let throttled = 0;
  let unanswered = 0;
  for (const s of sim.submits) {
    if (!destinations.has(s.destination)) continue;
    const key = partKey(s);
    received.set(key, (received.get(key) ?? 0) + 1);
    if (s.status === 0) accepted.set(key, (accepted.get(key) ?? 0) + 1);
    if (s.status === 0x58 || s.status === 0x14) throttled += 1;
    if (s.status === undefined) unanswered += 1;
  }
  const keys = [...received.keys()];
  return {
    parts: keys.length,
    acceptedTwice: keys.filter((k) => (accepted.get(k) ?? 0) > 1).length,
    resent: keys.filter((k) => (received.get(k) ?? 0) > 1 && accepted.get(k) === 1).length,
    throttled,
    unanswered,
    neverAccepted: keys.filter((k) => !accepted.has(k)).length,
  };
}

/** Every whole message the SMSC accepted for each number, in order. */
export function messagesByNumber(sim: CarrierSimulator): Map<string, WholeMessage[]> {
  const byNumber = new Map<string, WholeMessage[]>();
  for (const m of sim.messages) byNumber.set(m.destination, [...(byNumber.get(m.destination) ?? []), m]);
  return byNumber;
}

/**
 * Nothing waiting, running or retrying in `inbound` and `sms-out`, and no outbox left to flush.
 * `orphans`: SMSC message ids whose receipts may retry for ever (an SMS a killed process had sent
 * but not yet recorded): their receipt jobs left waiting for a link are not counted.
 */
export async function queuesIdle(
  core: Core,
  timeoutMs = 20_000,
  orphans: ReadonlySet<string> = new Set(),
): Promise<true> {
  let last = '';
  const probe = async () => {
    const counts = await Promise.all(
      [core.queues.inbound, core.queues.smsOut].map((q) =>
        q.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
      ),
    );
    const [inbound] = counts;
    if (orphans.size > 0 && inbound) {
      const delayed = await core.queues.inbound.getDelayed();
      const id = (j: { data: unknown }) => (j.data as { smscMessageId?: unknown }).smscMessageId;
      inbound.delayed = (inbound.delayed ?? 0) - delayed.filter((j) => orphans.has(String(id(j)))).length;
    }
    // A conversation's own outbox, and a batch's (a turn's steps committed together): a process
    // killed between a batch's commit and its hand-over leaves it to the recovery sweep, which
    // takes batches 10 s old (BATCH_RECOVERY_MS), its SMS and outcomes still to be added.
    const outboxes = (await core.store.outboxes.pending(1)).length;
    const batches = (await core.store.outboxes.batchesDue(0, 1)).length;
    last = JSON.stringify({ inbound: counts[0], smsOut: counts[1], outboxes, batches });
    return counts.every((c) => Object.values(c).every((n) => n === 0)) && outboxes === 0 && batches === 0;
  };
  try {
    return await eventually(probe, 'inbound and sms-out to drain', timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen ${last}`);
  }
}

/**
 * Consents exactly once: `assignments` holds exactly these conversation ids (job id =
 * conversation id), each conversation is `consented` with one accepted reply in its timeline.
 */
export async function expectConsentedOnce(core: Core, ids: readonly string[]): Promise<void> {
  const jobs = await core.queues.assignments.getJobs([...JOB_STATES]);
  expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
  for (const id of ids) {
    expect((await core.conversations.get(id))?.state, id).toBe('consented');
    const timeline = await core.store.timeline(id);
    expect(
      timeline.filter((e) => e.kind === 'reply' && e.accepted === true),
      id,
    ).toHaveLength(1);
  }
}

/** Waits until `assignments` holds `count` jobs in any state. */
export function assignmentsReach(core: Core, count: number, timeoutMs = 20_000): Promise<true> {
  return eventually(
    async () => (await core.queues.assignments.getJobCountByTypes(...JOB_STATES)) >= count || undefined,
    `${count} assignments`,
    timeoutMs,
  );
}
