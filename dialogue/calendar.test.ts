// Longer than 300 lines: the hand-checked tables, the Almaty clock, the operator's data and the properties of one calendar.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../common/errors.js';
import { coverageWarnings, createCalendar, loadCalendarFile, type CalendarData } from './calendar.js';
import { ALMATY_ZONE, addDays, startOfLocalDay, toLocal } from './time.js';

const KZ_JSON = readFileSync(new URL('../calendar/kz.json', import.meta.url), 'utf8');
const kzData = (): CalendarData => JSON.parse(KZ_JSON) as CalendarData;
const cal = createCalendar(kzData());
const at = (iso: string): Date => new Date(iso);

// Hand-checked: each row lists the days after the day of sending, (n) marking the n-th working day.
// The deadline is 00:00 Almaty of the day after the 3rd working day (exclusive). Almaty is UTC+6
// before 2024-02-29T18:00Z and UTC+5 after, so local midnight is 18:00Z or 19:00Z of the day before.
const WORKING_DAYS: readonly { case: string; sent: string; expected: string }[] = [
  {
    // Fri 20 Mar 2026 20:00. Nauryz 21 (Sat), 22 (Sun), 23 (Mon): the two weekend holidays move their
    // days off to the next working days, Tue 24 and Wed 25. Then Thu 26 (1), Fri 27 (2), Sat-Sun,
    // Mon 30 (3): late from Tue 31 Mar 00:00 +05.
    case: 'an SMS on the Friday evening before Nauryz 2026 runs to the end of Monday 30 March',
    sent: '2026-03-20T15:00:00Z',
    expected: '2026-03-30T19:00:00Z',
  },
  {
    // Thu 19 Mar 2026: Fri 20 (1), 21-25 off, Thu 26 (2), Fri 27 (3).
    case: 'an SMS the Thursday before Nauryz 2026 runs to the end of Friday 27 March',
    sent: '2026-03-19T05:00:00Z',
    expected: '2026-03-27T19:00:00Z',
  },
  {
    // Mon 23 Mar 2026 is itself a holiday and does not count; 24-25 off; 26 (1), 27 (2), 30 (3).
    case: 'an SMS sent on a holiday counts from the next working day',
    sent: '2026-03-23T06:00:00Z',
    expected: '2026-03-30T19:00:00Z',
  },
  {
    // Fri 5 Jul 2024: Capital Day Sat 6 Jul moves to Mon 8; Tue 9 (1), Wed 10 (2), Thu 11 (3).
    case: 'a holiday on a Saturday moves the day off to Monday (6 July 2024)',
    sent: '2024-07-05T07:00:00Z',
    expected: '2024-07-11T19:00:00Z',
  },
  {
    // Thu 5 Mar 2026: Fri 6 (1), 8 March is a Sunday so Mon 9 is off, Tue 10 (2), Wed 11 (3).
    case: 'a holiday on a Sunday moves the day off to Monday (8 March 2026)',
    sent: '2026-03-05T04:00:00Z',
    expected: '2026-03-11T19:00:00Z',
  },
  {
    // Fri 14 Jun 2024: Kurban Ait is Sun 16 Jun and, being religious, does not move: Mon 17 (1),
    // Tue 18 (2), Wed 19 (3). Moving it would make the deadline a day later.
    case: 'Kurban Ait on a Sunday does not move the day off (16 June 2024)',
    sent: '2024-06-14T07:00:00Z',
    expected: '2024-06-19T19:00:00Z',
  },
  {
    // Fri 5 Jan 2024 (UTC+6): Orthodox Christmas is Sun 7 Jan, no move: 8 (1), 9 (2), 10 (3);
    // 11 Jan 00:00 +06 is 10 Jan 18:00Z.
    case: 'Orthodox Christmas on a Sunday does not move the day off (7 January 2024)',
    sent: '2024-01-05T06:00:00Z',
    expected: '2024-01-10T18:00:00Z',
  },
  {
    // Wed 4 Jun 2025: Thu 5 (1), Fri 6 Kurban Ait off, Mon 9 (2), Tue 10 (3).
    case: 'Kurban Ait on a weekday is a day off (6 June 2025)',
    sent: '2025-06-04T07:00:00Z',
    expected: '2025-06-10T19:00:00Z',
  },
  {
    // Thu 2 May 2024: Fri 3 (1), Sat 4 worked by the order of 17 April 2024 (2), Sun 5, Mon 6 (3).
    case: 'a Saturday made a working day by a transfer counts (4 May 2024)',
    sent: '2024-05-02T07:00:00Z',
    expected: '2024-05-06T19:00:00Z',
  },
  {
    // Mon 26 Feb 2024 10:00 +06: Tue 27 (1), Wed 28 (2), Thu 29 (3). The day after, 1 March, begins
    // at 00:00 +05 = 29 Feb 19:00Z; a fixed +06 would answer 18:00Z.
    case: 'a deadline across the 1 March 2024 change to UTC+5 ends at 19:00Z, not 18:00Z',
    sent: '2024-02-26T04:00:00Z',
    expected: '2024-02-29T19:00:00Z',
  },
  {
    // 29 Feb 2024 18:30Z is 23:30 on 29 Feb for the second time (+05 after the clocks went back):
    // still 29 Feb. Fri 1 Mar (1), Mon 4 (2), Tue 5 (3).
    case: 'an SMS in the repeated hour of 29 February 2024 belongs to 29 February',
    sent: '2024-02-29T18:30:00Z',
    expected: '2024-03-05T19:00:00Z',
  },
  {
    // 29 Feb 2024 19:00Z is 00:00 on Fri 1 Mar: Mon 4 (1), Tue 5 (2), Wed 6 (3).
    case: 'an SMS at the first instant of 1 March 2024 belongs to 1 March',
    sent: '2024-02-29T19:00:00Z',
    expected: '2024-03-06T19:00:00Z',
  },
  {
    // Tue 31 Dec 2024: 1-2 Jan holidays, Fri 3 Jan off by transfer, Sat 4 off, Sun 5 Jan worked by
    // the transfer (1), Mon 6 (2), Tue 7 Christmas, Wed 8 (3).
    case: 'year end 2024: the January transfer and Christmas are honoured',
    sent: '2024-12-31T10:00:00Z',
    expected: '2025-01-08T19:00:00Z',
  },
  {
    // Wed 31 Dec 2025: 1-2 Jan (Thu-Fri) holidays, 3-4 weekend, Mon 5 (1), Tue 6 (2), Wed 7
    // Christmas, Thu 8 (3).
    case: 'year end 2025: New Year and Christmas skip into the second week of January',
    sent: '2025-12-31T10:00:00Z',
    expected: '2026-01-08T19:00:00Z',
  },
  {
    // Wed 26 Nov 2025 23:59 +05: Thu 27 (1), Fri 28 (2), Mon 1 Dec (3).
    case: 'an SMS at 23:59 Almaty counts from the next day',
    sent: '2025-11-26T18:59:00Z',
    expected: '2025-12-01T19:00:00Z',
  },
  {
    // Thu 27 Nov 2025 00:01 +05 (still 26 Nov in UTC): Fri 28 (1), Mon 1 (2), Tue 2 (3).
    case: 'an SMS at 00:01 Almaty already belongs to the new day',
    sent: '2025-11-26T19:01:00Z',
    expected: '2025-12-02T19:00:00Z',
  },
  {
    // Thu 28 Aug 2025: Fri 29 (1), Constitution Day Sat 30 moves to Mon 1 Sep, Tue 2 (2), Wed 3 (3).
    case: '30 August 2025 on a Saturday moves the day off to Monday 1 September',
    sent: '2025-08-28T07:00:00Z',
    expected: '2025-09-03T19:00:00Z',
  },
  {
    // Thu 27 Aug 2026: 30 August is no longer a holiday (Constitution Day moves to 15 March from
    // 2027), so Mon 31 is worked: Fri 28 (1), Mon 31 (2), Tue 1 Sep (3).
    case: '30 August 2026 is no longer a holiday, so Monday 31 August is worked',
    sent: '2026-08-27T07:00:00Z',
    expected: '2026-09-01T19:00:00Z',
  },
];

