/**
 * An end to every SMS's story (docs/smpp.md): every SMS carries a validity_period, an SMS whose
 * receipt never comes is "delivery unknown" after RECEIPT_TIMEOUT_HOURS and the agent is told what
 * to say, and a temporary failure that outlives the maximum age fails for good — once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { metricValue } from '../smpp/helpers.js';
import { ofKind } from '../../store/timeline-entry.js';
import { startCarriersGateway, type CarriersGateway } from '../support/carriers.js';
import { eventually, KEYS } from '../support/gateway.js';

let t: CarriersGateway;
beforeAll(async () => {
  t = await startCarriersGateway({ start: { smsLifetime: { maxAgeMs: 300 } } });
});
afterAll(async () => {
  await t?.stop();
});

const PARAMS = { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' };

async function meals(msisdn: string): Promise<Conversation> {
  const { conversation } = await t.gateway.core.conversations.invite({
    service: 'school-meals',
    externalId: `life-${msisdn}`,
    msisdn,
    language: 'ru',
    params: PARAMS,
  });
  return conversation;
}

const statuses = async (id: string, smsId = '0.0') =>
  ((await t.gateway.core.store.withTimeline(id))?.timeline ?? [])
    .filter(ofKind('sms-status'))
    .filter((e) => e.smsId === smsId)
    .map((e) => e.status);

describe('an end to every SMS’s story', () => {
  it('a receipt that never comes: "delivery unknown" after 72 h, counted once, and the agent is told what to say', async () => {
    await t.tele2.control({ op: 'set', dlr_stat: 'NONE' });
    try {
      const phone = '77471240001';
      const conv = await meals(phone);
      const submit = await t.tele2.waitFor((l) => l.command === 'submit_sm' && l.destination_addr === phone);
      expect(submit.validity_period).toBe('000000100000000R'); // 24 h, cut at 21:00 Almaty (SEND_WINDOW)
      await eventually(async () => (await statuses(conv.id)).includes('sent'), 'the invitation sent');

      t.clock.advance(71 * 3600_000);
      await t.gateway.sweeper.tick();
      expect(await statuses(conv.id)).toEqual(['sent']);

      t.clock.advance(2 * 3600_000);
      await t.gateway.sweeper.tick();
      await t.gateway.sweeper.tick();
      expect(await statuses(conv.id)).toEqual(['sent', 'unknown']);
      expect(await metricValue(t.gateway.metrics, 'gateway_delivery_unknown_total')).toBe(1);
      const res = await fetch(`${t.gateway.httpUrl}/v1/conversations/${conv.id}`, {
        headers: { authorization: `Bearer ${KEYS.agent}` },
      });
      const view = (await res.json()) as { state: string; delivery: { ru: string } | null };
      expect(view.state).toBe('invited');
      expect(view.delivery?.ru).toMatch(/не подтвердил доставку/);
    } finally {
      await t.tele2.control({ op: 'set', dlr_stat: 'DELIVRD' });
    }
  });

  it('a delivered SMS is not marked unknown', async () => {
    const phone = '77471240002';
    const conv = await meals(phone);
    await eventually(async () => (await statuses(conv.id)).includes('delivered'), 'the receipt');
    t.clock.advance(73 * 3600_000);
    await t.gateway.sweeper.tick();
    expect(await statuses(conv.id)).not.toContain('unknown');
  });

  it('a temporary failure that outlives the maximum age fails the SMS for good, and it is never sent again', async () => {
    const phone = '77011240003';
    t.kcell.setFaults({ rejectStatus: 0x08 }); // ESME_RSYSERR: retryable
    try {
      const conv = await meals(phone);
      await eventually(async () => (await statuses(conv.id)).includes('failed'), 'the SMS failed', 10_000);
      const failed = ((await t.gateway.core.store.withTimeline(conv.id))?.timeline ?? [])
        .filter(ofKind('sms-status'))
        .find((e) => e.status === 'failed');
      expect(failed?.reason).toMatch(/not accepted within/);
      const tries = t.kcell.submits.filter((s) => s.destination === phone).length;
      expect(tries).toBeGreaterThanOrEqual(1);
      // Its job is failed, not retried any more: nothing more goes to the SMSC.
      const job = await t.gateway.core.queues.smsOut.getJob(`${conv.id}.0.0`);
      expect(await job?.getState()).toBe('failed');
      expect(t.kcell.submits.filter((s) => s.destination === phone)).toHaveLength(tries);
    } finally {
      t.kcell.setFaults({ rejectStatus: 0 });
    }
  });
});
