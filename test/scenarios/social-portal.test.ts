/**
 * Social Services Portal end to end (004, items 9-10): the "choose a supplier" SMS, then, if no
 * supplier is chosen within two months, the "choice blocked" SMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { drained, invite, messagesTo, numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { SEND_WINDOW: '09:00-21:00' } });
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('704');
const to = (m: string) => (x: { destination: string }) => x.destination === m;
/** The programme data reached the portal the day of the invitation (004 item 10 counts from it). */
const portal = (phone: string, language: 'kk' | 'ru' = 'ru', dataReceivedOn = '2026-11-24') =>
  invite(t, 'social-portal', phone, { fullName: 'Болат Сериков', dataReceivedOn }, { language });
/** 00:00 Almaty (UTC+5) on a day, as epoch ms. */
const almatyMidnight = (year: number, month: number, day: number) =>
  Date.UTC(year, month - 1, day) - 5 * 3600_000;

describe('social-portal end to end', () => {
  it('"choose a supplier", and after two months without a choice, "choice blocked"', async () => {
    // Tuesday 24 November 2026, 11:00 Almaty: two months run to the end of 24 January 2027.
    t.clock.set(almatyMidnight(2026, 11, 24) + 11 * 3600_000);
    const phone = msisdn();
    const conv = await portal(phone);
    const choose = await t.sim.nextMessage(to(phone));
    expect(choose.text).toContain('Болат Сериков');
    expect(choose.text).toMatch(/выберите поставщика/);
    expect(conv.deadline).toBe(almatyMidnight(2027, 1, 25));

    t.clock.set(almatyMidnight(2027, 1, 25) - 1);
    await t.gateway.sweeper.tick();
    expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('invited');

    t.clock.set(almatyMidnight(2027, 1, 25));
    await t.gateway.sweeper.tick();
    const closed = await stateReached(t, conv.id, 'closed');
    expect(closed.stage).toBe('blocked');
    // Monday 25 January 2027, 00:00: the blocking notice waits for the sending window (09:00).
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(1);
    t.clock.set(almatyMidnight(2027, 1, 25) + 9 * 3600_000);
    await t.gateway.sweeper.tick();
    const blocked = await t.sim.nextMessage(to(phone));
    expect(blocked.text).toMatch(/заблокирован/);
  });

  it('the 2 months count from the day the data reached the portal; a day in the future or too long ago is refused', async () => {
    t.clock.set(almatyMidnight(2026, 11, 24) + 11 * 3600_000);
    const conv = await portal(msisdn(), 'ru', '2026-10-02');
    expect(conv.deadline).toBe(almatyMidnight(2026, 12, 3));
    expect(conv.deadlineFrom).toBe(almatyMidnight(2026, 10, 2));
    await expect(portal(msisdn(), 'ru', '2026-11-25')).rejects.toMatchObject({
      code: 'GW_VALIDATION_FAILED',
      details: [{ path: 'params.dataReceivedOn', message: expect.stringContaining('future') }],
    });
    await expect(portal(msisdn(), 'ru', '2026-09-23')).rejects.toMatchObject({
      details: [{ path: 'params.dataReceivedOn', message: expect.stringContaining('too long ago') }],
    });
    await expect(portal(msisdn(), 'ru', '2026-02-30')).rejects.toMatchObject({
      details: [{ path: 'params.dataReceivedOn', message: 'must be a calendar date YYYY-MM-DD' }],
    });
  });

  it('a supplier chosen in time closes the conversation, and its deadline then sends nothing', async () => {
    const phone = msisdn();
    const conv = await portal(phone, 'kk');
    await t.sim.nextMessage(to(phone));
    const chosen = await t.gateway.core.conversations.upstream(conv.id, 'supplier-chosen', { key: 'sp-1' });
    expect(chosen.status).toBe('applied');
    t.clock.set(conv.deadline!);
    await t.gateway.sweeper.tick();
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(1);
    expect((await t.gateway.core.conversations.get(conv.id))?.stage).toBe('closed');
  });
});