describe('addWorkingDays(T, 3): the hand-checked table', () => {
  it.each(WORKING_DAYS)('$case', ({ sent, expected }) => {
    expect(cal.addWorkingDays(at(sent), 3).toISOString()).toBe(at(expected).toISOString());
  });
});

describe('addCalendarDays and addMonths', () => {
  it.each([
    // 002 item 10: 3 calendar days, not moved: Fri 20 Mar 2026 → end of Mon 23, though 24-25 are off.
    ['plain calendar days ignore the Nauryz days off', '2026-03-20T15:00:00Z', 3, '2026-03-23T19:00:00Z'],
    ['at 23:59 Almaty the day of sending is 26 November', '2025-11-26T18:59:00Z', 3, '2025-11-29T19:00:00Z'],
    ['at 00:01 Almaty the day of sending is 27 November', '2025-11-26T19:01:00Z', 3, '2025-11-30T19:00:00Z'],
    // 27 Feb 2024 18:00 +06 → end of 1 March, which is 00:00 +05 on 2 March.
    ['calendar days across the change to UTC+5', '2024-02-27T12:00:00Z', 3, '2024-03-01T19:00:00Z'],
  ])('%s', (_name, sent, n, expected) => {
    expect(cal.addCalendarDays(at(sent), n).toISOString()).toBe(at(expected).toISOString());
  });

  it.each([
    // 004 item 10: two months, the same date, clamped to the end of a shorter month.
    ['15 January → end of 15 March', '2025-01-15T05:00:00Z', '2025-03-15T19:00:00Z'],
    ['31 December 2025 → end of 28 February 2026', '2025-12-31T05:00:00Z', '2026-02-28T19:00:00Z'],
    ['31 December 2023 → end of 29 February 2024, in UTC+5', '2023-12-31T04:00:00Z', '2024-02-29T19:00:00Z'],
    ['01:00 Almaty on 16 January counts as 16 January', '2025-01-15T20:00:00Z', '2025-03-16T19:00:00Z'],
  ])('two months: %s', (_name, sent, expected) => {
    expect(cal.addMonths(at(sent), 2).toISOString()).toBe(at(expected).toISOString());
  });

  it('rejects counts that are not whole numbers in range', () => {
    expect(() => cal.addWorkingDays(at('2025-01-01T00:00:00Z'), 0)).toThrow(RangeError);
    expect(() => cal.addWorkingDays(at('2025-01-01T00:00:00Z'), 1.5)).toThrow(RangeError);
    expect(() => cal.addCalendarDays(at('2025-01-01T00:00:00Z'), -1)).toThrow(RangeError);
    expect(() => cal.addMonths(at('invalid'), 2)).toThrow(RangeError);
  });
});

