/**
 * The dialogue engine (pure): (service, conversation, event, now) → the next
 * conversation, the SMS to send, whether a consent was given, and what the
 * agent's timeline should say. No Redis, no clock, no sockets: the store
 * commits the outcome atomically (store/conversations.ts), and a late reply
 * racing its deadline is decided here the same way whichever arrives first.
 * Longer than 300 lines: the one pure transition function of every service's dialogue, event by event.
 */
import type { CodedReply, ParsedReply } from '../parsers/reply.js';
import type { DeadlineSpec, ReplyRule, ServiceDefinition, StageDefinition } from '../services/schema.js';
import { isOpen, type Bank, type Conversation, type ReplyRecord } from './conversation.js';
import { ALMATY_ZONE, startOfLocalDay } from './time.js';

/** Computes an exclusive deadline (epoch ms) from a spec; dialogue/calendar.ts in production. */
export type DeadlineFn = (spec: DeadlineSpec, now: number) => number;

export interface OutgoingSms {
  readonly templateId: string;
  readonly vars: Readonly<Record<string, unknown>>;
  /** This SMS asks for consent: its rendered text becomes the consent record. */
  readonly asksConsent: boolean;
  /**
   * A notice the citizen did not ask for (an invitation, a repeat, an expiry, blocking or
   * assignment notice): it goes out only inside the sending window (dialogue/window.ts). Answers
   * to the citizen's own SMS go at any hour.
   */
  readonly unsolicited: boolean;
  /** The stage's deadline starts when the SMSC accepts this SMS (all its parts). */
  readonly startsDeadline: boolean;
}

export type TimelineNote =
  | {
      readonly kind: 'transition';
      readonly from: string;
      readonly to: string;
      readonly stage: string;
      readonly cause: string;
    }
  | { readonly kind: 'reply'; readonly text: string; readonly meaning: string; readonly accepted: boolean }
  | { readonly kind: 'event'; readonly name: string; readonly detail: string }
  | { readonly kind: 'note'; readonly text: string };

export interface Outcome {
  readonly conversation: Conversation;
  readonly messages: readonly OutgoingSms[];
  /** A consent was given by this step: one job goes to `assignments`. */
  readonly consent: boolean;
  readonly timeline: readonly TimelineNote[];
  /** False when the event changes nothing (a stale deadline, a repeated event): nothing to commit. */
  readonly changed: boolean;
  /** Set when an upstream event does not apply to this conversation now (HTTP 409). */
  readonly rejected?: string;
  /**
   * The smsId of an SMS committed earlier that is never to be sent: the step left its stage before
   * the SMSC accepted it (002's repeat held for the night, answered by a reply to the first request).
   */
  readonly unsent?: string;
}

export type DialogueEvent =
  | { readonly type: 'reply'; readonly parsed: ParsedReply; readonly reply: ReplyRecord }
  | { readonly type: 'deadline' }
  | {
      readonly type: 'upstream';
      readonly name: string;
      readonly key: string;
      readonly bank?: Bank;
      readonly outcome?: string;
      /** A rejection's reason code (CONTRACT.md, `params.reason`). */
      readonly reason?: string;
    }
  | {
      readonly type: 'delivery-failed';
      readonly templateId: string;
      readonly status: string;
      /** The receipt's error code, when it has one. */
      readonly err?: string;
    }
  /** The SMSC accepted every part of an SMS of this conversation at `at` (epoch ms). */
  | { readonly type: 'sent'; readonly templateId: string; readonly at: number }
  /** A waiting conversation may be sent now (its turn came, the sending window opened). */
  | { readonly type: 'release' };

/** Help SMS for replies not understood: at most this many per conversation, and one per interval. */
export const HELP_LIMIT = 3;
export const HELP_INTERVAL_MS = 10 * 60_000;

export interface EngineDeps {
  readonly service: ServiceDefinition;
  readonly deadline: DeadlineFn;
}

function stageOf(service: ServiceDefinition, id: string): StageDefinition {
  const stage = service.stages[id];
  if (!stage) throw new Error(`service ${service.id} has no stage ${id}`);
  return stage;
}

function banksParam(conv: Pick<Conversation, 'params'>, name: string): Bank[] {
  const value = conv.params[name];
  return Array.isArray(value) ? (value as Bank[]) : [];
}

