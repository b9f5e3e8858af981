/**
 * Small helpers for the end-to-end scenarios (test/scenarios): invitations through the core
 * (the HTTP API is tested on its own), waits on state and queues, and what the simulated SMSC
 * received for one number.
 */
import type { Job } from 'bullmq';
import type { Conversation, Language } from '../../dialogue/conversation.js';
import type { ApplyResult } from '../../gateway/core/conversations.js';
import type { WholeMessage } from '../../dev/simulator/index.js';
import type { AssignmentJob } from '../../queues/jobs.js';
import { outcomeJob, type OutcomeJob } from '../../queues/outcomes.js';
import { eventually, type TestGateway } from './gateway.js';

/** Distinct MSISDNs for one file: `7<3 digits of the file><7-digit counter>`. */
export function numbers(filePrefix: string): () => string {
  let n = 0;
  return () => {
    n += 1;
    return `7${filePrefix}${String(n).padStart(7, '0')}`;
  };
}

export interface InviteOptions {
  readonly language?: Language;
  readonly externalId?: string;
  readonly campaign?: string;
}

/** Invites through the core, as POST /v1/invitations does; the external id defaults to `<service>-<msisdn>`. */
export async function invite(
  t: TestGateway,
  service: string,
  msisdn: string,
  params: Record<string, unknown>,
  options: InviteOptions = {},
): Promise<Conversation> {
  const { conversation } = await t.gateway.core.conversations.invite({
    service,
    externalId: options.externalId ?? `${service}-${msisdn}`,
    msisdn,
    language: options.language ?? 'ru',
    params,
    campaign: options.campaign,
  });
  return conversation;
}

/** The conversation once it reaches `state`. */
export function stateReached(
  t: TestGateway,
  id: string,
  state: string,
  timeoutMs = 5000,
): Promise<Conversation> {
  return eventually(
    async () => {
      const c = await t.gateway.core.conversations.get(id);
      return c?.state === state ? c : undefined;
    },
    `conversation ${id} in state ${state}`,
    timeoutMs,
  );
}

/** The `assignments` job of a conversation (job id = conversation id, CONTRACT.md). */
export function assignment(t: TestGateway, id: string): Promise<Job<AssignmentJob>> {
  return eventually(
    () => t.gateway.core.queues.assignments.getJob(id) as Promise<Job<AssignmentJob> | undefined>,
    `assignment ${id}`,
  );
}

/**
 * Resolves once no inbound reply/receipt and no outgoing SMS is waiting, running or retrying:
 * everything the gateway will do about what happened so far is done, so "nothing more" can be
 * checked by counting instead of by waiting for silence.
 */
export function drained(t: TestGateway, timeoutMs = 10_000): Promise<true> {
  const { inbound, smsOut } = t.gateway.core.queues;
  return eventually(
    async () => {
      const counts = await Promise.all(
        [inbound, smsOut].map((q) =>
          q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
        ),
      );
      const outboxes = await t.gateway.core.store.outboxes.pending(1);
      return counts.every((c) => Object.values(c).every((n) => n === 0)) && outboxes.length === 0;
    },
    'the inbound and sms-out queues to drain',
    timeoutMs,
  );
}

/** Every whole SMS the simulated SMSC accepted for `msisdn`, in order. */
export function messagesTo(t: TestGateway, msisdn: string): WholeMessage[] {
  return t.sim.messages.filter((m) => m.destination === msisdn);
}

/** Narrows an ApplyResult to a conversation (fails the test on not-found). */
export function applied(result: ApplyResult): Conversation {
  if (result.status === 'not-found') throw new Error('conversation not found');
  return result.conversation;
}

/**
 * The conversation once its deadline runs: it counts from the SMSC's acceptance of the stage's SMS
 * (003 item 10), written by the sender a moment after the submit_sm_resp.
 */
export function deadlineRuns(t: TestGateway, id: string): Promise<Conversation & { deadline: number }> {
  return eventually(async () => {
    const c = await t.gateway.core.conversations.get(id);
    return c && c.deadline !== null ? (c as Conversation & { deadline: number }) : undefined;
  }, `the deadline of ${id} to run`);
}

/** Every outcome job of one conversation, in the order they were added; each job id `<conversation>.<outcome>`. */
export async function outcomesOf(t: TestGateway, id: string): Promise<OutcomeJob[]> {
  const jobs = (await t.gateway.core.queues.outcomes.getJobs([
    'waiting',
    'active',
    'completed',
    'failed',
    'delayed',
  ])) as Array<Job<OutcomeJob>>;
  return jobs
    .filter((j) => j.data.conversationId === id)
    .sort((a, b) => a.timestamp - b.timestamp || Number(a.id) - Number(b.id))
    .map((j) => {
      if (j.id !== `${id}.${j.data.outcome}`) throw new Error(`outcome job ${j.id} has no id of its own`);
      return outcomeJob.parse(j.data);
    });
}

/** The `outcome` job of a conversation once it is there. */
export const outcomeReached = (t: TestGateway, id: string, outcome: string): Promise<OutcomeJob> =>
  eventually(
    async () => (await outcomesOf(t, id)).find((o) => o.outcome === outcome),
    `${outcome} of ${id}`,
    15_000,
  );
