/**
 * Kazakhstan's working-day calendar and the deadline arithmetic of the dialogues. Pure: the data
 * (calendar/kz.json) and every instant come in as arguments; nothing here reads a clock or a file.
 *
 * A day is off when it is a public holiday (Law "On holidays in the Republic of Kazakhstan",
 * art. 1-2; religious days: Labour Code art. 84 p. 5), a weekday to which a holiday falling on a
 * Saturday or Sunday moved its day off (Law "On holidays", art. 5; Labour Code art. 85 — not for
 * the religious days), a weekday made a day off by the yearly transfer of days of rest (Labour
 * Code art. 85 p. 3: an order of the Minister of Labour and Social Protection), or a weekend day
 * that no transfer made a working day. See docs/calendar.md.
 * Longer than 300 lines: the calendar file's schema, its checks and the day arithmetic share one day model.
 */
import { z } from 'zod';
import { GatewayError } from '../common/errors.js';
import {
  ALMATY_ZONE,
  addDays,
  addMonthsToDate,
  formatDeadline,
  formatLocal,
  isLocalDate,
  isoWeekday,
  startOfLocalDay,
  toLocal,
  type FormatOptions,
  type Lang,
  type LocalDate,
  type LocalDateTime,
  type ZoneTable,
} from './time.js';

const IsoDate = z.string().refine(isLocalDate, 'must be a calendar date YYYY-MM-DD');
const Source = z.string().min(1, 'say which act or announcement this comes from');
const Note = z.string().optional();

const HolidaySchema = z.strictObject({
  month: z.number().int().min(1).max(12),
  day: z.number().int().min(1).max(31),
  name: z.strictObject({ kk: z.string().min(1), ru: z.string().min(1) }),
  /** Religious days off (7 January, Kurban Ait) never move off a weekend (Labour Code art. 85). */
  religious: z.boolean().default(false),
  /** First year the holiday applies; absent: always. */
  since: z.number().int().optional(),
  /** Last year the holiday applies; absent: still in force. */
  until: z.number().int().optional(),
  source: Source,
  note: Note,
});

const TransferSchema = z
  .strictObject({ workingDay: IsoDate.optional(), dayOff: IsoDate.optional(), source: Source, note: Note })
  .refine((t) => t.workingDay !== undefined || t.dayOff !== undefined, 'give workingDay, dayOff or both');

const YearSchema = z.strictObject({
  /** First day of Kurban Ait, a religious day off whose date follows the lunar calendar. */
  kurbanAit: IsoDate,
  kurbanAitSource: Source,
  transfers: z.array(TransferSchema).default([]),
  /** True while the year's data is a forecast (Kurban Ait not yet announced, transfers unknown). */
  provisional: z.boolean().default(false),
  note: Note,
});

const ZoneSchema = z.strictObject({
  initialOffsetMinutes: z.number().int().min(-720).max(840),
  transitions: z.array(
    z.strictObject({ at: z.iso.datetime(), offsetMinutes: z.number().int().min(-720).max(840) }),
  ),
  note: Note,
});

/** The schema of calendar/kz.json. Unknown keys are errors, so a misspelt field cannot be ignored. */
export const CalendarDataSchema = z
  .strictObject({
    $comment: z.string().optional(),
    /** Overrides {@link ALMATY_ZONE} should the law move the clock again. Default: ALMATY_ZONE. */
    zone: ZoneSchema.optional(),
    holidays: z.array(HolidaySchema).min(1),
    years: z.record(z.string().regex(/^\d{4}$/, 'year keys are four digits'), YearSchema),
  })
  .superRefine((data, ctx) => {
    for (const [year, y] of Object.entries(data.years)) {
      if (!y.kurbanAit.startsWith(`${year}-`)) {
        ctx.addIssue({ code: 'custom', path: ['years', year, 'kurbanAit'], message: `must be in ${year}` });
      }
    }
  });

/** Validated calendar data. */
export type CalendarData = z.output<typeof CalendarDataSchema>;

/** Why a day is (not) worked; a table, not branches, decides which kinds are working days. */
export type DayKind =
  'working' | 'weekend' | 'holiday' | 'moved-day-off' | 'transferred-day-off' | 'transferred-working-day';

const IS_WORKING: Readonly<Record<DayKind, boolean>> = {
  working: true,
  'transferred-working-day': true,
  weekend: false,
  holiday: false,
  'moved-day-off': false,
  'transferred-day-off': false,
};

/** How far the data vouches for a year. */
export type Coverage = 'confirmed' | 'provisional' | 'none';

