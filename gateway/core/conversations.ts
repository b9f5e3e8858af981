/**
 * Drives conversations: reads one, asks the pure engine what to do, renders
 * the SMS, and commits state + timeline + outbox in one Lua compare-and-set.
 * On a conflict (a reply and a deadline at once, two replies at once) it
 * re-reads and decides again, so exactly one of them wins.
 * Longer than 300 lines: invite, release and apply share one commit path (limits, rendering,
 * the sending window, outcomes, the outbox), which this service owns; the number's turn is in
 * turns.ts, a supervisor's resend in resend.ts.
 */
import QuickLRU from 'quick-lru';
import { asError, GatewayError } from '../../common/errors.js';
import {
  isOpen,
  newConversation,
  type Bank,
  type Conversation,
  type Language,
} from '../../dialogue/conversation.js';
import {
  deadlineStarted,
  laterOffers,
  start,
  step,
  wait,
  type DeadlineFn,
  type DialogueEvent,
  type Outcome,
  type WaitReason,
} from '../../dialogue/engine.js';
import type { WorkingCalendar } from '../../dialogue/calendar.js';
import { isWindowOpen, nextOpening, type SendWindow } from '../../dialogue/window.js';
import { ALMATY_ZONE, startOfLocalDay } from '../../dialogue/time.js';
import type { HoldIndex } from '../../store/holds.js';
import type { DeadlineStage } from '../../store/outbox.js';
import type { ServiceRegistry } from '../../services/load.js';
import type { ServiceDefinition } from '../../services/schema.js';
import {
  newConversationId,
  type ConversationStore,
  type DeadlineStarter,
  type HeldStep,
  type OutboxEntry,
  type TimelineEntry,
} from '../../store/conversations.js';
import type { CampaignStore } from '../../store/campaigns.js';
import type { StateCounts } from '../../store/state-counts.js';
import type { RenderedSms } from '../../templates/renderer.js';
import type { SetRenderedSms } from '../../templates/sets.js';
import { almatyDay, type TemplateSets } from '../../templates/index.js';
import type { Logger } from '../log.js';
import type { Outbox } from './outbox.js';
import { isOutcome, outcomeOf } from './outcomes.js';
import type { ZoneTable } from '../../dialogue/time.js';
import { parseParams } from './params.js';
import { isReplySms, ReplyLimits } from './reply-limits.js';
import type { Worklists } from './worklists.js';
import { resendSms, type ResendResult } from './resend.js';
import { StepBatches } from './step-batches.js';
import { NumberTurns, TURN_RECHECK_MS } from './turns.js';

export { NEXT_QUESTION_AFTER_MS, TURN_RECHECK_MS } from './turns.js';

import { assertSameInvitation } from './same-invitation.js';
import { externalIdNamespace, isTestId, newTestConversationId } from './test-traffic.js';

export interface InvitationInput {
  readonly service: string;
  readonly externalId: string;
  readonly msisdn: string;
  readonly language: Language;
  readonly params: Record<string, unknown>;
  readonly campaign?: string | undefined;
  /** From a `test` key: never sent to a carrier, counted nowhere, apart from real ones (test-traffic.ts). */
  readonly test?: boolean;
}

export interface ConversationDeps {
  readonly store: ConversationStore;
  readonly services: ServiceRegistry;
  readonly renderer: TemplateSets;
  readonly deadline: DeadlineFn;
  readonly outbox: Outbox;
  readonly campaigns: CampaignStore;
  /** Waiting conversations and SMS held for the sending window. */
  readonly holds: HoldIndex;
  /** SEND_WINDOW and the calendar whose working days it opens on. */
  readonly window: SendWindow;
  readonly calendar: WorkingCalendar;
  /** Conversations by service and state, for /metrics. */
  readonly stateCounts?: StateCounts;
  readonly log: Logger;
  /** Kazakhstan's time zone: outcomes carry local times (CONTRACT.md). */
  readonly zone: ZoneTable;
  /** Epoch ms; injectable so deadlines are tested without waiting days. */
  readonly now: () => number;
  /** The call centre's worklists, kept as steps are committed. */
  readonly worklists?: Worklists;
}

/**
 * A stage whose deadline waits for its SMS is looked at again this long after entry, then as often,
 * until the SMSC accepted the SMS: the sweeper then starts the deadline from the sent entry, should
 * the sender have stopped between the acceptance and the step that starts it.
 */
export const PENDING_CHECK_MS = 15 * 60_000;

/** How many times a step is re-decided after losing a compare-and-set. */
const MAX_ATTEMPTS = 8;
/** Keys of applied replies and events kept per conversation for idempotency. */
const APPLIED_KEEP = 32;

export type ApplyResult =
  | { readonly status: 'applied' | 'unchanged' | 'folded'; readonly conversation: Conversation }
  | { readonly status: 'rejected'; readonly conversation: Conversation; readonly reason: string }
  | { readonly status: 'not-found' };

export class ConversationService {
  /** Per-number limits on the SMS replies cause, and the folding of unaccepted replies. */
  readonly limits: ReplyLimits;

  /** The time in the last conversation id this process made. */
  private lastIdAt = 0;
  /**
   * Parts of the SMS of later stages' lists (checkLaterOffers), by the values they render: a few lists
   * serve a campaign, and a key holds a whole list (at most 20 banks of 200-character names).
   */
  private readonly offerParts = new QuickLRU<string, number>({ maxSize: 64 });

