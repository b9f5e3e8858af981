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

/** The SMS's own job once the sender has failed it (the timeline shows the failure first). */
const jobFailed = (jobId: string) =>
  eventually(
    async () => (await (await t.gateway.core.queues.smsOut.getJob(jobId))?.getState()) === 'failed',
    `the job ${jobId} to be failed`,
  );

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
      // The invitation never reached the phone: the conversation is undeliverable.
      const ended = await eventually(async () => {
        const c = await t.gateway.core.conversations.get(conv.id);
        return c?.state === 'undeliverable' && c;
      }, 'the conversation undeliverable');
      expect(ended.delivery).toEqual({ stat: 'EXPIRED', err: 'ESME_RSYSERR' });
      const tries = t.kcell.submits.filter((s) => s.destination === phone).length;
      expect(tries).toBeGreaterThanOrEqual(1);
      // Its job is failed, not retried any more: nothing more goes to the SMSC. The job fails
      // just after the failure is in the timeline.
      await jobFailed(`${conv.id}.0.0`);
      expect(t.kcell.submits.filter((s) => s.destination === phone)).toHaveLength(tries);
    } finally {
      t.kcell.setFaults({ rejectStatus: 0 });
    }
  });

  it("an SMS waiting while its slow carrier holds its share of the sender's jobs ages as any other: past the maximum age it fails for good, never submitted", async () => {
    // Tuesday 24 November 2026, 10:00 Almaty: inside the sending window.
    t.clock.set(Date.UTC(2026, 10, 24, 5));
    // Tele2 answers each submit_sm after 30 s: its first SMS hold every job its share allows.
    await t.tele2.control({ op: 'set', delay_resp_ms: 30_000 });
    const phones = Array.from({ length: 10 }, (_, i) => `7747125${String(i).padStart(4, '0')}`);
    const failedBefore =
      (await metricValue(t.gateway.metrics, 'gateway_sms_total', { outcome: 'failed' })) ?? 0;
    try {
      const convs: Conversation[] = [];
      for (const phone of phones) convs.push(await meals(phone));
      const failure = async (id: string) =>
        ((await t.gateway.core.store.withTimeline(id))?.timeline ?? [])
          .filter(ofKind('sms-status'))
          .find((e) => e.status === 'failed');
      // The share is all but two of the sender's 8 jobs: the other four SMS wait, then fail by age.
      const waited = await eventually(
        async () => {
          const failed = await Promise.all(convs.map(async (c) => ({ c, f: await failure(c.id) })));
          const held = failed.filter(({ f }) => f?.reason?.includes("held their share of the sender's jobs"));
          return held.length === 4 && held;
        },
        'the SMS that waited for their share to fail by age',
        15_000,
      );
      for (const { c, f } of waited) {
        expect(f?.reason).toMatch(/^not accepted within/);
        expect(await statuses(c.id)).toEqual(['failed']);
        await jobFailed(`${c.id}.0.0`);
      }
      // The six that hold Tele2's share were submitted; none of the four that waited ever was.
      await t.tele2.waitFor(
        () =>
          t.tele2.received('submit_sm').filter((l) => phones.includes(String(l.destination_addr))).length >=
          6,
        10_000,
      );
      const waitedPhones = new Set(waited.map(({ c }) => c.msisdn));
      expect(
        t.tele2.received('submit_sm').filter((l) => waitedPhones.has(String(l.destination_addr))),
      ).toEqual([]);
      expect(
        await metricValue(t.gateway.metrics, 'gateway_sms_total', { outcome: 'failed' }),
      ).toBeGreaterThanOrEqual(failedBefore + 4);
    } finally {
      await t.tele2.control({ op: 'set', delay_resp_ms: 0 });
      await t.tele2.control({ op: 'drop' });
    }
  });
});