/** Kazakhstan's working days and the deadlines computed from them, in Almaty time. */
export interface WorkingCalendar {
  /** The wall clock all dates are read on (Almaty). */
  readonly zone: ZoneTable;
  /** Years with their own data (Kurban Ait, transfers), ascending. */
  readonly coveredYears: readonly number[];
  /**
   * How far the data vouches for `year`. `none`: no entry, so its fixed holidays and the weekend
   * rule still apply but Kurban Ait and the yearly transfers are unknown; `provisional`: an entry
   * marked as a forecast. See {@link coverageWarnings}.
   */
  coverage(year: number): Coverage;
  /** Why `date` (YYYY-MM-DD, Almaty) is or is not a working day. */
  dayKind(date: LocalDate): DayKind;
  /** True when `date` (YYYY-MM-DD, Almaty) is a working day of the five-day week. */
  isWorkingDay(date: LocalDate): boolean;
  /** Reads `instant` on the Almaty wall clock. */
  toAlmaty(instant: Date): LocalDateTime;
  /**
   * The deadline of "within `n` working days" of an event (an SMS sent) at `instant`, as the
   * first instant that is late (exclusive): 00:00 Almaty of the day after the `n`-th working day
   * after the event's day. The event's own day never counts, working or not (Civil Code of the
   * Republic of Kazakhstan, art. 170: a term in days begins the day after the event), and the term
   * runs to 24:00 of its last day (art. 173). A reply at `t` is in time iff `t < deadline`.
   * Example: SMS on Friday 20 March 2026, 20:00 (Nauryz 21-23 March; days off moved to 24-25
   * March) → working days 26, 27, 30 March → deadline 31 March 2026 00:00 Almaty.
   * @param n whole number ≥ 1; otherwise `RangeError`.
   */
  addWorkingDays(instant: Date, n: number): Date;
  /**
   * The deadline of "after `n` calendar days" (002, Algorithm item 10): 00:00 Almaty of the day
   * after the `n`-th calendar day after the event's day, exclusive. Not moved off a non-working
   * day: 002 counts plain calendar days for a process timer, not a citizen's legal term.
   * @param n whole number ≥ 0 (0: the end of the event's own day).
   */
  addCalendarDays(instant: Date, n: number): Date;
  /**
   * The deadline of "within `n` months" (004, item 10: two months): the end (next 00:00, exclusive)
   * of the same day of the month `n` months after the event's day, clamped to the month's last day
   * (Civil Code art. 171). Not moved off a non-working day, as for calendar days.
   * @param n whole number ≥ 0.
   */
  addMonths(instant: Date, n: number): Date;
  /** "27 ноября 18:00" / "27 қараша 18:00" on the Almaty clock, for the agent console. */
  format(instant: Date, lang: Lang, options?: FormatOptions): string;
  /** An exclusive deadline shown as its last minute in time: "30 марта 23:59". */
  formatDeadline(deadline: Date, lang: Lang, options?: FormatOptions): string;
}

/**
 * Validates `data` (the parsed JSON of calendar/kz.json) and builds the calendar.
 * @throws GatewayError `GW_CALENDAR_INVALID` listing every problem at once.
 */
export function createCalendar(data: unknown): WorkingCalendar {
  const parsed = parseCalendarData(data);
  const zone = parsed.zone ? toZoneTable(parsed.zone) : ALMATY_ZONE;
  const dayKind = dayKindsOf(parsed);
  const isWorkingDay = (date: LocalDate): boolean => IS_WORKING[dayKind(date)];
  const coveredYears = Object.keys(parsed.years)
    .map(Number)
    .sort((a, b) => a - b);
  const dayOf = (instant: Date): LocalDate => toLocal(zone, instant).date;
  return Object.freeze({
    zone,
    coveredYears,
    coverage: (year: number): Coverage => {
      const entry = parsed.years[String(year)];
      return entry === undefined ? 'none' : entry.provisional ? 'provisional' : 'confirmed';
    },
    dayKind,
    isWorkingDay,
    toAlmaty: (instant: Date) => toLocal(zone, instant),
    addWorkingDays(instant: Date, n: number): Date {
      assertCount(n, 1);
      let date = dayOf(instant);
      for (let left = n; left > 0;) {
        date = addDays(date, 1);
        if (isWorkingDay(date)) left -= 1;
      }
      return startOfLocalDay(zone, addDays(date, 1));
    },
    addCalendarDays(instant: Date, n: number): Date {
      assertCount(n, 0);
      return startOfLocalDay(zone, addDays(dayOf(instant), n + 1));
    },
    addMonths(instant: Date, n: number): Date {
      assertCount(n, 0);
      return startOfLocalDay(zone, addDays(addMonthsToDate(dayOf(instant), n), 1));
    },
    format: (instant: Date, lang: Lang, options?: FormatOptions) => formatLocal(zone, instant, lang, options),
    formatDeadline: (deadline: Date, lang: Lang, options?: FormatOptions) =>
      formatDeadline(zone, deadline, lang, options),
  });
}

/**
 * Validates calendar data.
 * @throws GatewayError `GW_CALENDAR_INVALID` with every issue (zod's list) in the message.
 */
export function parseCalendarData(data: unknown): CalendarData {
  const result = CalendarDataSchema.safeParse(data);
  if (result.success) return result.data;
  // One line (a start-up failure prints it as the process's one line, docs/errors.md).
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
  throw new GatewayError('GW_CALENDAR_INVALID', `calendar data invalid: ${issues}`, {
    issues: result.error.issues,
  });
}