  private readonly turns: NumberTurns;

  /** Steps of one turn written together, on a single Redis (store `commitsInBatches`). */
  private readonly steps: StepBatches | undefined;

  constructor(private readonly deps: ConversationDeps) {
    this.limits = new ReplyLimits(deps.store.replies);
    this.turns = new NumberTurns(deps);
    this.steps = deps.store.commitsInBatches ? new StepBatches(deps.store, deps.outbox) : undefined;
  }

  /**
   * The deadline the SMSC's acceptance at `at` of an SMS starts, decided from the stage its job
   * names (`deadlineStage`, what its step committed; no read, in whichever process sends it):
   * written with the SMS's sent entry while the conversation is still at that version
   * (gateway/core/sent-writes.ts), after which every read starts it from that entry
   * (store/conversations.ts), as `deadlineStarted` would from the conversation. Undefined when the
   * job names no stage, or the stage does not wait for this SMS: the `sent` step then starts it.
   */
  acceptanceDeadline(
    sms: { readonly templateId: string; readonly deadlineStage?: DeadlineStage | undefined },
    at: number,
  ): { version: number; at: number } | undefined {
    const waiting = sms.deadlineStage;
    const stage = waiting && this.deps.services.get(waiting.service)?.stages[waiting.stage];
    if (!waiting || !stage?.deadline || stage.send !== sms.templateId) return undefined;
    return { version: waiting.version, at: this.deps.deadline(stage.deadline, at) };
  }

  service(id: string): ServiceDefinition {
    const service = this.deps.services.get(id);
    if (!service)
      throw new GatewayError('GW_VALIDATION_FAILED', `unknown service "${id}"`, [
        { path: 'service', message: `must be one of ${[...this.deps.services.keys()].join(', ')}` },
      ]);
    return service;
  }

  /**
   * Starts a conversation, or answers the existing one for (service, externalId): nothing is sent
   * twice. The same pair with another msisdn, language or params is GW_INVITATION_MISMATCH (409).
   */
  async invite(input: InvitationInput): Promise<{ conversation: Conversation; created: boolean }> {
    const service = this.service(input.service);
    const parsed = { data: parseParams(service, input.params) };
    const now = this.deps.now();
    const test = input.test === true;
    if (test && input.campaign !== undefined)
      throw new GatewayError('GW_VALIDATION_FAILED', 'a test invitation counts in no campaign', [
        {
          path: 'campaign',
          message: 'leave it out with a test key: test conversations count in no campaign',
        },
      ]);
    const proposed = test ? newTestConversationId(this.idTime(now)) : newConversationId(this.idTime(now));
    const id = await this.deps.store.claimExternalId(
      externalIdNamespace(service.id, test),
      input.externalId,
      proposed,
    );
    const again = { msisdn: input.msisdn, language: input.language, params: parsed.data };
    // Our own new id has no conversation yet: only an id claimed earlier is read.
    const existing = id === proposed ? null : await this.deps.store.get(id);
    if (existing) {
      assertSameInvitation(existing, again);
      return { conversation: existing, created: false };
    }
    // Refused now when no act gives the texts today; the set itself is taken when the first SMS goes.
    this.templateSetFor(service.id, now);

    const fresh = newConversation({
      id,
      service: service.id,
      externalId: input.externalId,
      msisdn: input.msisdn,
      language: input.language,
      params: parsed.data,
      createdAt: now,
      campaign: input.campaign ?? null,
    });
    this.assertDeadlineAhead(service, fresh, now);
    const committed = await this.begin(service, fresh, now);
    if (!committed) {
      // Another request with the same externalId created it first: answer that one.
      const winner = await this.deps.store.get(id);
      if (winner) {
        assertSameInvitation(winner, again);
        return { conversation: winner, created: false };
      }
      throw new Error(`conversation ${id} could not be created`);
    }
    return { conversation: committed, created: true };
  }

  /**
   * The time a new conversation id begins with: after the last one's, so that invitations arriving
   * in the same millisecond (one batch) keep their order where ids break ties: a family's children
   * are asked in the order their invitations came, and the window releases them so.
   */
  private idTime(now: number): number {
    this.lastIdAt = Math.max(now, this.lastIdAt + 1);
    return this.lastIdAt;
  }

  /** The set of the service's templates in force today (Asia/Almaty), or GW_NO_TEMPLATE_SET. */
  private templateSetFor(service: string, now: number): { id: string; sha256: string } {
    const set = this.deps.renderer.inForce(service, now);
    if (set) return { id: set.id, sha256: set.sha256 };
    const day = almatyDay(now);
    throw new GatewayError(
      'GW_NO_TEMPLATE_SET',
      `no template set of "${service}" is in force on ${day}: no act gives this service's SMS texts that day`,
      [{ path: 'service', message: `no template set in force on ${day} (Asia/Almaty)` }],
    );
  }

