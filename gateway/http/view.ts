/**
 * What the API shows of a conversation (pure): times on the Almaty clock,
 * MSISDN and names masked unless a supervisor unmasked with a reason,
 * delivery statuses folded into their SMS, and a
 * plain-language line on what the citizen should do now.
 */
import { maskText } from '../../common/mask-text.js';
import { maskMsisdn } from '../../common/msisdn.js';
import { isOpen, type Conversation, type Language } from '../../dialogue/conversation.js';
import { validReplies } from '../../dialogue/engine.js';
import { almatyIso } from '../../dialogue/time.js';

export { almatyIso };
import { ofKind, type SmsEntry, type TimelineEntry } from '../../store/timeline-entry.js';
import { lookupTerm } from '../../templates/catalogue.js';
import type { TemplateSets } from '../../templates/sets.js';
import { entryWords, script, stageText, type ViewContext } from './agent-words.js';

export type { ViewContext } from './agent-words.js';

/** The act a set names, as the console shows it: number, date, appendix; null for the gateway's own. */
function actView(sets: TemplateSets | undefined, id: string) {
  const set = sets?.get(id);
  if (!set) return { id, known: false as const };
  const act = set.act && { number: set.act.number, date: set.act.date, appendix: set.act.appendix };
  return { id, known: true as const, act, inForce: { from: set.from, until: set.until } };
}

/**
 * Which set and version an SMS followed: the conversation's own set is cited with the version it
 * recorded when it started; another (the gateway's own messages) with the version loaded now.
 */
function smsSetView(conv: Conversation, entry: SmsEntry, ctx: ViewContext) {
  const view = actView(ctx.sets, entry.set);
  const set = ctx.sets?.get(entry.set);
  const own = conv.templateSet?.id === entry.set ? conv.templateSet.sha256 : undefined;
  const sha256 = own ?? set?.sha256 ?? null;
  const files = set?.catalogue.entries.get(entry.templateId)?.files;
  const wording = files ? files[entry.language].header.text : null;
  return { ...view, sha256, changed: set !== undefined && sha256 !== set.sha256, wording };
}

const LANGS: readonly Language[] = ['kk', 'ru'];

/** Params holding a person's name (fullName, parentFullName, childFullName): masked for agents. */
/** The banks' names an SMS of the conversation offered: a citizen may type them back, and they are no one's name. */
function bankNames(conv: Conversation): string[] {
  return Object.values(conv.params)
    .filter(Array.isArray)
    .flatMap((list: unknown[]) => list)
    .flatMap((bank) =>
      typeof bank === 'object' && bank !== null
        ? [(bank as Record<string, unknown>).nameKk, (bank as Record<string, unknown>).nameRu]
        : [],
    )
    .filter((name): name is string => typeof name === 'string');
}

function nameParams(conv: Conversation): string[] {
  return Object.entries(conv.params)
    .filter(([k, v]) => /fullname$/i.test(k) && typeof v === 'string' && v.trim() !== '')
    .map(([, v]) => (v as string).trim());
}

function term(ctx: ViewContext, lang: Language, key: string, vars: Record<string, string> = {}): string {
  const raw = lookupTerm(ctx.locales[lang], key) ?? key;
  return raw.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');
}

/** "Waiting for the reply 123#3#1 until 27 November 23:59", per language. */
export function nextStep(conv: Conversation, ctx: ViewContext): Record<Language, string> {
  const replies = validReplies(ctx.service, conv);
  const line = (lang: Language): string => {
    if (!isOpen(conv) || conv.deadline === null) return term(ctx, lang, `console.nextStep.${conv.state}`);
    const deadline = ctx.calendar.formatDeadline(new Date(conv.deadline), lang);
    if (replies.length === 0) {
      // A notice that asks for no reply (004, items 9-10) is not "answer the SMS".
      const what = conv.state === 'invited' ? 'notice' : conv.state;
      return `${term(ctx, lang, `console.nextStep.${what}`)} ${term(ctx, lang, 'console.nextStep.until', { deadline })}`;
    }
    const or = ` ${term(ctx, lang, 'console.nextStep.or')} `;
    return term(ctx, lang, 'console.nextStep.reply', { replies: replies.join(or), deadline });
  };
  return { kk: line('kk'), ru: line('ru') };
}