/** The first stage for an invitation (003 item 9: one bank → Appendix 1, several → 2, none → 3). */
export function firstStage(service: ServiceDefinition, params: Readonly<Record<string, unknown>>): string {
  const start = service.start;
  if (typeof start === 'string') return start;
  const n = banksParam({ params }, start.byCount).length;
  return n === 0 ? start.none : n === 1 ? start.one : start.many;
}

/** Template variables: the params, with `banks` = the offered list and `bank` = the chosen or only one. */
function varsFor(conv: Conversation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const bank = conv.bank ?? conv.offered[0];
  return { ...conv.params, banks: conv.offered, ...(bank ? { bank } : {}), ...extra };
}

interface Draft {
  conv: Conversation;
  messages: OutgoingSms[];
  timeline: TimelineNote[];
  consent: boolean;
  /** The step answers the citizen's own SMS: what it sends goes at any hour. */
  solicited?: boolean;
  /** An SMS committed earlier that is never to be sent (Outcome `unsent`). */
  unsent?: string;
}

/** The deadline of a stage entered at `now`: counted now, from a param's day, or once its SMS is accepted. */
function deadlineOf(
  deps: EngineDeps,
  conv: Conversation,
  stageId: string,
  stage: StageDefinition,
  now: number,
): Pick<Conversation, 'deadline' | 'deadlineFrom' | 'deadlineOnSent'> {
  const spec = stage.deadline;
  if (!spec) return { deadline: null, deadlineFrom: null, deadlineOnSent: null };
  if (spec.from !== undefined) {
    const day = conv.params[spec.from];
    if (typeof day !== 'string') throw new Error(`${deps.service.id}: param ${spec.from} is not a date`);
    const from = startOfLocalDay(ALMATY_ZONE, day).getTime();
    return { deadline: deps.deadline(spec, from), deadlineFrom: from, deadlineOnSent: null };
  }
  if (stage.send) return { deadline: null, deadlineFrom: null, deadlineOnSent: stageId };
  return { deadline: deps.deadline(spec, now), deadlineFrom: now, deadlineOnSent: null };
}

function enter(
  deps: EngineDeps,
  draft: Draft,
  stageId: string,
  now: number,
  cause: string,
  eventBank?: Bank,
): void {
  const stage = stageOf(deps.service, stageId);
  const from = draft.conv.state;
  let offered = draft.conv.offered;
  if (stage.offer === 'event') offered = eventBank ? [eventBank] : offered;
  else if (stage.offer) offered = banksParam(draft.conv, stage.offer);
  draft.conv = {
    ...draft.conv,
    stage: stageId,
    state: stage.state,
    offered,
    ...deadlineOf(deps, draft.conv, stageId, stage, now),
    updatedAt: now,
  };
  draft.timeline.push({ kind: 'transition', from, to: stage.state, stage: stageId, cause });
  if (stage.send) {
    draft.messages.push({
      templateId: stage.send,
      vars: varsFor(draft.conv),
      asksConsent: stage.asksConsent,
      unsolicited: draft.solicited !== true,
      startsDeadline: draft.conv.deadlineOnSent === stageId,
    });
  }
}

function finish(draft: Draft, changed = true): Outcome {
  return {
    conversation: draft.conv,
    messages: draft.messages,
    consent: draft.consent,
    timeline: draft.timeline,
    changed,
    ...(draft.unsent !== undefined ? { unsent: draft.unsent } : {}),
  };
}

/** An SMS a later stage sends with a list taken from the invitation's params (the stage's `offer`). */
export interface OfferSms {
  /** The param the list comes from (`integratedBanks`). */
  readonly param: string;
  readonly templateId: string;
  readonly vars: Record<string, unknown>;
}

/**
 * The SMS the stages after the first may send with a list from the params (003: Appendix 2 after
 * `#3#0` and Appendix 3 list `integratedBanks`), so the invitation can be checked against them before
 * anything is sent: a list too long is then the caller's 400, not a reply that fails with no answer.
 */
export function laterOffers(service: ServiceDefinition, conv: Conversation): OfferSms[] {
  return laterOfferStages(service, firstStage(service, conv.params)).map(({ param, templateId }) => ({
    param,
    templateId,
    vars: varsFor({ ...conv, offered: banksParam(conv, param) }),
  }));
}

type OfferStage = Omit<OfferSms, 'vars'>;
/** Per service and first stage, the later stages' offers: the walk is the same for every invitation. */
const offerStages = new WeakMap<ServiceDefinition, Map<string, readonly OfferStage[]>>();