  /**
   * The first step of a new conversation: sent now, or `waiting` — outside the sending window, or
   * while another open request of the number asks for a reply without a service code (002's `3#1`
   * cannot say which request it answers). A coded offer never waits for a codeless one.
   */
  private async begin(
    service: ServiceDefinition,
    fresh: Conversation,
    now: number,
  ): Promise<Conversation | null> {
    const deps = { service, deadline: this.deps.deadline };
    const first = start(deps, fresh, now);
    // Rendered now, so a text too long is a 400 to the caller, not a failure at the window's opening.
    const rendered = this.renderInvitation(service, fresh, first.messages, now);
    if (!isWindowOpen(this.deps.window, this.deps.calendar, now))
      return this.commitWaiting(fresh, now, 'window', nextOpening(this.deps.window, this.deps.calendar, now));
    if (!this.turns.takes(service, fresh))
      return this.commit(fresh, first, now, indexOf(fresh), 'invitation', rendered);
    return this.turns.underLock(fresh.msisdn, async (locked) => {
      if (!locked) return this.commitWaiting(fresh, now, 'turn', now);
      const free = await this.turns.freeFrom(fresh);
      if (free === null) return this.commitWaiting(fresh, now, 'turn', now + TURN_RECHECK_MS);
      if (free > now) return this.commitWaiting(fresh, now, 'replies', free);
      return this.commit(fresh, first, now, indexOf(fresh), 'invitation', rendered);
    });
  }

  private commitWaiting(fresh: Conversation, now: number, reason: WaitReason, at: number) {
    return this.commit(
      fresh,
      wait(fresh, now, reason),
      now,
      [...indexOf(fresh), { t: 'wait', at }],
      'waiting',
    );
  }

  /**
   * Sends a waiting conversation if it may go now (the window is open, its number's turn is free),
   * else schedules the next try. Called by the sweeper for those due and when a request ends.
   */
  async release(id: string): Promise<'sent' | 'waiting' | 'gone'> {
    const conv = await this.deps.store.get(id);
    if (!conv || conv.state !== 'waiting') {
      await this.deps.holds.wait(id, null);
      return 'gone';
    }
    const now = this.deps.now();
    const { window, calendar } = this.deps;
    if (!isWindowOpen(window, calendar, now)) {
      await this.deps.holds.wait(id, nextOpening(window, calendar, now));
      return 'waiting';
    }
    const service = this.service(conv.service);
    const send = async (): Promise<'sent' | 'waiting' | 'gone'> => {
      const result = await this.apply(id, { type: 'release' });
      return result.status === 'applied' ? 'sent' : 'gone';
    };
    if (!this.turns.takes(service, conv)) return send();
    return this.turns.underLock(conv.msisdn, async (locked) => {
      // Not locked: another process is deciding the number's turn; tried again at the next sweep.
      const free = locked ? await this.turns.freeFrom(conv) : null;
      if (free !== null && free <= now) return send();
      await this.deps.holds.wait(id, locked ? (free ?? now + TURN_RECHECK_MS) : now);
      return 'waiting';
    });
  }

  /** A request that held its number's codeless turn ended: the next one waiting, if any, goes out. */
  private async passTurn(ended: Conversation): Promise<void> {
    const next = await this.turns.next(ended);
    if (next) await this.release(next.id);
  }

  /**
   * A deadline counted from a param's day (004: the day the data reached the portal) must lie
   * ahead, and that day must not be in the future: a 400 naming the param says which.
   */
  private assertDeadlineAhead(service: ServiceDefinition, conv: Conversation, now: number): void {
    const stage =
      service.stages[start({ service, deadline: this.deps.deadline }, conv, now).conversation.stage];
    const param = stage?.deadline?.from;
    if (!stage?.deadline || param === undefined) return;
    const day = String(conv.params[param]);
    const today = this.deps.calendar.toAlmaty(new Date(now)).date;
    const problem =
      startOfLocalDay(ALMATY_ZONE, day).getTime() > now || day > today
        ? `is in the future (today is ${today} in Almaty)`
        : this.deps.deadline(stage.deadline, startOfLocalDay(ALMATY_ZONE, day).getTime()) <= now
          ? `is too long ago: the term counted from it (${JSON.stringify(stage.deadline)}) has already ended`
          : null;
    if (problem)
      throw new GatewayError('GW_VALIDATION_FAILED', `params.${param} ${problem}`, [
        { path: `params.${param}`, message: problem },
      ]);
  }