/** One conversation as listed (search by phone number). */
export function summaryView(conv: Conversation, ctx: ViewContext) {
  const zone = ctx.calendar.zone;
  const deadlineText =
    conv.deadline === null
      ? null
      : Object.fromEntries(
          LANGS.map((l) => [l, ctx.calendar.formatDeadline(new Date(conv.deadline ?? 0), l)]),
        );
  return {
    id: conv.id,
    service: conv.service,
    state: conv.state,
    stage: conv.stage,
    deadline: conv.deadline === null ? null : almatyIso(zone, conv.deadline),
    deadlineFrom: conv.deadlineFrom == null ? null : almatyIso(zone, conv.deadlineFrom),
    deadlineText: deadlineText as Record<Language, string> | null,
    msisdn: ctx.masked ? maskMsisdn(conv.msisdn) : conv.msisdn,
    language: conv.language,
    masked: ctx.masked,
    createdAt: almatyIso(zone, conv.createdAt),
    updatedAt: almatyIso(zone, conv.updatedAt),
    campaign: conv.campaign,
    nextStep: nextStep(conv, ctx),
    stageText: stageText(conv.service, conv.stage, conv.state, ctx),
    script: script(conv, ctx),
  };
}

/** The latest delivery status of each SMS: `failed` sticks (one part lost is the SMS lost). */
function deliveryStatuses(timeline: readonly TimelineEntry[]): Map<string, { status: string; at: number }> {
  const out = new Map<string, { status: string; at: number }>();
  for (const e of timeline) {
    if (e.kind !== 'sms-status') continue;
    if (out.get(e.smsId)?.status === 'failed') continue;
    out.set(e.smsId, { status: e.status, at: e.at });
  }
  return out;
}

/**
 * The timeline as shown: Almaty times, texts as common/mask-text.ts shows them (names and numbers that may
 * be a phone number or an IIN masked, controls marked), each SMS with its latest status.
 */
export function timelineView(conv: Conversation, timeline: readonly TimelineEntry[], ctx: ViewContext) {
  const zone = ctx.calendar.zone;
  const names = nameParams(conv);
  const typed = { keep: bankNames(conv) };
  const statuses = deliveryStatuses(timeline);
  return timeline.map((entry) => {
    const out: Record<string, unknown> = {
      ...entry,
      at: almatyIso(zone, entry.at),
      ...entryWords(conv, entry, ctx),
    };
    // Controls are marked for everyone; names and long numbers are masked unless unmasked, and in what the
    // citizen typed also other names and shorter numbers.
    if ('text' in entry)
      out.text = maskText(entry.text, names, ctx.masked, entry.kind === 'reply' ? typed : undefined);
    // How a reply was read may repeat what was typed ("service code 900101300123 is not this conversation's").
    if (entry.kind === 'reply') out.meaning = maskText(entry.meaning, names, ctx.masked);
    if (entry.kind === 'sms') {
      const latest = statuses.get(entry.smsId);
      if (latest) Object.assign(out, { status: latest.status, statusAt: almatyIso(zone, latest.at) });
      out.templateSet = smsSetView(conv, entry, ctx);
    }
    return out as { at: string; kind: string } & Record<string, unknown>;
  });
}

/**
 * What to tell the citizen when the carrier never confirmed the invitation's delivery (no final
 * receipt within RECEIPT_TIMEOUT_HOURS: gateway/core/delivery-unknown.ts); null otherwise.
 */
export function deliveryNote(
  conv: Conversation,
  timeline: readonly TimelineEntry[],
  ctx: ViewContext,
): Record<Language, string> | null {
  if (!isOpen(conv) || !conv.consentTemplate) return null;
  const consent = conv.consentTemplate.id;
  const invitation = timeline.filter(ofKind('sms')).findLast((e) => e.templateId === consent);
  if (!invitation) return null;
  if (deliveryStatuses(timeline).get(invitation.smsId)?.status !== 'unknown') return null;
  return { kk: term(ctx, 'kk', 'console.delivery.unknown'), ru: term(ctx, 'ru', 'console.delivery.unknown') };
}

/** One conversation with its timeline (GET /v1/conversations/:id). */
export function conversationView(conv: Conversation, timeline: readonly TimelineEntry[], ctx: ViewContext) {
  return {
    ...summaryView(conv, ctx),
    delivery: deliveryNote(conv, timeline, ctx),
    externalId: conv.externalId,
    templateSet: conv.templateSet && {
      ...actView(ctx.sets, conv.templateSet.id),
      sha256: conv.templateSet.sha256,
    },
    timeline: timelineView(conv, timeline, ctx),
  };
}
