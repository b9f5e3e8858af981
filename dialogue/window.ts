/**
 * The sending window (pure; CONTRACT.md, `SEND_WINDOW`): notices the citizen did not ask for
 * (invitations, repeats, expiry, blocking and assignment notices) go out only between two times of
 * the Almaty wall clock on working days of Kazakhstan's calendar; Kazakhstan's carriers take
 * notification SMS only in the daytime on working days (09:00-21:00 local time is the rule the
 * aggregators relay). Answers to the citizen's own SMS go at any hour. Time is an argument.
 */
import type { WorkingCalendar } from './calendar.js';
import { addDays, startOfLocalDay } from './time.js';

export type SendWindow =
  | { readonly kind: 'always' }
  /** Minutes after local midnight: from `start` (inclusive) to `end` (exclusive), `start < end`. */
  | { readonly kind: 'daily'; readonly start: number; readonly end: number };

export const DEFAULT_SEND_WINDOW = '09:00-21:00';
export const ALWAYS: SendWindow = { kind: 'always' };

const MS_PER_MINUTE = 60_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutes(hhmm: string): number | null {
  const m = HHMM.exec(hhmm.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Parses `always` or `HH:MM-HH:MM` (24:00 allowed as the end); a string naming the fault otherwise. */
export function parseSendWindow(value: string): SendWindow | { readonly error: string } {
  const text = value.trim();
  if (text === 'always') return ALWAYS;
  const [from, to, ...rest] = text.split('-');
  const start = from === undefined ? null : minutes(from);
  const end = to === undefined ? null : to.trim() === '24:00' ? 24 * 60 : minutes(to);
  if (rest.length > 0 || start === null || end === null)
    return { error: `must be "always" or HH:MM-HH:MM on the Almaty clock (e.g. ${DEFAULT_SEND_WINDOW})` };
  if (start >= end) return { error: `must end after it starts on the same day (got ${text})` };
  return { kind: 'daily', start, end };
}

/** The instant `minute` minutes after the start of local day `date`. */
function at(calendar: WorkingCalendar, date: string, minute: number): number {
  return startOfLocalDay(calendar.zone, date).getTime() + minute * MS_PER_MINUTE;
}

/** True when an unsolicited notice may go out at `now`. */
export function isWindowOpen(window: SendWindow, calendar: WorkingCalendar, now: number): boolean {
  if (window.kind === 'always') return true;
  const local = calendar.toAlmaty(new Date(now));
  if (!calendar.isWorkingDay(local.date)) return false;
  const minute = local.hour * 60 + local.minute;
  return minute >= window.start && minute < window.end;
}

/** The first instant at or after `now` when the window is open (`now` itself when it is open). */
export function nextOpening(window: SendWindow, calendar: WorkingCalendar, now: number): number {
  if (isWindowOpen(window, calendar, now) || window.kind === 'always') return now;
  const today = calendar.toAlmaty(new Date(now)).date;
  // A year has no run of 366 days off; the bound keeps a broken calendar from looping for ever.
  for (let i = 0; i <= 366; i++) {
    const date = addDays(today, i);
    if (!calendar.isWorkingDay(date)) continue;
    const opening = at(calendar, date, window.start);
    if (opening >= now) return opening;
  }
  throw new RangeError('the calendar has no working day in the next year');
}

/**
 * The end of the window open at `now` (exclusive), or null when it is closed (`always`: never
 * ends, also null). An SMS's `validity_period` may be bounded by it.
 */
export function windowEnd(window: SendWindow, calendar: WorkingCalendar, now: number): number | null {
  if (window.kind === 'always' || !isWindowOpen(window, calendar, now)) return null;
  return at(calendar, calendar.toAlmaty(new Date(now)).date, window.end);
}
