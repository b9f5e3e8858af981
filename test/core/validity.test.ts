/**
 * A notice's validity_period ends with the sending window (the carriers' daytime rule): an
 * invitation, a repeat, an expiry, blocking or assignment notice sent at 20:00 Almaty expires at
 * 21:00, so the SMSC never delivers it at night; an answer to the citizen's own SMS keeps the
 * configured validity.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR_FILE, loadCalendarFile } from '../../dialogue/calendar.js';
import { parseSendWindow, windowEnd, type SendWindow } from '../../dialogue/window.js';
import { DEFAULT_LIFETIME, validityOf } from '../../gateway/core/sender.js';
import type { SmsOutJob } from '../../queues/jobs.js';

const calendar = await loadCalendarFile(DEFAULT_CALENDAR_FILE, (p) => readFile(p, 'utf8'));
const window = parseSendWindow('09:00-21:00') as SendWindow;
const lifetime = {
  ...DEFAULT_LIFETIME,
  windowEnd: (now: number) => windowEnd(window, calendar, now) ?? undefined,
};
/** Tuesday 24 November 2026, 20:00 Almaty (UTC+5). */
const evening = Date.UTC(2026, 10, 24, 15);
const sms = (extra: Partial<SmsOutJob>): SmsOutJob => ({
  conversationId: 'c',
  smsId: '1.0',
  to: '77011234567',
  text: 'x',
  templateId: 'home-schooling.expired',
  asksConsent: false,
  ...extra,
});

describe('validity_period and the sending window', () => {
  it.each([
    ['an expiry notice', { notice: true }],
    ['a blocking notice', { notice: true, templateId: 'social-portal.choice-blocked' }],
    ['an invitation', { asksConsent: true, notice: true, templateId: 'school-meals.request' }],
  ])('%s sent at 20:00 is valid until 21:00', (_label, extra) => {
    expect(validityOf(lifetime, sms(extra), evening)).toBe(3600);
  });

  it('an answer to the citizen’s own SMS keeps the configured 24 hours', () => {
    expect(validityOf(lifetime, sms({ templateId: 'school-meals.consented' }), evening)).toBe(24 * 3600);
  });
});