/** Environment variable proposed for the path of the calendar file. */
export const CALENDAR_FILE_ENV = 'CALENDAR_FILE';
/** Default path of the calendar file, relative to the working directory. */
export const DEFAULT_CALENDAR_FILE = 'calendar/kz.json';

/**
 * Reads, parses and validates the calendar file through `readText` (the composition root passes
 * `(p) => readFile(p, 'utf8')`), so this module stays free of I/O.
 * @throws GatewayError `GW_CALENDAR_INVALID` naming the file.
 */
export async function loadCalendarFile(
  path: string,
  readText: (path: string) => Promise<string>,
): Promise<WorkingCalendar> {
  let json: unknown;
  try {
    json = JSON.parse(await readText(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code !== undefined ? `cannot be read (${code})` : `is not JSON: ${(cause as Error).message}`;
    throw new GatewayError('GW_CALENDAR_INVALID', `${CALENDAR_FILE_ENV} ${path} ${why}`, undefined, {
      cause,
    });
  }
  try {
    return createCalendar(json);
  } catch (error) {
    if (error instanceof GatewayError) {
      throw new GatewayError(error.code, `${CALENDAR_FILE_ENV} ${path}: ${error.message}`, error.details, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Warnings for the operator when the data does not reach far enough: the year of `now` and the
 * next one should be covered, as a deadline set in December ends in January. Pure; the caller logs.
 */
export function coverageWarnings(calendar: WorkingCalendar, now: Date): string[] {
  const year = calendar.toAlmaty(now).year;
  const problems: Readonly<Record<Coverage, string | undefined>> = {
    none: 'has no data',
    provisional: 'has only provisional data',
    confirmed: undefined,
  };
  return [year, year + 1].flatMap((y) => {
    const problem = problems[calendar.coverage(y)];
    if (problem === undefined) return [];
    return [
      `calendar ${problem} for ${y}: Kurban Ait and the transfers of days off for ${y} may be wrong; ` +
        `update "years.${y}" in the calendar file (docs/calendar.md)`,
    ];
  });
}

/** `dayKind` over the data, building each year's plan once, on first use. */
function dayKindsOf(data: CalendarData): (date: LocalDate) => DayKind {
  const offDays = new Map<LocalDate, DayKind>();
  const built = new Set<number>();
  const ensureYear = (year: number): void => {
    if (built.has(year)) return;
    built.add(year);
    for (const [date, kind] of planYear(data, year)) if (!offDays.has(date)) offDays.set(date, kind);
  };
  return (date) => {
    const year = Number(date.slice(0, 4));
    ensureYear(year - 1); // a December holiday on a weekend may move its day off into January
    ensureYear(year);
    return offDays.get(date) ?? (isoWeekday(date) > 5 ? 'weekend' : 'working');
  };
}

/** Every non-default day a year's rules produce, in the order the law applies them. */
function planYear(data: CalendarData, year: number): Map<LocalDate, DayKind> {
  const plan = new Map<LocalDate, DayKind>();
  const holidays = holidaysOf(data, year);
  for (const h of holidays) plan.set(h.date, 'holiday');
  for (const t of data.years[String(year)]?.transfers ?? []) {
    if (t.dayOff !== undefined && !plan.has(t.dayOff)) plan.set(t.dayOff, 'transferred-day-off');
    if (t.workingDay !== undefined && !plan.has(t.workingDay))
      plan.set(t.workingDay, 'transferred-working-day');
  }
  // Law "On holidays", art. 5: a holiday on a day off moves the day off to the next working day
  // after the holiday; holidays in date order, so 21-22 March 2026 (Sat-Sun) move to 24 and 25.
  for (const h of holidays) {
    if (h.religious || isoWeekday(h.date) <= 5) continue;
    let next = addDays(h.date, 1);
    while (isoWeekday(next) > 5 || plan.has(next)) next = addDays(next, 1);
    plan.set(next, 'moved-day-off');
  }
  return plan;
}

/** The holidays in force in `year`, in date order, with Kurban Ait when the year has data. */
function holidaysOf(data: CalendarData, year: number): { date: LocalDate; religious: boolean }[] {
  const fixed = data.holidays
    .filter((h) => (h.since ?? -Infinity) <= year && year <= (h.until ?? Infinity))
    .map((h) => ({ date: `${year}-${pad2(h.month)}-${pad2(h.day)}`, religious: h.religious }))
    .filter((h) => isLocalDate(h.date));
  const kurbanAit = data.years[String(year)]?.kurbanAit;
  const all = kurbanAit === undefined ? fixed : [...fixed, { date: kurbanAit, religious: true }];
  return all.sort((a, b) => a.date.localeCompare(b.date));
}

function toZoneTable(zone: NonNullable<CalendarData['zone']>): ZoneTable {
  const transitions = zone.transitions
    .map((t) => ({ at: new Date(t.at), offsetMinutes: t.offsetMinutes }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  return Object.freeze({ initialOffsetMinutes: zone.initialOffsetMinutes, transitions });
}

function assertCount(n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`day/month count must be an integer ≥ ${min}: ${n}`);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