describe('day kinds', () => {
  it.each([
    ['2026-03-24', 'moved-day-off'],
    ['2026-03-21', 'holiday'],
    ['2024-05-04', 'transferred-working-day'],
    ['2024-05-08', 'transferred-day-off'],
    ['2025-01-05', 'transferred-working-day'],
    ['2024-06-17', 'working'],
    ['2024-01-08', 'working'],
    ['2026-08-31', 'working'],
    ['2027-03-15', 'holiday'],
    ['2026-03-15', 'weekend'],
    ['2030-01-01', 'holiday'],
  ])('%s is %s', (date, kind) => {
    expect(cal.dayKind(date)).toBe(kind);
  });

  it('rejects a date that does not exist', () => {
    expect(() => cal.isWorkingDay('2025-02-30')).toThrow(RangeError);
  });
});

describe('Almaty clock and console formatting', () => {
  it('reads the repeated hour of 29 February 2024 with both offsets', () => {
    expect(cal.toAlmaty(at('2024-02-29T17:30:00Z'))).toMatchObject({
      date: '2024-02-29',
      hour: 23,
      offsetMinutes: 360,
    });
    expect(cal.toAlmaty(at('2024-02-29T18:30:00Z'))).toMatchObject({
      date: '2024-02-29',
      hour: 23,
      offsetMinutes: 300,
    });
    expect(
      startOfLocalDay(ALMATY_ZONE, '2024-03-01').getTime() -
        startOfLocalDay(ALMATY_ZONE, '2024-02-29').getTime(),
    ).toBe(25 * 3_600_000);
  });

  it('formats "27 November 18:00" in Russian and Kazakh', () => {
    const t = at('2025-11-27T13:00:00Z');
    expect(cal.format(t, 'ru')).toBe('27 ноября 18:00');
    expect(cal.format(t, 'kk')).toBe('27 қараша 18:00');
    expect(cal.format(t, 'ru', { withYear: true })).toBe('27 ноября 2025 18:00');
    expect(cal.format(t, 'kk', { withYear: true })).toBe('2025 жылғы 27 қараша 18:00');
  });

  it('shows an exclusive deadline as its last minute in time', () => {
    const deadline = cal.addWorkingDays(at('2026-03-20T15:00:00Z'), 3);
    expect(cal.formatDeadline(deadline, 'ru')).toBe('30 марта 23:59');
    expect(cal.formatDeadline(deadline, 'kk')).toBe('30 наурыз 23:59');
  });

  it.each([
    [1, 'января', 'қаңтар'],
    [2, 'февраля', 'ақпан'],
    [3, 'марта', 'наурыз'],
    [4, 'апреля', 'сәуір'],
    [5, 'мая', 'мамыр'],
    [6, 'июня', 'маусым'],
    [7, 'июля', 'шілде'],
    [8, 'августа', 'тамыз'],
    [9, 'сентября', 'қыркүйек'],
    [10, 'октября', 'қазан'],
    [11, 'ноября', 'қараша'],
    [12, 'декабря', 'желтоқсан'],
  ])('month %i is "%s" in Russian and "%s" in Kazakh', (month, ru, kk) => {
    const t = startOfLocalDay(ALMATY_ZONE, `2025-${String(month).padStart(2, '0')}-05`);
    expect(cal.format(t, 'ru')).toBe(`5 ${ru} 00:00`);
    expect(cal.format(t, 'kk')).toBe(`5 ${kk} 00:00`);
  });
});