  /**
   * Applies an event with optimistic concurrency: read, decide, compare-and-set, repeat on conflict.
   * `key` makes it idempotent (a retransmitted reply, a repeated upstream event). `read` is the
   * conversation as the caller just read it (a reply's routing): the first decision starts from it
   * instead of reading it again; if it is stale the compare-and-set fails and the loop re-reads.
   */
  async apply(id: string, event: DialogueEvent, key?: string, read?: Conversation): Promise<ApplyResult> {
    let foldChecked = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const conv = attempt === 0 && read?.id === id ? read : await this.deps.store.get(id);
      if (!conv) return { status: 'not-found' };
      if (key !== undefined && conv.appliedEvents.includes(key)) {
        await this.handOverLeft(id);
        return { status: 'unchanged', conversation: conv };
      }
      const service = this.service(conv.service);
      const now = this.deps.now();
      const outcome = step({ service, deadline: this.deps.deadline }, conv, event, now);
      if (outcome.rejected) return { status: 'rejected', conversation: conv, reason: outcome.rejected };
      if (!outcome.changed && outcome.timeline.length === 0)
        return { status: 'unchanged', conversation: conv };
      if (!foldChecked && event.type === 'reply' && unacceptedOnly(outcome)) {
        foldChecked = true;
        // Beyond the day's first unaccepted replies, one more is only counted (reply-limits.ts).
        if (await this.limits.fold(id, now)) return { status: 'folded', conversation: conv };
      }
      const keyed = key === undefined ? outcome : withKey(outcome, key);
      // A first try is written with the other steps of this turn; a retry alone.
      const committed = await this.commit(conv, keyed, now, [], causeOf(event), undefined, attempt === 0);
      if (committed) return { status: 'applied', conversation: committed };
      this.deps.log.debug(
        { conversationId: id, attempt },
        'transition lost a compare-and-set; deciding again',
      );
    }
    throw new GatewayError('GW_CONVERSATION_BUSY', `conversation ${id}: too many concurrent transitions`);
  }

  /**
   * The `sent` step: the deadline of the stage waiting for SMS `smsId`, counted from its acceptance
   * at `at`. Where the conversation's readers start it from the sent entry already (its document
   * names that SMS: store/conversations.ts), there is no step to write, and the deadline goes to
   * the index here.
   */
  async startAcceptanceDeadline(
    sms: { readonly conversationId: string; readonly smsId: string; readonly templateId: string },
    at: number,
  ): Promise<void> {
    const event = { type: 'sent', templateId: sms.templateId, at } as const;
    const result = await this.apply(sms.conversationId, event, `sent:${sms.smsId}`);
    if (result.status !== 'unchanged') return;
    const conv = result.conversation;
    if (isOpen(conv) && conv.deadline !== null && conv.deadlineFrom === at && !conv.deadlineOnSent)
      await this.deps.store.setDeadline(conv.id, conv.deadline);
  }

  /**
   * The event was applied before, perhaps by a commit whose answer was lost (Redis restarted
   * after running it: the resent commit then lost its compare-and-set to itself), so nobody
   * handed that step's outbox over: it is handed over now rather than at the next recovery sweep.
   * A turn's commit sent again answers its own steps as written instead (commit-many-n.lua), so
   * their hand-over follows as ever: only a conversation's own outbox is left for this.
   */
  private async handOverLeft(id: string): Promise<void> {
    await this.deps.outbox.flush(id).catch((err: unknown) => {
      this.deps.log.warn({ err, conversationId: id }, 'outbox flush failed; will retry');
    });
  }

  /**
   * Renders the step's SMS (or takes `prerendered`, the same SMS rendered by `begin`), commits, then
   * hands the outbox to BullMQ. Null on a version conflict.
   */
  private async commit(
    before: Conversation,
    outcome: Outcome,
    now: number,
    extra: OutboxEntry[],
    cause: string,
    prerendered?: SetRenderedSms[],
    batched = false,
  ): Promise<Conversation | null> {
    const plan = await this.plan(before, outcome, now, extra, cause, prerendered);
    // A new conversation (an invitation) cannot lose to another step: with this turn's too.
    if ((batched || before.version < 0) && this.steps) return this.commitInTurn(plan, now, cause, this.steps);
    const { next, timeline, outbox, final } = plan;
    const ok = await this.deps.store
      .commit(before.version, next, timeline, outbox, final, before)
      .catch(async (err: unknown) => {
        await plan.giveBack();
        throw err;
      });
    if (!ok) {
      await plan.giveBack();
      // The commit indexed the outbox for recovery first; if the step is not committed after all
      // (it is decided again, perhaps to nothing: a folded reply), an empty outbox leaves the index.
      if (outbox.length > 0) await this.deps.store.outboxes.done(next.id).catch(() => undefined);
      return null;
    }
    const committed = { ...next, version: before.version + 1 };
    const flush = () =>
      this.deps.outbox
        .flush(committed.id, { entries: outbox, conversation: committed })
        .catch((err: unknown) => {
          // The entries stay in the outbox; the recovery sweep hands them over later.
          this.deps.log.warn({ err, conversationId: committed.id }, 'outbox flush failed; will retry');
        });
    await this.afterCommit(plan, committed, now, cause, { flush, counted: false });
    return committed;
  }

  /**
   * `commit` with the other steps of this turn (step-batches.ts): the counts moved and the
   * deadline indexed by the commit, the outbox handed over with the others'. Null on a conflict.
   */
  private async commitInTurn(
    plan: Plan,
    now: number,
    cause: string,
    steps: StepBatches,
  ): Promise<Conversation | null> {
    const { before, next } = plan;
    const counted = !isTestId(before.id) && this.deps.stateCounts !== undefined;
    const written = await steps
      .commit({
        expectedVersion: before.version,
        before,
        next,
        timeline: plan.timeline,
        // The deadline the SMSC's acceptance started goes to the index in the same call.
        outbox: plan.started ? [...plan.outbox, { t: 'deadline', at: next.deadline }] : plan.outbox,
        final: plan.final,
        ...(counted ? { counts: movedCounts(before, next) } : {}),
      })
      .catch(async (err: unknown) => {
        await plan.giveBack();
        throw err;
      });
    if (!written) {
      await plan.giveBack();
      return null;
    }
    const committed = { ...next, version: before.version + 1 };
    const flush = () =>
      steps.handOver({ conversation: committed, ...written }).catch(() => {
        // Every try failed: the entries wait for the recovery sweep, and outbox.ts `flushMany` has
        // logged it once for the turn's steps, naming each conversation.
      });
    await this.afterCommit({ ...plan, started: false }, committed, now, cause, { flush, counted: true });
    return committed;
  }

  /**
   * Applies one event to many conversations read together (a sweep's due deadlines). On a single
   * Redis their steps are committed in one call (store `commitMany`, with their deadlines and
   * counts) and their outboxes handed over together; a step whose conversation changed since it
   * was read is decided again alone (`apply`), as is every step on Cluster. Per conversation, in
   * the order given: its result, or the error that step met (the others go on).
   */
  async applyEach(
    event: DialogueEvent,
    reads: ReadonlyArray<readonly [id: string, read: Conversation | null]>,
  ): Promise<Array<ApplyResult | Error>> {
    const alone = (id: string, read?: Conversation) =>
      this.apply(id, event, undefined, read).catch((err: unknown) => asError(err));
    if (!this.deps.store.commitsInBatches)
      return Promise.all(reads.map(([id, read]) => (read ? alone(id, read) : Promise.resolve(notFound()))));
    const now = this.deps.now();
    const results: Array<Promise<ApplyResult | Error>> = [];
    const plans: Array<{ readonly at: number; readonly plan: Plan }> = [];
    for (const [at, [, conv]] of reads.entries()) {
      if (!conv) {
        results[at] = Promise.resolve(notFound());
        continue;
      }
      try {
        const outcome = step(
          { service: this.service(conv.service), deadline: this.deps.deadline },
          conv,
          event,
          now,
        );
        const reason = outcome.rejected;
        if (reason) results[at] = Promise.resolve({ status: 'rejected', conversation: conv, reason });
        else if (!outcome.changed && outcome.timeline.length === 0)
          results[at] = Promise.resolve({ status: 'unchanged', conversation: conv });
        else plans.push({ at, plan: await this.plan(conv, outcome, now, [], causeOf(event)) });
      } catch (err) {
        results[at] = Promise.resolve(asError(err));
      }
    }
    const test = (plan: Plan) => isTestId(plan.before.id);
    const written = await this.deps.store
      .commitMany(
        plans.map(({ plan }) => ({
          expectedVersion: plan.before.version,
          before: plan.before,
          next: plan.next,
          timeline: plan.timeline,
          outbox: plan.outbox,
          final: plan.final,
          ...(test(plan) || !this.deps.stateCounts ? {} : { counts: movedCounts(plan.before, plan.next) }),
        })),
      )
      .catch(async (err: unknown) => {
        await Promise.all(plans.map(({ plan }) => plan.giveBack()));
        throw err;
      });
    const committed: Array<{
      at: number;
      plan: Plan;
      conversation: Conversation;
      entries: OutboxEntry[];
      marked: number;
      held: HeldStep | null;
    }> = [];
    for (const [n, { at, plan }] of plans.entries()) {
      const step = written[n];
      if (step) {
        committed.push({
          at,
          plan,
          conversation: { ...plan.next, version: plan.before.version + 1 },
          ...step,
        });
        continue;
      }
      // Changed since it was read (a reply in the same instant): decided again from a fresh read.
      results[at] = plan.giveBack().then(() => alone(plan.before.id));
    }
    const handed = this.deps.outbox
      .flushMany(
        committed.map(({ conversation, entries, marked, held }) => ({ conversation, entries, marked, held })),
      )
      .catch(() => {
        // Every try failed: the entries wait for the recovery sweep (logged by `flushMany`).
      });
    for (const { at, plan, conversation } of committed) {
      results[at] = this.afterCommit(plan, conversation, now, causeOf(event), {
        flush: () => handed,
        counted: true,
      }).then(
        () => ({ status: 'applied', conversation }) as const,
        (err: unknown) => asError(err),
      );
    }
    return Promise.all(results);
  }

  /**
   * What committing a step writes: its SMS rendered (within the number's limits for those a reply
   * causes), the timeline entries, the outbox, and what to give back should it not be written.
   */
  private async plan(
    before: Conversation,
    outcome: Outcome,
    now: number,
    extra: OutboxEntry[],
    cause: string,
    prerendered?: SetRenderedSms[],
  ): Promise<Plan> {
    let next = outcome.conversation;
    const timeline: TimelineEntry[] = outcome.timeline.map((note) => ({ at: now, ...note }));
    const outbox: OutboxEntry[] = [...extra];
    const messages: Outcome['messages'][number][] = [];
    const taken: string[] = [];
    const test = isTestId(before.id);
    // Test replies spend a limit of their own, never the real citizen's of that number.
    const limitOf = test ? `test.${next.msisdn}` : next.msisdn;
    for (const message of outcome.messages) {
      // An SMS the citizen's SMS caused goes out only within the number's daily limit.
      if (!isReplySms(message.templateId)) messages.push(message);
      else if (await this.limits.takeSms(limitOf, message.templateId, now)) {
        messages.push(message);
        taken.push(message.templateId);
      } else timeline.push({ at: now, kind: 'note', text: `${message.templateId} not sent (daily limit)` });
    }
    // A step that loses its compare-and-set sends nothing: what it took goes back.
    const giveBack = () =>
      Promise.all(taken.map((t) => this.limits.returnSms(limitOf, t, now))).catch(() => undefined);
    if (next.templateSet === null && messages.length > 0) {
      // The invitation uses the set in force the day its first SMS is sent; the conversation keeps it.
      next = { ...next, templateSet: this.templateSetFor(next.service, now) };
    }
    const setId = next.templateSet?.id;
    const rendered =
      prerendered !== undefined &&
      prerendered.length === messages.length &&
      prerendered.every((r) => r.set.id === setId)
        ? prerendered
        : this.render(next, messages, now);
    // Notices the citizen did not ask for wait for the sending window (dialogue/window.ts).
    const held = isWindowOpen(this.deps.window, this.deps.calendar, now)
      ? undefined
      : nextOpening(this.deps.window, this.deps.calendar, now);
    messages.forEach((message, i) => {
      const sms = rendered[i] as SetRenderedSms;
      const notBefore = message.unsolicited ? held : undefined;
      const smsId = `${before.version + 1}.${i}`;
      const invitation = (before.invitationSmsId ?? null) === null && i === 0;
      if (invitation) next = { ...next, invitationSmsId: smsId };
      if (message.asksConsent) {
        next = {
          ...next,
          consentTemplate: {
            id: sms.templateId,
            language: sms.language,
            sha256: sms.sha256,
            text: sms.text,
            wording: sms.wording,
            set: sms.set,
          },
          consentSmsId: smsId,
        };
      }
      timeline.push({
        at: now,
        kind: 'sms',
        smsId,
        templateId: sms.templateId,
        language: sms.language,
        sha256: sms.sha256,
        set: sms.set.id,
        text: sms.text,
        parts: sms.segmentation.parts,
        encoding: sms.segmentation.encoding,
        status: 'queued',
        ...(notBefore !== undefined ? { heldUntil: notBefore } : {}),
      });
      outbox.push({
        t: 'sms',
        smsId,
        to: next.msisdn,
        text: sms.text,
        templateId: sms.templateId,
        asksConsent: message.asksConsent,
        ...(next.campaign ? { campaign: next.campaign } : {}),
        ...(message.startsDeadline ? { startsDeadline: true } : {}),
        ...(notBefore !== undefined ? { notBefore } : {}),
        ...(message.unsolicited ? { notice: true } : {}),
        ...(invitation
          ? { invitation: { service: next.service, externalId: next.externalId, state: next.state } }
          : {}),
      });
    });
    if (outcome.unsent !== undefined) {
      // Left behind before the SMSC took it: shown as never sent, and kept from the sender.
      timeline.push({
        at: now,
        kind: 'sms-status',
        smsId: outcome.unsent,
        status: 'not-sent',
        reason: 'the citizen answered the SMS before it',
      });
      outbox.push({ t: 'unsend', smsId: outcome.unsent });
    }
    next = withDeadlineSms(next, messages, before.version + 1);
    const stage = deadlineStageOf(next, before.version + 1);
    if (stage) {
      const at = outbox.findIndex((e) => e.t === 'sms' && e.smsId === next.deadlineSms);
      const sms = outbox[at];
      if (sms?.t === 'sms') outbox[at] = { ...sms, deadlineStage: stage };
    }
    if (next.state !== before.state && isOutcome(next.state)) {
      outbox.push({ t: 'outcome', job: outcomeOf(next, next.state, now, this.deps.zone) });
    }
    // A test consent is an outcome only: no decision system acts on it (docs/integration.md, "Test keys").
    if (outcome.consent && !test) outbox.push({ t: 'assignment' });
    // A stage waiting for its SMS is looked at again until its deadline starts (PENDING_CHECK_MS).
    const pending = (c: Conversation) => c.deadlineOnSent ?? null;
    if (next.deadline !== before.deadline || pending(next) !== pending(before))
      outbox.push({
        t: 'deadline',
        at: next.deadline ?? (pending(next) !== null && isOpen(next) ? now + PENDING_CHECK_MS : null),
      });
    if (before.state === 'waiting' && next.state !== 'waiting') outbox.push({ t: 'wait', at: null });
    // The deadline the SMSC's acceptance starts goes to the index after the commit, not through
    // the outbox: until then the index holds the stage's pending check (at most PENDING_CHECK_MS
    // after this step), whose sweep finds the deadline started and indexes it should this write
    // be lost (sweeper.ts `settle`). A deadline sooner than that check keeps the outbox.
    const started = cause === 'sent' && next.deadline !== null && next.deadline >= now + PENDING_CHECK_MS;
    const indexed = started ? outbox.filter((e) => e.t !== 'deadline') : outbox;
    const final = !isOpen(next) && next.state !== 'consented';
    return {
      before,
      next,
      timeline,
      outbox: indexed,
      final,
      started,
      sms: messages.length,
      consent: outcome.consent === true,
      giveBack,
    };
  }

  /**
   * After a step is written: its log line, counts, campaign, worklists and the outbox's hand-over
   * (`flush`; `counted`: the commit moved the state counts already), then the number's turn.
   */
  private async afterCommit(
    plan: Plan,
    committed: Conversation,
    now: number,
    cause: string,
    how: { readonly flush: () => Promise<void>; readonly counted: boolean },
  ): Promise<void> {
    const { before, timeline, final } = plan;
    const test = isTestId(before.id);
    this.logStep(before, committed, cause, plan.sms);
    // The counts, lists and the outbox's hand-over are independent of each other: one round trip.
    const after: Array<Promise<unknown>> = [];
    const { stateCounts, worklists } = this.deps;
    const from = before.version < 0 ? null : before.state;
    if (from === null || before.state !== committed.state) {
      if (!test && stateCounts && !how.counted)
        after.push(stateCounts.move(committed.service, from, committed.state).catch(() => undefined));
      if (committed.campaign)
        after.push(
          this.deps.campaigns
            .moveState(committed.campaign, { id: committed.id, from, to: committed.state, ended: final }, now)
            .catch(() => undefined),
        );
    }
    // The call centre's worklists are for citizens, not for an integrator's tests.
    if (!test && worklists) after.push(worklists.committed(before, committed, timeline, now));
    if (plan.consent && committed.campaign) {
      after.push(this.deps.campaigns.increment(committed.campaign, 'consented', now).catch(() => undefined));
    }
    if (plan.started)
      after.push(
        this.deps.store.setDeadline(committed.id, committed.deadline).catch((err: unknown) => {
          // The pending check finds the deadline started and indexes it.
          this.deps.log.warn(
            { err, conversationId: committed.id },
            'deadline not indexed; the pending check will',
          );
        }),
      );
    if (plan.outbox.length > 0) after.push(how.flush());
    await Promise.all(after);
    if (before.version >= 0 && isOpen(before) && !isOpen(committed)) {
      await this.passTurn(committed).catch((err: unknown) =>
        // The waiting request is tried again by the sweeper (TURN_RECHECK_MS).
        this.deps.log.warn({ err, conversationId: committed.id }, 'passing the turn failed; will retry'),
      );
    }
  }

  /**
   * A new conversation's first SMS, rendered and checked as an invitation is (each within the service's
   * maxParts, and so the lists of its later stages), sending nothing: `begin`, and POST /v1/previews.
   */
  renderInvitation(
    service: ServiceDefinition,
    conv: Conversation,
    messages: Outcome['messages'],
    now: number,
  ): SetRenderedSms[] {
    const rendered = this.render(conv, messages, now);
    this.checkLaterOffers(service, conv, now);
    return rendered;
  }

  /**
   * Each SMS a later stage sends with a list from the params (003: Appendix 2 after `#3#0`, Appendix 3)
   * within the service's maxParts, or a 400 naming the param. Its parts are kept by the values of the
   * template's own variables: a campaign's invitations share their list of integrated banks.
   */
  private checkLaterOffers(service: ServiceDefinition, conv: Conversation, now: number): void {
    const set = this.deps.renderer.inForce(service.id, now);
    for (const offer of laterOffers(service, conv)) {
      const declared = set?.catalogue.entries.get(offer.templateId)?.vars;
      const key =
        set && declared
          ? `${set.id}\u0000${offer.templateId}\u0000${conv.language}\u0000${JSON.stringify(declared.map((v) => offer.vars[v.name]))}`
          : undefined;
      let parts = key === undefined ? undefined : this.offerParts.get(key);
      if (parts === undefined) {
        const sms = this.deps.renderer.render(offer.templateId, conv.language, offer.vars, { at: now });
        if (sms.segmentation.parts > service.maxParts)
          throw tooManyParts(sms, service.maxParts, conv, offer.vars, `params.${offer.param}`);
        parts = sms.segmentation.parts;
        if (key !== undefined) this.offerParts.set(key, parts);
      }
    }
  }

  /** Renders a step's SMS, each checked against the service's maxParts (a 400 naming the field). */
  private render(conv: Conversation, messages: Outcome['messages'], now: number): SetRenderedSms[] {
    const { maxParts } = this.service(conv.service);
    return messages.map((message) => {
      const sms = this.deps.renderer.render(message.templateId, conv.language, message.vars, {
        set: conv.templateSet?.id,
        at: now,
      });
      if (sms.segmentation.parts > maxParts) throw tooManyParts(sms, maxParts, conv, message.vars);
      return sms;
    });
  }

  /** One line per committed step: the story of a conversation, without personal data. */
  private logStep(before: Conversation, after: Conversation, cause: string, sms: number): void {
    const line = {
      event: STEP_EVENTS[cause] ?? `conversation.${cause}`,
      conversationId: after.id,
      service: after.service,
      campaign: after.campaign ?? undefined,
      from: before.version < 0 ? undefined : before.state,
      state: after.state,
      sms,
    };
    this.deps.log.info(line, STEP_MESSAGES[cause] ?? 'conversation step');
  }

  async get(id: string): Promise<Conversation | null> {
    return this.deps.store.get(id);
  }

  /** A supervisor's resend of an undelivered SMS (resend.ts). */
  async resend(id: string, smsId: string, by: string, reason: string): Promise<ResendResult> {
    return resendSms({ ...this.deps, service: (s) => this.service(s) }, id, smsId, by, reason);
  }

  /** Events from downstream systems (POST /v1/events). */
  async upstream(
    id: string,
    name: string,
    body: { bank?: Bank; outcome?: string; reason?: string; key: string },
  ): Promise<ApplyResult> {
    const event: DialogueEvent = {
      type: 'upstream',
      name,
      key: body.key,
      ...(body.bank ? { bank: body.bank } : {}),
      ...(body.outcome ? { outcome: body.outcome } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
    };
    return this.apply(id, event);
  }
}