/** The stages reachable from `first` that send a list from the params, in the order they are reached. */
function laterOfferStages(service: ServiceDefinition, first: string): readonly OfferStage[] {
  let byFirst = offerStages.get(service);
  if (!byFirst) offerStages.set(service, (byFirst = new Map<string, readonly OfferStage[]>()));
  const known = byFirst.get(first);
  if (known) return known;
  const seen = new Set([first]);
  const queue = [first];
  const out: OfferStage[] = [];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const stage = stageOf(service, id);
    const next = [
      ...stage.replies.map((r) => r.goto),
      ...Object.values(stage.events).map((e) => e.goto),
      ...(stage.onDeadline ? [stage.onDeadline.goto] : []),
    ];
    for (const to of next.filter((s) => !seen.has(s))) {
      seen.add(to);
      queue.push(to);
      const later = stageOf(service, to);
      if (!later.send || !later.offer || later.offer === 'event') continue;
      out.push({ param: later.offer, templateId: later.send });
    }
  }
  byFirst.set(first, out);
  return out;
}

/**
 * A new conversation's first step: enter the first stage and send its SMS. Its first transition is
 * from `new`, as a held one's (`wait`), or from `waiting` when a held one goes out.
 */
export function start(deps: EngineDeps, conv: Conversation, now: number): Outcome {
  const draft: Draft = { conv, messages: [], timeline: [], consent: false };
  enter(deps, draft, firstStage(deps.service, conv.params), now, 'invitation');
  const [first, ...rest] = draft.timeline;
  if (conv.state !== 'waiting' && first?.kind === 'transition')
    draft.timeline = [{ ...first, from: 'new' }, ...rest];
  return finish(draft);
}

/** Why an invitation is not sent yet (CONTRACT.md, state `waiting`). */
export type WaitReason = 'window' | 'turn' | 'replies';

/** Why a new conversation waits, as its first transition's cause (the console translates it). */
export const WAIT_CAUSE: Readonly<Record<WaitReason, string>> = {
  window: 'invitation held: outside the sending window',
  turn: 'invitation held: another request of this number asks for a reply without a code',
  replies:
    'invitation held: the number replied less than 16 minutes ago (an SMSC may still resend that reply)',
};

/** A new conversation that is not sent yet: `waiting`, no SMS, no deadline running. */
export function wait(conv: Conversation, now: number, reason: WaitReason): Outcome {
  const draft: Draft = { conv, messages: [], timeline: [], consent: false };
  draft.conv = { ...conv, state: 'waiting', stage: 'waiting', deadline: null, updatedAt: now };
  draft.timeline.push({
    kind: 'transition',
    from: 'new',
    to: 'waiting',
    stage: 'waiting',
    cause: WAIT_CAUSE[reason],
  });
  return finish(draft);
}

