/**
 * What waits for its time is in /metrics: conversations `waiting` (the window closed, or the
 * number's codeless turn taken), SMS held for the sending window, and those of either still there
 * more than 5 minutes after they were due (the sweeper is not releasing them). Real Redis, the
 * simulator, a clock the test moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { deadlineRuns, drained, invite, messagesTo, numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { SEND_WINDOW: '09:00-21:00' } });
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('718');
const MEALS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Айдар' };
/** A wall-clock time in Almaty (UTC+5), as epoch ms. */
const almaty = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 5, mi);

async function gauges(): Promise<Record<string, number>> {
  const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
  const read = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
  };
  return {
    waiting: read('gateway_conversations_waiting'),
    held: read('gateway_sms_held'),
    waitingOverdue: read('gateway_held_overdue{kind="conversation"}'),
    heldOverdue: read('gateway_held_overdue{kind="sms"}'),
  };
}

describe('/metrics for the sending window', () => {
  it('counts conversations waiting and SMS held, flags them overdue when not released, and empties at the opening', async () => {
    expect(await gauges()).toEqual({ waiting: 0, held: 0, waitingOverdue: 0, heldOverdue: 0 });

    // Tuesday 20:50: school meals go at once; its repeat falls due on Friday 20:50 + 3 days' grace.
    t.clock.set(almaty(2026, 11, 24, 20, 50));
    const meals = msisdn();
    const request = await invite(t, 'school-meals', meals, MEALS);
    await t.sim.nextMessage((m) => m.destination === meals);
    const { deadline } = await deadlineRuns(t, request.id);

    // Tuesday 21:30: the home-schooling offer waits for Wednesday 09:00.
    t.clock.set(almaty(2026, 11, 24, 21, 30));
    const offer = await invite(t, 'home-schooling', msisdn(), homeSchoolingParams([KASPI]));
    expect(offer.state).toBe('waiting');
    expect(await gauges()).toMatchObject({ waiting: 1, held: 0 });

    // Friday 21:00 past: the repeat is due, outside the window: held until Monday 09:00.
    t.clock.set(Math.max(deadline, almaty(2026, 11, 27, 21, 5)));
    await t.gateway.sweeper.tick();
    await stateReached(t, request.id, 'invited');
    await drained(t);
    expect(messagesTo(t, meals)).toHaveLength(1);
    expect(await gauges()).toEqual({ waiting: 1, held: 1, waitingOverdue: 0, heldOverdue: 0 });

    // Monday 09:06 and no sweep since the opening: both are overdue.
    t.clock.set(almaty(2026, 11, 30, 9, 6));
    expect(await gauges()).toEqual({ waiting: 1, held: 1, waitingOverdue: 1, heldOverdue: 1 });

    await t.gateway.sweeper.tick();
    await stateReached(t, offer.id, 'invited');
    await drained(t);
    expect(messagesTo(t, meals)).toHaveLength(2);
    expect(await gauges()).toEqual({ waiting: 0, held: 0, waitingOverdue: 0, heldOverdue: 0 });
  });
});
