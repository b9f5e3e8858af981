/**
 * Pure wall-clock arithmetic for Kazakhstan, independent of the machine's tz database.
 *
 * Why not `Intl` / `Asia/Almaty` from the host: Kazakhstan moved to a single zone, UTC+5, on
 * 1 March 2024 (Government decision of December 2023; tzdata 2024a). A host with an
 * older tzdata still answers UTC+6, so a deadline would move by an hour depending on the machine.
 * Here the offsets are data ({@link ZoneTable}); every machine computes the same instants.
 *
 * Local dates are ISO strings `YYYY-MM-DD`; arithmetic runs on day numbers (days since 1970-01-01),
 * which have no time zone at all.
 */

/** A calendar date in Almaty, `YYYY-MM-DD`. */
export type LocalDate = string;

/** Offsets of one zone over time: `initialOffsetMinutes` until the first transition. */
export interface ZoneTable {
  /** Offset east of UTC, in minutes, before the first transition. */
  readonly initialOffsetMinutes: number;
  /** Ascending by `at`: from instant `at` (inclusive) the offset is `offsetMinutes`. */
  readonly transitions: readonly { readonly at: Date; readonly offsetMinutes: number }[];
}

/**
 * Almaty since 2005 (Kazakhstan abolished summer time in March 2005): UTC+6, then UTC+5 from
 * 2024-03-01 00:00 local time, i.e. 2024-02-29T18:00Z (clocks went back from 00:00 to 23:00, so
 * 29 February 2024 lasted 25 hours in Almaty). Instants before 2005 are not supported.
 */
export const ALMATY_ZONE: ZoneTable = Object.freeze({
  initialOffsetMinutes: 360,
  transitions: Object.freeze([{ at: new Date('2024-02-29T18:00:00Z'), offsetMinutes: 300 }]),
});

/** A reading of the Almaty wall clock. `weekday` is ISO: 1 = Monday … 7 = Sunday. */
export interface LocalDateTime {
  readonly date: LocalDate;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  readonly weekday: number;
  readonly offsetMinutes: number;
}

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The zone's offset (minutes east of UTC) in force at `instant`. */
export function offsetAt(zone: ZoneTable, instant: Date): number {
  let offset = zone.initialOffsetMinutes;
  for (const t of zone.transitions) {
    if (instant.getTime() >= t.at.getTime()) offset = t.offsetMinutes;
  }
  return offset;
}

/** Reads the wall clock of `zone` at `instant`. */
export function toLocal(zone: ZoneTable, instant: Date): LocalDateTime {
  assertValidInstant(instant);
  const offsetMinutes = offsetAt(zone, instant);
  const wall = new Date(instant.getTime() + offsetMinutes * MS_PER_MINUTE);
  const year = wall.getUTCFullYear();
  const month = wall.getUTCMonth() + 1;
  const day = wall.getUTCDate();
  return {
    date: formatDate(year, month, day),
    year,
    month,
    day,
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
    weekday: isoWeekday(formatDate(year, month, day)),
    offsetMinutes,
  };
}

/**
 * The instant at which local day `date` begins (00:00 on the wall clock). Where a transition
 * repeats a wall time the first occurrence wins; where it skips 00:00 the day begins at the
 * transition itself.
 */
export function startOfLocalDay(zone: ZoneTable, date: LocalDate): Date {
  const wall = dayNumber(date) * MS_PER_DAY;
  const offsets = [zone.initialOffsetMinutes, ...zone.transitions.map((t) => t.offsetMinutes)];
  const fits = offsets
    .map((o) => wall - o * MS_PER_MINUTE)
    .filter((ms) => offsetAt(zone, new Date(ms)) * MS_PER_MINUTE === wall - ms)
    .sort((a, b) => a - b);
  if (fits[0] !== undefined) return new Date(fits[0]);
  const gap = zone.transitions.find((t) => toLocal(zone, t.at).date === date);
  if (gap === undefined) throw new RangeError(`no instant starts local day ${date}`);
  return gap.at;
}

/** Days since 1970-01-01 of an ISO date; throws `RangeError` on anything but a real `YYYY-MM-DD`. */
export function dayNumber(date: LocalDate): number {
  const m = ISO_DATE.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || fromDayNumber(ms / MS_PER_DAY) !== date) {
    throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return ms / MS_PER_DAY;
}

