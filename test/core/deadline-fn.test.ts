import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createCalendar } from '../../dialogue/calendar.js';
import { deadlineFrom } from '../../gateway/core/runtime.js';
import type { DeadlineSpec } from '../../services/schema.js';

const calendar = createCalendar(
  JSON.parse(readFileSync(new URL('../../calendar/kz.json', import.meta.url), 'utf8')) as unknown,
);

/** What the calendar counts for `spec` from `at`, asked afresh. */
function counted(spec: DeadlineSpec, at: number): number {
  const from = new Date(at);
  if ('workingDays' in spec) return calendar.addWorkingDays(from, spec.workingDays).getTime();
  if ('calendarDays' in spec) return calendar.addCalendarDays(from, spec.calendarDays).getTime();
  return calendar.addMonths(from, spec.months).getTime();
}

const spec = fc.oneof(
  fc.integer({ min: 1, max: 10 }).map((n): DeadlineSpec => ({ workingDays: n })),
  fc.integer({ min: 1, max: 10 }).map((n): DeadlineSpec => ({ calendarDays: n })),
  fc.integer({ min: 1, max: 3 }).map((n): DeadlineSpec => ({ months: n })),
);
/** 2024-01-01 to 2026-12-31 UTC, around the 2024 change of zone and every Almaty midnight. */
const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 11, 31) });

describe('the deadline function the engine counts terms with', () => {
  it("gives the calendar's own deadline whatever it counted before, instants of one Almaty day sharing one", () => {
    const deadline = deadlineFrom(calendar);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(spec, instant, fc.integer({ min: 0, max: 86_399_999 })), {
          minLength: 1,
          maxLength: 50,
        }),
        (cases) => {
          for (const [s, at, later] of cases) {
            expect(deadline(s, at)).toBe(counted(s, at));
            // The same day's midnight, a moment before the next one, and the same instant again.
            const local = calendar.toAlmaty(new Date(at));
            const midnight =
              at - (local.hour * 3600_000 + local.minute * 60_000 + local.second * 1000 + local.millisecond);
            for (const t of [midnight, midnight - 1, midnight + (later % 86_400_000), at])
              expect(deadline(s, t)).toBe(counted(s, t));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