describe('the data an operator edits', () => {
  it('a transfer added to the data changes the deadline without a code change', () => {
    const data = kzData();
    data.years['2026']!.transfers.push({
      workingDay: '2026-03-28',
      dayOff: '2026-03-27',
      source: 'test order',
    });
    const edited = createCalendar(data);
    // Fri 27 now off, Sat 28 worked: Thu 26 (1), Sat 28 (2), Mon 30 (3) — same end, different days.
    expect(edited.dayKind('2026-03-27')).toBe('transferred-day-off');
    expect(edited.addWorkingDays(at('2026-03-20T15:00:00Z'), 2).toISOString()).toBe(
      '2026-03-28T19:00:00.000Z',
    );
    expect(cal.addWorkingDays(at('2026-03-20T15:00:00Z'), 2).toISOString()).toBe('2026-03-27T19:00:00.000Z');
  });

  it('a zone in the data overrides the built-in offsets', () => {
    const edited = createCalendar({ ...kzData(), zone: { initialOffsetMinutes: 300, transitions: [] } });
    expect(edited.addWorkingDays(at('2024-01-05T06:00:00Z'), 3).toISOString()).toBe(
      '2024-01-10T19:00:00.000Z',
    );
  });

  it('reports every problem at once, with the catalogue code', () => {
    const bad = {
      holidays: [],
      years: {
        '2025': { kurbanAit: '2024-06-16', kurbanAitSource: 'x', tranfers: [] },
        '2026': { kurbanAit: '2026-02-30', kurbanAitSource: 'x', transfers: [{ source: 'x' }] },
      },
    };
    const error = catchError(() => createCalendar(bad));
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('GW_CALENDAR_INVALID');
    for (const fragment of [
      'holidays',
      'tranfers',
      'must be in 2025',
      'YYYY-MM-DD',
      'workingDay, dayOff or both',
    ]) {
      expect((error as Error).message).toContain(fragment);
    }
  });

  it('loads the file through the given reader and names the file when it is broken', async () => {
    const loaded = await loadCalendarFile('calendar/kz.json', () => Promise.resolve(KZ_JSON));
    expect(loaded.coverage(2026)).toBe('confirmed');
    await expect(loadCalendarFile('/etc/kz.json', () => Promise.resolve('{'))).rejects.toThrow(
      /\/etc\/kz\.json/,
    );
    await expect(
      loadCalendarFile('/etc/kz.json', () => Promise.resolve('{"years":{}}')),
    ).rejects.toMatchObject({
      code: 'GW_CALENDAR_INVALID',
      message: expect.stringContaining('/etc/kz.json') as unknown,
    });
  });

  it('warns when this year or the next lacks confirmed data', () => {
    expect(coverageWarnings(cal, at('2025-06-01T00:00:00Z'))).toEqual([]);
    expect(coverageWarnings(cal, at('2026-12-01T00:00:00Z'))).toEqual([
      expect.stringContaining('provisional data for 2027'),
    ]);
    expect(coverageWarnings(cal, at('2027-12-31T19:30:00Z'))).toHaveLength(2); // already 2028 in Almaty
  });
});