/** A step ready to be written (ConversationService `plan`). */
interface Plan {
  readonly before: Conversation;
  readonly next: Conversation;
  readonly timeline: TimelineEntry[];
  readonly outbox: OutboxEntry[];
  /** The conversation ended: its keys expire after RETENTION_DAYS. */
  readonly final: boolean;
  /** The deadline the SMSC's acceptance started, indexed after the commit rather than through the outbox. */
  readonly started: boolean;
  /** How many SMS the step sends. */
  readonly sms: number;
  readonly consent: boolean;
  /** Returns what the step took from the number's limits: it was not written. */
  giveBack(): Promise<unknown>;
}

/** The state counts a step moves: from null for a new conversation. */
function movedCounts(before: Conversation, next: Conversation): { from: string | null; to: string } {
  return { from: before.version < 0 ? null : before.state, to: next.state };
}

const notFound = (): ApplyResult => ({ status: 'not-found' });

/**
 * How the store starts a stage's deadline from its SMS's acceptance at `at` (store/conversations.ts
 * `startDeadline`): the conversation the engine's `sent` step would write (engine.ts
 * `deadlineStarted`), or undefined when no stage of it waits for that SMS.
 */
export function acceptanceStarter(services: ServiceRegistry, deadline: DeadlineFn): DeadlineStarter {
  return (conv, at) => {
    const service = services.get(conv.service);
    const template = service?.stages[conv.deadlineOnSent ?? '']?.send;
    if (!service || template === undefined) return undefined;
    return deadlineStarted({ service, deadline }, conv, template, at);
  };
}