/** The service code this conversation's replies start with (`123` in `123#3#1`), or null (002: `3#1`). */
export function serviceCodeOf(service: ServiceDefinition, conv: Pick<Conversation, 'params'>): string | null {
  const param = service.reply.codeParam;
  if (!param) return null;
  const value = conv.params[param];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/**
 * The replies valid now, as the citizen should type them (for the "not understood" SMS): one per bank of
 * the list, however long (a list has at most MAX_BANKS).
 */
export function validReplies(service: ServiceDefinition, conv: Conversation): string[] {
  if (!isOpen(conv)) return [];
  const stage = stageOf(service, conv.stage);
  const code = serviceCodeOf(service, conv);
  const prefix = code !== null ? `${code}#${service.reply.question}#` : `${service.reply.question}#`;
  return stage.replies.flatMap((rule) =>
    rule.choice === 'required'
      ? conv.offered.map((_, i) => `${prefix}${rule.answer}${i + 1}`)
      : [`${prefix}${rule.answer}`],
  );
}

/** An answer to the citizen's own SMS: no consent asked, sent at any hour, starts no deadline. */
const ANSWER = { asksConsent: false, unsolicited: false, startsDeadline: false } as const;

function help(deps: EngineDeps, draft: Draft, text: string, meaning: string, now: number): Outcome {
  draft.timeline.push({ kind: 'reply', text, meaning, accepted: false });
  const { conv } = draft;
  const replies = validReplies(deps.service, conv);
  const tooSoon = conv.lastHelpAt !== null && now - conv.lastHelpAt < HELP_INTERVAL_MS;
  if (conv.helpSent >= HELP_LIMIT || tooSoon) {
    draft.timeline.push({ kind: 'note', text: 'help SMS not sent (rate limit)' });
    return finish(draft);
  }
  draft.conv = { ...conv, helpSent: conv.helpSent + 1, lastHelpAt: now, updatedAt: now };
  draft.messages.push(
    replies.length > 0
      ? { templateId: 'gateway.not-understood', vars: { replies }, ...ANSWER }
      : { templateId: 'gateway.no-reply-needed', vars: {}, ...ANSWER },
  );
  return finish(draft);
}

/** Why a coded reply does not fit the stage, or the rule it matches. */
function matchRule(deps: EngineDeps, conv: Conversation, parsed: CodedReply): ReplyRule | string {
  const { service } = deps;
  if (parsed.question !== service.reply.question) return `unknown question ${parsed.question}`;
  if (parsed.serviceCode !== null && parsed.serviceCode !== serviceCodeOf(service, conv))
    return `service code ${parsed.serviceCode} is not this conversation's`;
  const rule = stageOf(service, conv.stage).replies.find((r) => r.answer === parsed.answer);
  if (!rule) return `answer ${parsed.answer} is not offered now`;
  if (rule.choice === 'none' && parsed.choice !== null) return `no number is expected after ${parsed.answer}`;
  if (rule.choice === 'required') {
    if (parsed.choice === null) return 'the bank number is missing';
    if (parsed.choice > conv.offered.length)
      return `bank no. ${parsed.choice} is not in the list of ${conv.offered.length}`;
  }
  return rule;
}

/**
 * A reply the SMSC delivered before the deadline that ended the conversation, processed after the
 * sweep (a backlog in the inbound queue): the citizen answered in time, so the answer counts
 * (003, item 11: "no answer within three working days" did not happen). Only an answer that fits
 * the stage it was given for reopens it; anything else is treated as after the end.
 */
function reopenIfAnsweredInTime(
  deps: EngineDeps,
  draft: Draft,
  event: Extract<DialogueEvent, { type: 'reply' }>,
  now: number,
): void {
  const { conv } = draft;
  const lapsed = conv.lapsed;
  if (isOpen(conv) || !lapsed || event.reply.receivedAt >= lapsed.deadline) return;
  if (event.parsed.kind !== 'coded') return;
  const stage = deps.service.stages[lapsed.stage];
  if (!stage) return;
  const reopened: Conversation = {
    ...conv,
    stage: lapsed.stage,
    state: stage.state,
    deadline: lapsed.deadline,
    lapsed: null,
    updatedAt: now,
  };
  if (typeof matchRule(deps, reopened, event.parsed) === 'string') return;
  draft.conv = reopened;
  draft.timeline.push({
    kind: 'transition',
    from: conv.state,
    to: stage.state,
    stage: lapsed.stage,
    cause: 'reply delivered before the deadline',
  });
}

function onReply(
  deps: EngineDeps,
  conv: Conversation,
  event: Extract<DialogueEvent, { type: 'reply' }>,
  now: number,
): Outcome {
  const draft: Draft = { conv, messages: [], timeline: [], consent: false, solicited: true };
  const { reply, parsed } = event;
  reopenIfAnsweredInTime(deps, draft, event, now);
  // A reply at or after the deadline is late even if the sweeper has not fired yet: apply the
  // deadline first, so a reply and its deadline give the same result in either order. What the
  // deadline sends stays a notice the citizen did not ask for (CONTRACT.md, SEND_WINDOW: expiry,
  // repeats), held outside the window like the sweeper's; the answer to the reply goes at once.
  let lapsed: readonly OutgoingSms[] = [];
  if (isOpen(draft.conv) && draft.conv.deadline !== null && reply.receivedAt >= draft.conv.deadline) {
    const expired = onDeadline(deps, draft.conv, Math.max(now, draft.conv.deadline));
    draft.conv = expired.conversation;
    lapsed = expired.messages;
    draft.timeline.push(...expired.timeline);
  }
  if (!isOpen(draft.conv)) {
    draft.messages.push(...lapsed);
    draft.timeline.push({
      kind: 'reply',
      text: reply.text,
      meaning: `after the end (${draft.conv.state})`,
      accepted: false,
    });
    if (draft.conv.state === 'expired' || draft.conv.state === 'closed') {
      // A service that never asks for a reply (004, items 9-10: the portal's notices) has no reply
      // deadline to have missed: the citizen is told no reply is needed instead.
      const asksReplies = Object.values(deps.service.stages).some((s) => s.replies.length > 0);
      draft.messages.push({
        templateId: asksReplies ? 'gateway.after-deadline' : 'gateway.no-reply-needed',
        vars: {},
        ...ANSWER,
      });
    } else if (draft.conv.state !== 'waiting') {
      // Answered, decided or undeliverable: nothing of this request waits for the citizen, and no
      // reply ends in silence (CONTRACT.md, "Replies that match no open conversation": the "no
      // open request, call 1414" SMS, at most once a day by the reply limits).
      draft.messages.push({ templateId: 'gateway.no-open-request', vars: {}, ...ANSWER });
    }
    return finish(draft);
  }
  if (parsed.kind === 'not-coded') {
    draft.messages.push(...lapsed);
    return help(deps, draft, reply.text, `not understood: ${parsed.reason}`, now);
  }
  const rule = matchRule(deps, draft.conv, parsed);
  if (typeof rule === 'string') {
    draft.messages.push(...lapsed);
    return help(deps, draft, reply.text, `not understood: ${rule}`, now);
  }
  // The stage the deadline opened (002's repeat) asks the question this reply answers, but its SMS
  // has not gone (held for the night, or opened by this very reply): the citizen answered the SMS
  // before it, and the reply reads as an answer to that one.
  const answered = answeredStage(deps.service, draft.conv);
  const answeredRule = answered
    ? deps.service.stages[answered]?.replies.find((r) => r.answer === rule.answer)
    : undefined;
  const offered = draft.conv.offered;
  const bank =
    rule.bank === 'chosen'
      ? offered[(parsed.choice ?? 0) - 1]
      : rule.bank === 'only'
        ? offered[0]
        : undefined;
  const meaning = (answeredRule ?? rule).meaning.replace('{choice}', String(parsed.choice ?? ''));
  draft.timeline.push({ kind: 'reply', text: reply.text, meaning, accepted: true });
  if (rule.consent) {
    draft.conv = { ...draft.conv, bank: bank ?? null, consentedAt: reply.receivedAt, consentReply: reply };
    draft.consent = true;
  }
  const left = draft.conv.stage;
  if (answered && rule.goto !== left) {
    draft.timeline.push({ kind: 'note', text: `${left} SMS not sent: the reply answered the SMS before it` });
    // Committed by an earlier step (the sweeper's), held or queued: it must not go out now.
    if (conv.stage === left && conv.deadlineOnSent === left && conv.deadlineSms !== undefined)
      draft.unsent = conv.deadlineSms;
  }
  enter(deps, draft, rule.goto, now, `reply ${parsed.normalized}`);
  return finish(draft);
}

/**
 * The stage whose SMS the citizen last saw, when the conversation is in the stage its deadline
 * opened and that stage's SMS is not accepted yet (002: the repeat, held outside the sending
 * window); null otherwise.
 */
function answeredStage(service: ServiceDefinition, conv: Conversation): string | null {
  const lapsed = conv.lapsed?.stage;
  if (!lapsed || conv.deadlineOnSent !== conv.stage) return null;
  return service.stages[lapsed]?.onDeadline?.goto === conv.stage ? lapsed : null;
}

function onDeadline(deps: EngineDeps, conv: Conversation, now: number): Outcome {
  const draft: Draft = { conv, messages: [], timeline: [], consent: false };
  if (!isOpen(conv) || conv.deadline === null || now < conv.deadline) return finish(draft, false);
  const next = stageOf(deps.service, conv.stage).onDeadline;
  if (!next) return finish(draft, false);
  draft.conv = { ...conv, lapsed: { stage: conv.stage, deadline: conv.deadline } };
  enter(deps, draft, next.goto, now, 'deadline passed');
  return finish(draft);
}

function onUpstream(
  deps: EngineDeps,
  conv: Conversation,
  event: Extract<DialogueEvent, { type: 'upstream' }>,
  now: number,
): Outcome {
  const draft: Draft = { conv, messages: [], timeline: [], consent: false };
  if (conv.appliedEvents.includes(event.key)) return finish(draft, false);
  if (conv.state === 'waiting')
    return {
      ...finish(draft, false),
      rejected: `event ${event.name}: the invitation is not sent yet (waiting)`,
    };
  const events = stageOf(deps.service, conv.stage).events;
  const rule =
    (event.outcome !== undefined ? events[`${event.name}:${event.outcome}`] : undefined) ??
    events[event.name];
  if (!rule) {
    return {
      ...finish(draft, false),
      rejected: `event ${event.name} does not apply in state ${conv.state} (stage ${conv.stage})`,
    };
  }
  if (rule.offerEventBank && !event.bank)
    return { ...finish(draft, false), rejected: `event ${event.name} needs a bank` };
  draft.conv = {
    ...conv,
    appliedEvents: [...conv.appliedEvents, event.key],
    ...(event.outcome !== undefined
      ? { decision: { outcome: event.outcome, reason: event.reason ?? null, at: now } }
      : {}),
  };
  const detail = event.outcome
    ? `${event.outcome}${event.reason ? ` (${event.reason})` : ''}`
    : (event.bank?.code ?? '');
  draft.timeline.push({ kind: 'event', name: event.name, detail });
  enter(deps, draft, rule.goto, now, `event ${event.name}`, rule.offerEventBank ? event.bank : undefined);
  return finish(draft);
}

/** The carrier reports the invitation undelivered: the conversation cannot go on (CONTRACT.md). */
function onDeliveryFailed(
  conv: Conversation,
  event: Extract<DialogueEvent, { type: 'delivery-failed' }>,
  now: number,
): Outcome {
  const draft: Draft = { conv, messages: [], timeline: [], consent: false };
  if (!isOpen(conv) || conv.consentTemplate?.id !== event.templateId) return finish(draft, false);
  draft.conv = {
    ...conv,
    state: 'undeliverable',
    stage: 'undeliverable',
    deadline: null,
    deadlineOnSent: null,
    updatedAt: now,
    delivery: { stat: event.status, ...(event.err !== undefined ? { err: event.err } : {}) },
  };
  draft.timeline.push({
    kind: 'transition',
    from: conv.state,
    to: 'undeliverable',
    stage: 'undeliverable',
    cause: `carrier: ${event.status}`,
  });
  return finish(draft);
}

/**
 * The conversation once the SMSC accepted, at `at`, every part of an SMS of `templateId`: the
 * stage waiting for that acceptance (`deadlineOnSent`) has its deadline counted from then (003
 * item 10). Undefined when no stage of the conversation waits for it.
 */
export function deadlineStarted(
  deps: EngineDeps,
  conv: Conversation,
  templateId: string,
  at: number,
): Conversation | undefined {
  const stageId = conv.deadlineOnSent;
  if (!isOpen(conv) || !stageId || stageId !== conv.stage) return undefined;
  const stage = stageOf(deps.service, stageId);
  if (!stage.deadline || stage.send !== templateId) return undefined;
  // The SMS it waited for (`deadlineSms`) is no longer needed.
  const { deadlineSms: _sms, ...rest } = conv;
  return { ...rest, deadline: deps.deadline(stage.deadline, at), deadlineFrom: at, deadlineOnSent: null };
}

/**
 * The SMSC accepted an SMS: where the stage waits for its SMS, the stage's deadline counts from
 * this moment (003 item 10: three working days "с момента отправки SMS-сообщения").
 */
function onSent(
  deps: EngineDeps,
  conv: Conversation,
  event: Extract<DialogueEvent, { type: 'sent' }>,
): Outcome {
  const started = deadlineStarted(deps, conv, event.templateId, event.at);
  if (!started) return finish({ conv, messages: [], timeline: [], consent: false }, false);
  return finish({ conv: started, messages: [], timeline: [], consent: false });
}

/** A waiting conversation goes out: its first stage and SMS, as a new invitation would. */
function onRelease(deps: EngineDeps, conv: Conversation, now: number): Outcome {
  if (conv.state !== 'waiting') return finish({ conv, messages: [], timeline: [], consent: false }, false);
  return start(deps, conv, now);
}

/** One step of the dialogue. */
export function step(deps: EngineDeps, conv: Conversation, event: DialogueEvent, now: number): Outcome {
  switch (event.type) {
    case 'reply':
      return onReply(deps, conv, event, now);
    case 'deadline':
      return onDeadline(deps, conv, now);
    case 'upstream':
      return onUpstream(deps, conv, event, now);
    case 'delivery-failed':
      return onDeliveryFailed(conv, event, now);
    case 'sent':
      return onSent(deps, conv, event);
    case 'release':
      return onRelease(deps, conv, now);
  }
}
