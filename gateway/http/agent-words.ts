/**
 * What the agent reads, in the agent's language (pure). The dialogue records
 * its facts in English for the log and the audit (reply meanings, causes,
 * stages, events); here each becomes a phrase from the `console` section of
 * templates/locales (kk, ru). A fact without a phrase gets a general one,
 * never the English: the raw fields stay in the API for the "details" view.
 * Longer than 300 lines: every line the console says, in both languages, from one set of terms.
 */
import type { WorkingCalendar } from '../../dialogue/calendar.js';
import { isOpen, type Bank, type Conversation, type Language } from '../../dialogue/conversation.js';
import { serviceCodeOf, WAIT_CAUSE } from '../../dialogue/engine.js';
import { dayNumber, fromDayNumber } from '../../dialogue/time.js';
import type { ServiceDefinition } from '../../services/schema.js';
import type { ReplyEntry, TimelineEntry } from '../../store/timeline-entry.js';
import { lookupTerm, type LocaleResource } from '../../templates/catalogue.js';
import type { TemplateSets } from '../../templates/sets.js';

export interface ViewContext {
  readonly service: ServiceDefinition;
  readonly calendar: WorkingCalendar;
  readonly locales: Readonly<Record<Language, LocaleResource>>;
  /** Mask MSISDN and names (agents; supervisors unless they unmask with a reason). */
  readonly masked: boolean;
  /** Epoch ms of the answer (days left); the wall clock when left out. */
  readonly now?: number;
  /** The template sets, to name the act and version each SMS followed. */
  readonly sets?: TemplateSets;
}

export type Localized = Record<Language, string>;
type Vars = Readonly<Record<string, string | number>>;
type ReplyRule = ServiceDefinition['stages'][string]['replies'][number];

const LANGS: readonly Language[] = ['kk', 'ru'];

const fill = (raw: string, vars: Vars): string =>
  raw.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(vars[name] ?? ''));

/** The first of `keys` the catalogue has, filled; undefined when none. */
function pick(
  ctx: ViewContext,
  lang: Language,
  keys: readonly string[],
  vars: Vars = {},
): string | undefined {
  for (const key of keys) {
    const raw = lookupTerm(ctx.locales[lang], `console.${key}`);
    if (raw !== undefined) return fill(raw, vars);
  }
  return undefined;
}

/** One phrase in both languages: the first key found, else `fallback` (a key that exists). */
function say(ctx: ViewContext, keys: readonly string[], fallback: string, vars: Vars = {}): Localized {
  const one = (lang: Language) => pick(ctx, lang, [...keys, fallback], vars) ?? '';
  return { kk: one('kk'), ru: one('ru') };
}

/** Per language, vars that differ by language (a bank's name, a state's word). */
function sayEach(ctx: ViewContext, keys: readonly string[], fallback: string, vars: (l: Language) => Vars) {
  const one = (lang: Language) => pick(ctx, lang, [...keys, fallback], vars(lang)) ?? '';
  return { kk: one('kk'), ru: one('ru') };
}

/** "3 рабочих дня" with the language's plural form (CLDR rules, as i18next uses them). */
function counted(ctx: ViewContext, lang: Language, key: string, count: number): string {
  const form = new Intl.PluralRules(lang).select(count);
  return pick(ctx, lang, [`${key}_${form}`, `${key}_other`], { count }) ?? String(count);
}

const bankName = (bank: Bank | undefined | null, lang: Language): string =>
  bank ? (lang === 'kk' ? bank.nameKk : bank.nameRu) : '';

/** What a reply rule means, for an offered bank (or the one consented to). */
function ruleMeaning(ctx: ViewContext, rule: ReplyRule, bank: Bank | null, choice: number | null): Localized {
  const target = ctx.service.stages[rule.goto];
  if (rule.consent && rule.bank !== 'none') {
    if (bank)
      return sayEach(ctx, ['replies.consentBank'], 'replies.other', (l) => ({ bank: bankName(bank, l) }));
    if (choice !== null) return say(ctx, ['replies.consentChoice'], 'replies.other', { choice });
  }
  if (rule.consent)
    return say(ctx, [`replies.${ctx.service.id === 'school-meals' ? 'meals' : 'consent'}`], 'replies.other');
  if (target?.state === 'refused') return say(ctx, ['replies.refusal'], 'replies.other');
  if (target?.state === 'awaiting_account') return say(ctx, ['replies.noBank'], 'replies.other');
  if (target?.offer) return say(ctx, ['replies.otherBank'], 'replies.other');
  return say(ctx, [], 'replies.other');
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The rule whose recorded meaning this is (services/*.json `meaning`, `{choice}` filled). */
function ruleOf(
  service: ServiceDefinition,
  meaning: string,
): { rule: ReplyRule; choice: number | null } | null {
  for (const stage of Object.values(service.stages)) {
    for (const rule of stage.replies) {
      const re = new RegExp(`^${escapeRe(rule.meaning).replace('\\{choice\\}', '(\\d+)')}$`);
      const m = re.exec(meaning);
      if (m) return { rule, choice: m[1] === undefined ? null : Number(m[1]) };
    }
  }
  return null;
}

const NOT_UNDERSTOOD: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(empty|yes-word|no-word|question|unknown-question|missing-answer|contradiction|garbage)$/, '$1'],
  [/^unknown question/, 'unknown-question'],
  [/^service code .* is not/, 'wrong-code'],
  [/^answer .* is not offered/, 'not-offered'],
  [/^no number is expected/, 'extra-number'],
  [/^the bank number is missing/, 'missing-bank'],
  [/^bank no\. .* is not in the list/, 'bank-out-of-range'],
];