const instant = fc.date({
  min: at('2024-01-01T00:00:00Z'),
  max: at('2027-06-30T00:00:00Z'),
  noInvalidDate: true,
});
const count = fc.integer({ min: 1, max: 40 });

describe('addWorkingDays properties', () => {
  it('ends at an Almaty midnight right after the n-th working day after the day of sending', () => {
    fc.assert(
      fc.property(instant, count, (t, n) => {
        const deadline = cal.addWorkingDays(t, n);
        const end = toLocal(ALMATY_ZONE, deadline);
        expect([end.hour, end.minute, end.second, end.millisecond]).toEqual([0, 0, 0, 0]);
        const lastDay = addDays(end.date, -1);
        expect(cal.isWorkingDay(lastDay)).toBe(true);
        let worked = 0;
        for (let d = addDays(cal.toAlmaty(t).date, 1); d <= lastDay; d = addDays(d, 1)) {
          if (cal.isWorkingDay(d)) worked += 1;
        }
        expect(worked).toBe(n);
      }),
    );
  });

  it('is monotonic in T and strictly increasing in n', () => {
    fc.assert(
      fc.property(instant, instant, count, count, (a, b, n, m) => {
        const [t1, t2] = a <= b ? [a, b] : [b, a];
        expect(cal.addWorkingDays(t1, n).getTime()).toBeLessThanOrEqual(cal.addWorkingDays(t2, n).getTime());
        if (n !== m) {
          const [lo, hi] = n < m ? [n, m] : [m, n];
          expect(cal.addWorkingDays(t1, lo).getTime()).toBeLessThan(cal.addWorkingDays(t1, hi).getTime());
        }
      }),
    );
  });

  it('chains: n + m working days equal m working days counted from the last day of the first n', () => {
    fc.assert(
      fc.property(instant, count, count, (t, n, m) => {
        const first = cal.addWorkingDays(t, n);
        expect(cal.addWorkingDays(new Date(first.getTime() - 1), m)).toEqual(cal.addWorkingDays(t, n + m));
      }),
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
