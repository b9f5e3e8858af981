/**
 * What the API shows of a conversation (pure): times on the Almaty clock,
 * MSISDN and names masked unless a supervisor unmasked with a reason
 * (issue 7, point 2), delivery statuses folded into their SMS, and a
 * plain-language line on what the citizen should do now (point 3).
 */
import { maskMsisdn, maskName } from '../../common/msisdn.js';
import type { WorkingCalendar } from '../../dialogue/calendar.js';
import { isOpen, type Conversation, type Language } from '../../dialogue/conversation.js';
import { validReplies } from '../../dialogue/engine.js';
import { toLocal, type ZoneTable } from '../../dialogue/time.js';
import type { ServiceDefinition } from '../../services/schema.js';
import type { TimelineEntry } from '../../store/conversations.js';
import { lookupTerm, type LocaleResource } from '../../templates/catalogue.js';

export interface ViewContext {
  readonly service: ServiceDefinition;
  readonly calendar: WorkingCalendar;
  readonly locales: Readonly<Record<Language, LocaleResource>>;
  /** Mask MSISDN and names (agents; supervisors unless they unmask with a reason). */
  readonly masked: boolean;
}

const LANGS: readonly Language[] = ['kk', 'ru'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2026-11-24T11:00:00+05:00`: ISO 8601 on the Almaty wall clock with its offset. */
export function almatyIso(zone: ZoneTable, ms: number): string {
  const t = toLocal(zone, new Date(ms));
  const off = t.offsetMinutes;
  const sign = off >= 0 ? '+' : '-';
  const offset = `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${t.date}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${offset}`;
}

/** Params holding a person's name (fullName, parentFullName, childFullName): masked for agents. */
function nameParams(conv: Conversation): string[] {
  return Object.entries(conv.params)
    .filter(([k, v]) => /fullname$/i.test(k) && typeof v === 'string' && v.trim() !== '')
    .map(([, v]) => (v as string).trim());
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces the names in `text` with their masked forms: the whole name, then
 * each word of it where a word starts (a Kazakh suffix after it stays: "Айгүлге" → "А***ге").
 */
export function maskNames(text: string, names: readonly string[]): string {
  let out = text;
  for (const name of names) out = out.split(name).join(maskName(name));
  const words = names.flatMap((n) => n.split(/\s+/)).filter((w) => Array.from(w).length >= 2);
  for (const word of words) {
    out = out.replace(new RegExp(`(?<!\\p{L})${escape(word)}`, 'gu'), maskName(word));
  }
  return out;
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
      return `${term(ctx, lang, `console.nextStep.${conv.state}`)} ${term(ctx, lang, 'console.nextStep.until', { deadline })}`;
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
  };
}

/** The latest delivery status of each SMS: `failed` sticks (one part lost is the SMS lost). */
function deliveryStatuses(timeline: readonly TimelineEntry[]): Map<string, { status: string; at: number }> {
  const out = new Map<string, { status: string; at: number }>();
  for (const e of timeline) {
    if (e.kind !== 'sms-status' || typeof e.smsId !== 'string' || typeof e.status !== 'string') continue;
    if (out.get(e.smsId)?.status === 'failed') continue;
    out.set(e.smsId, { status: e.status, at: e.at });
  }
  return out;
}

/** The timeline as shown: Almaty times, names masked in texts, each SMS with its latest status. */
export function timelineView(conv: Conversation, timeline: readonly TimelineEntry[], ctx: ViewContext) {
  const zone = ctx.calendar.zone;
  const names = ctx.masked ? nameParams(conv) : [];
  const statuses = deliveryStatuses(timeline);
  return timeline.map((entry) => {
    const out: Record<string, unknown> = { ...entry, at: almatyIso(zone, entry.at) };
    if (typeof entry.text === 'string' && names.length > 0) out.text = maskNames(entry.text, names);
    if (entry.kind === 'sms' && typeof entry.smsId === 'string') {
      const latest = statuses.get(entry.smsId);
      if (latest) Object.assign(out, { status: latest.status, statusAt: almatyIso(zone, latest.at) });
    }
    return out as { at: string; kind: string } & Record<string, unknown>;
  });
}

/** One conversation with its timeline (GET /v1/conversations/:id). */
export function conversationView(conv: Conversation, timeline: readonly TimelineEntry[], ctx: ViewContext) {
  return {
    ...summaryView(conv, ctx),
    externalId: conv.externalId,
    timeline: timelineView(conv, timeline, ctx),
  };
}