/** How a reply was understood, in the agent's language. */
export function replyMeaning(conv: Conversation, entry: ReplyEntry, ctx: ViewContext): Localized {
  const { meaning } = entry;
  if (entry.accepted) {
    const found = ruleOf(ctx.service, meaning);
    if (!found) return say(ctx, [], 'replies.other');
    const bank = found.rule.consent && found.rule.bank !== 'none' ? conv.bank : null;
    return ruleMeaning(ctx, found.rule, bank, found.choice);
  }
  const after = /^after the end \((\w+)\)$/.exec(meaning);
  if (after) {
    return sayEach(ctx, ['notUnderstood.after-end'], 'notUnderstood.other', (l) => ({
      state: pick(ctx, l, [`state.${after[1] ?? ''}`]) ?? '',
    }));
  }
  if (/^several requests are open/.test(meaning))
    return say(ctx, ['notUnderstood.which'], 'notUnderstood.other');
  const reason = meaning.replace(/^not understood: /, '');
  for (const [re, key] of NOT_UNDERSTOOD) {
    const m = re.exec(reason);
    if (m) return say(ctx, [`notUnderstood.${key === '$1' ? m[0] : key}`], 'notUnderstood.other');
  }
  return say(ctx, [], 'notUnderstood.other');
}

/** A stage of the service, e.g. "предложен выбор из банков… (Приложение 2)". */
export function stageText(serviceId: string, stage: string, state: string, ctx: ViewContext): Localized {
  return say(ctx, [`stages.${serviceId}.${stage}`, `state.${state}`], 'causes.other');
}

/** An upstream event, with its outcome when it names a known one ("решение: назначено"). */
function eventWords(ctx: ViewContext, name: string, detail: string): Localized {
  const one = (l: Language): string => {
    const event = pick(ctx, l, [`events.${name}`, 'events.other']) ?? '';
    const outcome = detail ? pick(ctx, l, [`outcomes.${detail}`]) : undefined;
    return outcome ? `${event}: ${outcome}` : event;
  };
  return { kk: one('kk'), ru: one('ru') };
}

/** Why a transition happened. */
export function causeText(cause: string, ctx: ViewContext): Localized {
  if (cause === 'invitation') return say(ctx, ['causes.invitation'], 'causes.other');
  if (cause === 'deadline passed') return say(ctx, ['causes.deadline'], 'causes.other');
  if (cause === 'reply delivered before the deadline') return say(ctx, ['causes.inTime'], 'causes.other');
  if (cause.startsWith('carrier:')) return say(ctx, ['causes.carrier'], 'causes.other');
  if (cause.startsWith('resend')) return say(ctx, ['causes.resend'], 'causes.other');
  const held = Object.entries(WAIT_CAUSE).find(([, text]) => text === cause);
  if (held) return say(ctx, [`causes.held.${held[0]}`], 'causes.other');
  const reply = /^reply (\S+)$/.exec(cause);
  if (reply) return say(ctx, ['causes.reply'], 'causes.other', { code: reply[1] ?? '' });
  const event = /^event (\S+)$/.exec(cause);
  if (event) {
    const words = eventWords(ctx, event[1] ?? '', '');
    return sayEach(ctx, ['causes.event'], 'causes.other', (l) => ({ event: words[l] }));
  }
  return say(ctx, [], 'causes.other');
}

/** The words of one timeline entry (its kind's title is the page's own). */
export function entryWords(
  conv: Conversation,
  entry: TimelineEntry,
  ctx: ViewContext,
): Record<string, Localized> {
  switch (entry.kind) {
    case 'reply':
      return { says: replyMeaning(conv, entry, ctx) };
    case 'transition':
      return {
        says: causeText(entry.cause, ctx),
        stageSays: stageText(conv.service, entry.stage, entry.to, ctx),
      };
    case 'event':
      return { says: eventWords(ctx, entry.name, entry.detail) };
    case 'note': {
      if (entry.by !== undefined) return { says: say(ctx, ['notes.annotation'], 'notes.other') };
      if (/^help SMS not sent/.test(entry.text))
        return { says: say(ctx, ['notes.helpLimited'], 'notes.other') };
      const unsent = /^(\S+) SMS not sent: the reply answered the SMS before it$/.exec(entry.text);
      if (unsent) {
        const stage = stageText(conv.service, unsent[1] ?? '', conv.state, ctx);
        return { says: sayEach(ctx, ['notes.stageSmsNotSent'], 'notes.other', (l) => ({ stage: stage[l] })) };
      }
      return { says: say(ctx, [], 'notes.other') };
    }
    case 'sms':
    case 'sms-status':
      return {};
  }
}

