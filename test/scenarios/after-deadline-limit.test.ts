/**
 * No amplification after the deadline: a number whose conversation has expired sends many distinct
 * texts (no two alike, so none is deduplicated). It gets the "deadline has passed" SMS only as often
 * as the day's limit allows (gateway/core/reply-limits.ts); every text is still stored (in the
 * timeline, or folded into its count) and the SMS not sent are counted. The next Almaty day the limit
 * starts afresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLY_SMS_LIMITS, TIMELINE_REPLIES_PER_DAY } from '../../gateway/core/reply-limits.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { metricValue } from '../smpp/helpers.js';
import { deadlineRuns, drained, invite, messagesTo, numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const TEXTS = 40;
const AFTER_DEADLINE = /Срок ответа истек, ответ не принят/;
const LIMIT = REPLY_SMS_LIMITS['gateway.after-deadline'] ?? 0;
/** A wall-clock time in Almaty (UTC+5), as epoch ms. */
const almaty = (month: number, day: number, hour: number) => Date.UTC(2026, month - 1, day, hour - 5);

describe('texts from a number whose conversation has expired', () => {
  it('get the "deadline has passed" SMS only within the daily limit; the rest are stored and counted', async () => {
    expect(LIMIT).toBeGreaterThan(0);
    t.clock.set(almaty(10, 5, 10));
    const phone = numbers('718')();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    const { deadline } = await deadlineRuns(t, conv.id);
    t.clock.set(deadline + 3_600_000);
    await t.gateway.sweeper.tick();
    await stateReached(t, conv.id, 'expired');
    await t.sim.nextMessage((m) => m.destination === phone && /Срок ожидания ответа истек/.test(m.text));
    await drained(t);
    const before = messagesTo(t, phone).length;
    const limitedBefore =
      (await metricValue(t.gateway.metrics, 'gateway_reply_sms_limited_total', {
        template: 'gateway.after-deadline',
      })) ?? 0;

    for (let i = 0; i < TEXTS; i++) {
      const result = await t.sim.injectReply({ from: phone, text: `123#3#1 ещё раз ${i}` });
      expect(result.statuses).toEqual([0]);
    }
    await drained(t, 30_000);

    const answers = messagesTo(t, phone).slice(before);
    expect(answers).toHaveLength(LIMIT);
    for (const m of answers) expect(m.text).toMatch(AFTER_DEADLINE);

    // Stored: the day's first unaccepted replies in the timeline, the rest folded into a count.
    const timeline = await t.gateway.core.store.timeline(conv.id);
    const kept = timeline.filter((e) => e.kind === 'reply' && e.accepted === false);
    const folded = await t.gateway.core.conversations.limits.folded(conv.id);
    // A reply whose step lost every compare-and-set is retried and counted again: at most the limit.
    expect(kept.length).toBeGreaterThan(LIMIT);
    expect(kept.length).toBeLessThanOrEqual(TIMELINE_REPLIES_PER_DAY);
    expect(kept.length + folded).toBeGreaterThanOrEqual(TEXTS);
    // Counted: each kept reply beyond the limit has its "not sent" note, and the metric counts them.
    const notes = timeline.filter(
      (e) => e.kind === 'note' && e.text === 'gateway.after-deadline not sent (daily limit)',
    );
    expect(notes).toHaveLength(kept.length - LIMIT);
    const limited =
      ((await metricValue(t.gateway.metrics, 'gateway_reply_sms_limited_total', {
        template: 'gateway.after-deadline',
      })) ?? 0) - limitedBefore;
    expect(limited).toBeGreaterThanOrEqual(notes.length);

    // The next Almaty day, the limit starts afresh.
    t.clock.set(deadline + 25 * 3_600_000);
    expect((await t.sim.injectReply({ from: phone, text: 'а теперь?' })).statuses).toEqual([0]);
    const next = await t.sim.nextMessage(
      (m) => m.destination === phone && !answers.includes(m) && AFTER_DEADLINE.test(m.text),
    );
    expect(next.text).toMatch(AFTER_DEADLINE);
  }, 60_000);
});