/**
 * The document with the SMS its stage's deadline waits for (`deadlineSms`: the smsId this step's
 * commit at `version` gives it), or without one once no stage waits: the store starts the deadline
 * from that SMS's sent entry (store/conversations.ts).
 */
function withDeadlineSms(
  conv: Conversation,
  messages: ReadonlyArray<Outcome['messages'][number]>,
  version: number,
): Conversation {
  const starts = messages.findIndex((m) => m.startsDeadline);
  if (conv.deadlineOnSent && starts >= 0) return { ...conv, deadlineSms: `${version}.${starts}` };
  if (conv.deadlineOnSent || conv.deadlineSms === undefined) return conv;
  const { deadlineSms: _sms, ...rest } = conv;
  return rest;
}

/**
 * The stage that waits for its SMS's acceptance to start its deadline (`deadlineSms`), as the step
 * that commits the conversation at `version` leaves it: what the sender needs to start it
 * (`acceptanceDeadline`) as `deadlineStarted` would, without reading the conversation.
 */
function deadlineStageOf(conv: Conversation, version: number): DeadlineStage | undefined {
  const stage = conv.deadlineOnSent;
  if (conv.deadlineSms === undefined || !stage || stage !== conv.stage || !isOpen(conv)) return undefined;
  return { service: conv.service, stage, version };
}