export interface ReplyCode {
  /** As the citizen types it: `123#3#12`. */
  readonly code: string;
  readonly meaning: Localized;
}

/** The replies that count now, each with what it means ("123#3#12 — согласие, Kaspi Bank"). */
export function replyCodes(conv: Conversation, ctx: ViewContext): ReplyCode[] {
  if (!isOpen(conv)) return [];
  const { service } = ctx;
  const stage = service.stages[conv.stage];
  if (!stage) return [];
  const code = serviceCodeOf(service, conv);
  const prefix = code !== null ? `${code}#${service.reply.question}#` : `${service.reply.question}#`;
  return stage.replies.flatMap((rule) =>
    rule.choice === 'required'
      ? conv.offered.slice(0, 9).map((bank, i) => ({
          code: `${prefix}${rule.answer}${i + 1}`,
          meaning: ruleMeaning(ctx, rule, bank, i + 1),
        }))
      : [
          {
            code: `${prefix}${rule.answer}`,
            meaning: ruleMeaning(ctx, rule, rule.bank === 'only' ? (conv.offered[0] ?? null) : null, null),
          },
        ],
  );
}

/** Whole months from `from` to `to` (local dates), the rest in days (Civil Code art. 171 counting). */
function monthsAndDays(from: string, to: string): { months: number; days: number } {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  let months = 0;
  for (;;) {
    const next = new Date(Date.UTC(fy, fm - 1 + months + 1, 1));
    const last = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
    const candidate = fromDayNumber(
      Date.UTC(next.getUTCFullYear(), next.getUTCMonth(), Math.min(fd, last)) / 86_400_000,
    );
    if (dayNumber(candidate) > dayNumber(to)) break;
    months++;
  }
  const base = new Date(Date.UTC(fy, fm - 1 + months, 1));
  const lastOfBase = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth() + 1, 0)).getUTCDate();
  const anchor = Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), Math.min(fd, lastOfBase)) / 86_400_000;
  return { months, days: dayNumber(to) - anchor };
}

/**
 * Days left to the deadline in the unit of the act (working days for 003, calendar days for 002,
 * months for 004), counted after today; on the last day, "today is the last day".
 */
export function daysLeft(conv: Conversation, ctx: ViewContext): Localized | null {
  const spec = ctx.service.stages[conv.stage]?.deadline;
  if (!isOpen(conv) || conv.deadline === null || !spec) return null;
  const now = ctx.now ?? Date.now();
  if (now >= conv.deadline) return null;
  const today = ctx.calendar.toAlmaty(new Date(now)).date;
  const lastDay = ctx.calendar.toAlmaty(new Date(conv.deadline - 1)).date;
  const [t, l] = [dayNumber(today), dayNumber(lastDay)];
  if (l <= t) return say(ctx, ['script.days.lastDay'], 'script.days.lastDay');
  const line = (lang: Language): string => {
    if ('workingDays' in spec) {
      let n = 0;
      for (let d = t + 1; d <= l; d++) if (ctx.calendar.isWorkingDay(fromDayNumber(d))) n++;
      return counted(ctx, lang, 'script.days.workingDays', n);
    }
    if ('calendarDays' in spec) return counted(ctx, lang, 'script.days.calendarDays', l - t);
    const { months, days } = monthsAndDays(today, lastDay);
    if (months === 0) return counted(ctx, lang, 'script.days.calendarDays', l - t);
    const m = counted(ctx, lang, 'script.days.months', months);
    return days > 0 ? `${m} ${counted(ctx, lang, 'script.days.andDays', days)}` : m;
  };
  return { kk: line('kk'), ru: line('ru') };
}

export interface Script {
  readonly happened: Localized;
  readonly can: Localized;
  readonly replies: readonly ReplyCode[];
  readonly daysLeft: Localized | null;
}

/** What to tell a caller about this conversation now: what happened, what they can do, the codes. */
export function script(conv: Conversation, ctx: ViewContext): Script {
  const replies = replyCodes(conv, ctx);
  const deadline = (l: Language) => ({
    deadline: conv.deadline === null ? '' : ctx.calendar.formatDeadline(new Date(conv.deadline), l),
  });
  const todo = isOpen(conv)
    ? replies.length > 0
      ? 'reply'
      : conv.state === 'awaiting_account'
        ? 'waitAccount'
        : 'noReply'
    : conv.state;
  // An open notice asks for no reply (004, items 9-10: the portal's): not "waiting for an answer".
  const happened = say(
    ctx,
    todo === 'noReply' && conv.state === 'invited' ? ['script.state.notice'] : [`script.state.${conv.state}`],
    'notes.other',
  );
  const stage = stageText(conv.service, conv.stage, conv.state, ctx);
  return {
    happened: Object.fromEntries(
      LANGS.map((l) => [l, `${happened[l]} ${pick(ctx, l, ['ui.stage']) ?? ''}: ${stage[l]}.`]),
    ) as Localized,
    can: sayEach(ctx, [`script.todo.${todo}`], 'script.todo.closed', deadline),
    replies,
    daysLeft: daysLeft(conv, ctx),
  };
}
