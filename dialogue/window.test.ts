import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR_FILE, loadCalendarFile } from './calendar.js';
import { isWindowOpen, nextOpening, parseSendWindow, windowEnd, type SendWindow } from './window.js';

const calendar = await loadCalendarFile(DEFAULT_CALENDAR_FILE, (p) => readFile(p, 'utf8'));
const almaty = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 5, mi);
const daily = parseSendWindow('09:00-21:00') as SendWindow;

describe('SEND_WINDOW', () => {
  it('reads HH:MM-HH:MM and always; names the fault otherwise', () => {
    expect(daily).toEqual({ kind: 'daily', start: 540, end: 1260 });
    expect(parseSendWindow('always')).toEqual({ kind: 'always' });
    expect(parseSendWindow('08:30-24:00')).toEqual({ kind: 'daily', start: 510, end: 1440 });
    expect(parseSendWindow('9-21')).toHaveProperty('error');
    expect(parseSendWindow('21:00-09:00')).toEqual({ error: expect.stringContaining('end after it starts') });
  });

  it('is open from 09:00 to 20:59 on working days only', () => {
    expect(isWindowOpen(daily, calendar, almaty(2026, 11, 24, 9))).toBe(true);
    expect(isWindowOpen(daily, calendar, almaty(2026, 11, 24, 20, 59))).toBe(true);
    expect(isWindowOpen(daily, calendar, almaty(2026, 11, 24, 21))).toBe(false);
    expect(isWindowOpen(daily, calendar, almaty(2026, 11, 28, 12))).toBe(false);
    expect(isWindowOpen(daily, calendar, almaty(2026, 12, 16, 12))).toBe(false);
    expect(isWindowOpen({ kind: 'always' }, calendar, almaty(2026, 12, 16, 3))).toBe(true);
  });

  it('opens next on the next working morning, past holidays and moved days off', () => {
    expect(nextOpening(daily, calendar, almaty(2026, 3, 20, 21))).toBe(almaty(2026, 3, 26, 9));
    expect(nextOpening(daily, calendar, almaty(2026, 11, 25, 3))).toBe(almaty(2026, 11, 25, 9));
    expect(nextOpening(daily, calendar, almaty(2026, 11, 25, 10))).toBe(almaty(2026, 11, 25, 10));
  });

  it('ends at 21:00 of the day it is open, for an SMS validity period; null while closed', () => {
    expect(windowEnd(daily, calendar, almaty(2026, 11, 24, 15))).toBe(almaty(2026, 11, 24, 21));
    expect(windowEnd(daily, calendar, almaty(2026, 11, 24, 22))).toBeNull();
    expect(windowEnd({ kind: 'always' }, calendar, almaty(2026, 11, 24, 15))).toBeNull();
  });
});
