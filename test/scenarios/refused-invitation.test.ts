/**
 * An invitation the carrier refuses for good at submit (ESME_RINVDSTADR: the number is wrong)
 * never reaches the phone: CONTRACT.md's `undeliverable`, with its one outcome, as a failed
 * delivery receipt makes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { drained, invite, outcomesOf, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

describe('an invitation the SMSC refuses for good', () => {
  it('is undeliverable, with one undeliverable outcome naming the carrier status, and no deadline', async () => {
    const phone = '77015550801';
    t.sim.setFaults({ rejectTo: [phone] });
    try {
      const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
      const ended = await stateReached(t, conv.id, 'undeliverable', 10_000);
      expect(ended.deadline).toBeNull();
      await drained(t);
      const outcomes = await outcomesOf(t, conv.id);
      expect(outcomes).toEqual([
        expect.objectContaining({
          outcome: 'undeliverable',
          state: 'undeliverable',
          carrier: { stat: 'REJECTD', err: 'ESME_RINVDSTADR' },
        }),
      ]);
    } finally {
      t.sim.setFaults({ rejectTo: [] });
    }
  });
});