/** The ISO date of a day number. */
export function fromDayNumber(n: number): LocalDate {
  const d = new Date(n * MS_PER_DAY);
  return formatDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** True when `date` is a real `YYYY-MM-DD` calendar date. */
export function isLocalDate(date: string): boolean {
  try {
    dayNumber(date);
    return true;
  } catch {
    return false;
  }
}

/** `date` plus `n` calendar days (n may be negative). */
export function addDays(date: LocalDate, n: number): LocalDate {
  return fromDayNumber(dayNumber(date) + n);
}

/** ISO weekday of `date`: 1 = Monday … 7 = Sunday (1970-01-01, day 0, was a Thursday). */
export function isoWeekday(date: LocalDate): number {
  return ((((dayNumber(date) + 3) % 7) + 7) % 7) + 1;
}

/**
 * The same day of the month `n` months later; a day the target month lacks clamps to its last
 * day (31 December + 2 months = 28/29 February), as the Civil Code of the Republic of Kazakhstan,
 * art. 171 p. 3, ends a term in months "on the last day of that month".
 */
export function addMonthsToDate(date: LocalDate, n: number): LocalDate {
  dayNumber(date); // validates
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const monthIndex = y * 12 + (m - 1) + n;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return formatDate(year, month, Math.min(d, lastDay));
}

function formatDate(year: number, month: number, day: number): LocalDate {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function assertValidInstant(instant: Date): void {
  if (Number.isNaN(instant.getTime())) throw new RangeError('invalid Date');
}

/** Languages of the agent console and of the SMS texts. */
export type Lang = 'kk' | 'ru';

/**
 * Month names as a date is written in running text: Russian in the genitive ("27 ноября"),
 * Kazakh in the nominative ("27 қараша"), as in the eGov calendar of holidays.
 */
const MONTHS: Readonly<Record<Lang, readonly string[]>> = {
  ru: [
    'января',
    'февраля',
    'марта',
    'апреля',
    'мая',
    'июня',
    'июля',
    'августа',
    'сентября',
    'октября',
    'ноября',
    'декабря',
  ],
  kk: [
    'қаңтар',
    'ақпан',
    'наурыз',
    'сәуір',
    'мамыр',
    'маусым',
    'шілде',
    'тамыз',
    'қыркүйек',
    'қазан',
    'қараша',
    'желтоқсан',
  ],
};

/** Options of {@link formatLocal}. */
export interface FormatOptions {
  /** Show the year: ru "27 ноября 2025 18:00", kk "2025 жылғы 27 қараша 18:00". Default false. */
  readonly withYear?: boolean;
}

/** Formats `instant` on the Almaty wall clock for the agent console: "27 ноября 18:00". */
export function formatLocal(zone: ZoneTable, instant: Date, lang: Lang, options: FormatOptions = {}): string {
  const t = toLocal(zone, instant);
  const month = MONTHS[lang][t.month - 1] ?? '';
  const time = `${pad2(t.hour)}:${pad2(t.minute)}`;
  if (options.withYear !== true) return `${t.day} ${month} ${time}`;
  return lang === 'kk' ? `${t.year} жылғы ${t.day} ${month} ${time}` : `${t.day} ${month} ${t.year} ${time}`;
}

/**
 * Formats an exclusive deadline (as returned by the calendar: the first instant that is late) as
 * the last minute still in time, "27 ноября 23:59", which is what a person reads as "until".
 */
export function formatDeadline(
  zone: ZoneTable,
  deadline: Date,
  lang: Lang,
  options: FormatOptions = {},
): string {
  return formatLocal(zone, new Date(deadline.getTime() - 1), lang, options);
}

/** The instant `almatyIso` formatted last: the outcomes of one write share their time. */
let lastIso: { readonly zone: ZoneTable; readonly ms: number; readonly iso: string } | undefined;

/** `2026-11-24T11:00:00+05:00`: ISO 8601 on the zone's wall clock with its offset (CONTRACT.md times). */
export function almatyIso(zone: ZoneTable, ms: number): string {
  if (lastIso?.ms === ms && lastIso.zone === zone) return lastIso.iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const t = toLocal(zone, new Date(ms));
  const off = t.offsetMinutes;
  const sign = off >= 0 ? '+' : '-';
  const offset = `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const iso = `${t.date}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${offset}`;
  lastIso = { zone, ms, iso };
  return iso;
}