/** What caused a step, as the `event` of its log line. */
function causeOf(event: DialogueEvent): string {
  return event.type === 'upstream' ? `upstream.${event.name}` : event.type;
}

const STEP_EVENTS: Readonly<Record<string, string>> = {
  invitation: 'invitation.accepted',
  reply: 'reply.decided',
  deadline: 'deadline.fired',
  waiting: 'invitation.waiting',
  release: 'invitation.released',
  sent: 'deadline.started',
};
const STEP_MESSAGES: Readonly<Record<string, string>> = {
  invitation: 'invitation accepted',
  reply: 'reply decided',
  deadline: 'deadline fired',
  waiting: 'invitation accepted, waiting to be sent',
  release: 'waiting invitation sent',
  sent: 'the SMSC accepted the SMS: the deadline counts from now',
};

/** The caller's field that made an SMS too long: the longest variable, named as the API names it. */
function tooManyParts(
  sms: RenderedSms,
  maxParts: number,
  conv: Conversation,
  vars: Readonly<Record<string, unknown>>,
  field?: string,
): GatewayError {
  const [name] = Object.entries(vars)
    .map(([key, value]) => [key, JSON.stringify(value)?.length ?? 0] as const)
    .reduce<readonly [string, number]>((a, b) => (b[1] > a[1] ? b : a), ['', -1]);
  // `banks` is the list the stage offers: the param it was taken from (003: `integratedBanks` in Appendix 3).
  const offered = name === 'banks' ? JSON.stringify(vars.banks) : undefined;
  const listParam = Object.keys(conv.params).find((k) => JSON.stringify(conv.params[k]) === offered);
  const path =
    field ??
    (name === 'bank' && !Object.hasOwn(conv.params, 'bank')
      ? `bank.name${conv.language === 'kk' ? 'Kk' : 'Ru'}`
      : `params.${listParam ?? name}`);
  const message = `the SMS ${sms.templateId} (${sms.language}) would take ${sms.segmentation.parts} parts; ${conv.service} allows at most ${maxParts}`;
  return new GatewayError('GW_VALIDATION_FAILED', message, [
    { path, message: `too long: ${message}`, parts: sms.segmentation.parts, maxParts },
  ]);
}

/** A step that only records unaccepted replies (and notes): nothing changes state or consents. */
function unacceptedOnly(outcome: Outcome): boolean {
  if (outcome.consent) return false;
  let replies = 0;
  for (const e of outcome.timeline) {
    if (e.kind === 'reply' && !e.accepted) replies++;
    else if (e.kind !== 'note') return false;
  }
  return replies > 0;
}

function withKey(outcome: Outcome, key: string): Outcome {
  const applied = [...outcome.conversation.appliedEvents.filter((k) => k !== key), key].slice(-APPLIED_KEEP);
  return { ...outcome, conversation: { ...outcome.conversation, appliedEvents: applied } };
}

/** The number index entry of a new conversation: none for a test one (real replies never find it). */
function indexOf(conv: Conversation): OutboxEntry[] {
  return isTestId(conv.id) ? [] : [{ t: 'index' }];
}
