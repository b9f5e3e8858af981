/**
 * Carriers as they really are (docs/smpp.md, "Ported numbers"): three carriers — Kcell/Activ and
 * Beeline on the simulator, Tele2/Altel on the Perl SMSC — a citizen's reply teaching the gateway
 * where the number lives, "not our subscriber" answers sending the SMS once more elsewhere, and
 * the portability file reloaded while SMS go out.
 */
import { isDeepStrictEqual } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { metricValue } from '../smpp/helpers.js';
import { smsEntry } from '../../store/timeline-entry.js';
import { startCarriersGateway, type CarriersGateway } from '../support/carriers.js';
import { eventually, KEYS } from '../support/gateway.js';

let t: CarriersGateway;
beforeAll(async () => {
  t = await startCarriersGateway({
    extras: {
      kcell: { notSubscriber: { esme: ['0x0B'] } },
      tele2: { notSubscriber: { receiptErr: ['001'] } },
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

const PARAMS = { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' };
const to = (m: string) => (x: { destination: string }) => x.destination === m;

async function meals(msisdn: string): Promise<Conversation> {
  const { conversation } = await t.gateway.core.conversations.invite({
    service: 'school-meals',
    externalId: `meals-${msisdn}`,
    msisdn,
    language: 'ru',
    params: PARAMS,
  });
  return conversation;
}

/** A loose SMS (no conversation) to `msisdn`: where the gateway routes the number's next SMS. */
async function loose(msisdn: string, text: string): Promise<void> {
  await t.gateway.core.sms.add({
    conversationId: 'none',
    smsId: text.replace(/\W/g, '-'),
    to: msisdn,
    text,
    templateId: 'test.sms',
    asksConsent: false,
  });
}

const tele2Submits = (msisdn: string) =>
  t.tele2.received('submit_sm').filter((l) => l.destination_addr === msisdn);

async function timeline(id: string) {
  const stored = await t.gateway.core.store.withTimeline(id);
  return stored?.timeline ?? [];
}

describe('where a number lives', () => {
  it('a reply that came through another carrier teaches the gateway the number moved: the answer goes there', async () => {
    const phone = '77011230001'; // a Kcell prefix
    await meals(phone);
    await t.kcell.nextMessage(to(phone));
    expect((await t.beeline.injectReply({ from: phone, text: '3#1' })).statuses).toEqual([0]);
    const answer = await t.beeline.nextMessage(to(phone));
    expect(answer.text).toContain('socwallet');
    expect(t.kcell.messages.filter(to(phone))).toHaveLength(1);
  });

  it('an "unknown subscriber" receipt (Tele2 on the Perl SMSC) sends the invitation once more through the next carrier; the number stays there', async () => {
    await t.tele2.control({ op: 'set', dlr_stat: 'UNDELIV', dlr_err: '001' });
    try {
      const phone = '77471230002'; // a Tele2 prefix, ported to Beeline
      const conv = await meals(phone);
      const again = await t.beeline.nextMessage(to(phone), 10_000);
      const firstPart = await t.tele2.waitFor(
        (l) => l.dir === 'in' && l.command === 'submit_sm' && l.destination_addr === phone,
      );
      const parts = (firstPart.concat as { total?: number } | undefined)?.total ?? 1;
      await t.tele2.waitFor(() => tele2Submits(phone).length >= parts);
      expect(parts).toBeGreaterThan(0);
      expect(again.text).toContain(PARAMS.childFullName);
      const entries = await eventually(async () => {
        const tl = await timeline(conv.id);
        return tl.some((e) => e.kind === 'sms-status' && e.status === 'sent' && e.smsId === '0.0r') && tl;
      }, 'the second try sent');
      const first = smsEntry(entries, '0.0');
      const second = smsEntry(entries, '0.0r');
      expect(second).toMatchObject({ text: first?.text, sha256: first?.sha256, retryOf: '0.0' });
      expect(entries).toContainEqual(
        expect.objectContaining({
          kind: 'sms-status',
          smsId: '0.0',
          status: 'wrong-network',
          carrier: 'tele2',
        }),
      );
      expect((await t.gateway.core.conversations.get(conv.id))?.state).toBe('invited');
      await loose(phone, 'after the move');
      expect((await t.beeline.nextMessage(to(phone))).text).toBe('after the move');
      expect(tele2Submits(phone)).toHaveLength(parts);
    } finally {
      await t.tele2.control({ op: 'set', dlr_stat: 'DELIVRD', dlr_err: '000' });
    }
  });

  it('a submit refused as "not our subscriber" (ESME_RINVDSTADR at Kcell) goes through the next carrier, both tries in the timeline', async () => {
    const phone = '77021230003';
    t.kcell.setFaults({ rejectTo: [phone] });
    const conv = await meals(phone);
    await t.beeline.nextMessage(to(phone));
    expect(t.kcell.submits.filter((s) => s.destination === phone).map((s) => s.status)).toEqual([0x0b]);
    const entries = await eventually(async () => {
      const tl = await timeline(conv.id);
      return tl.some((e) => e.kind === 'sms-status' && e.status === 'wrong-network') && tl;
    }, 'the refused first try');
    expect(entries).toContainEqual(
      expect.objectContaining({
        smsId: '0.0',
        status: 'wrong-network',
        carrier: 'kcell',
        sentVia: 'beeline',
      }),
    );
    await loose(phone, 'next one');
    expect((await t.beeline.nextMessage(to(phone))).text).toBe('next one');
    t.kcell.setFaults({ rejectTo: [] });
  });

  it('a portability file rewritten while SMS go out: each SMS once, those after the reload through the new carrier', async () => {
    const phone = '77751230004'; // a Kcell prefix
    t.writePorted(['# ported numbers', `${phone} KAR-TEL`, 'garbage']);
    await eventually(
      () => Promise.resolve(t.gateway.transport.carrierFor(phone) === 'beeline'),
      'the first file',
    );
    let n = 0;
    let sending = true;
    const texts: string[] = [];
    const loop = (async () => {
      while (sending) {
        const text = `ported ${++n}`;
        texts.push(text);
        await loose(phone, text);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await eventually(() => Promise.resolve(n >= 5), 'a few SMS out');
    t.writePorted([`${phone} altel`]);
    await eventually(() => Promise.resolve(t.gateway.transport.carrierFor(phone) === 'tele2'), 'the reload');
    const atReload = n;
    await eventually(() => Promise.resolve(n >= atReload + 5), 'a few more SMS out');
    sending = false;
    await loop;
    const where = (text: string) =>
      t.beeline.messages.filter((m) => m.text === text).length +
      t.kcell.messages.filter((m) => m.text === text).length +
      t.tele2.received('submit_sm').filter((l) => l.text === text).length;
    await eventually(
      () => Promise.resolve(texts.every((x) => where(x) === 1)),
      'every SMS accepted once',
      10_000,
    );
    expect(t.kcell.messages.filter(to(phone))).toHaveLength(0);
    expect(tele2Submits(phone).length).toBeGreaterThanOrEqual(5);
    expect(await metricValue(t.gateway.metrics, 'gateway_portability_numbers')).toBe(1);
  });
});

describe('campaign progress per carrier', () => {
  it('counts each conversation by state under the carrier that accepted its invitation, moved by a second try elsewhere', async () => {
    const campaign = 'meals-carriers-1';
    const invite = async (msisdn: string) =>
      (
        await t.gateway.core.conversations.invite({
          service: 'school-meals',
          externalId: `${campaign}-${msisdn}`,
          msisdn,
          language: 'ru',
          params: PARAMS,
          campaign,
        })
      ).conversation;
    const kcellPhone = '77011239001';
    const beelinePhone = '77051239002';
    const movedPhone = '77471239003'; // a Tele2 prefix whose SMSC says "unknown subscriber"
    await invite(kcellPhone);
    await invite(beelinePhone);
    await t.kcell.nextMessage(to(kcellPhone));
    await t.beeline.nextMessage(to(beelinePhone));
    await t.tele2.control({ op: 'set', dlr_stat: 'UNDELIV', dlr_err: '001' });
    try {
      await invite(movedPhone);
      await t.beeline.nextMessage(to(movedPhone), 10_000);
    } finally {
      await t.tele2.control({ op: 'set', dlr_stat: 'DELIVRD', dlr_err: '000' });
    }
    await t.kcell.injectReply({ from: kcellPhone, text: '3#1' });

    const expected = {
      states: { invited: 2, consented: 1 },
      carriers: { kcell: { states: { consented: 1 } }, beeline: { states: { invited: 2 } } },
    };
    const progress = await eventually(
      async () => {
        const p = await t.gateway.core.campaigns.progress(campaign);
        return isDeepStrictEqual({ states: p?.states, carriers: p?.carriers }, expected) && p;
      },
      'the counts per carrier',
      15_000,
    );
    expect(progress).toMatchObject(expected);

    const res = await request(t.gateway.httpUrl)
      .get(`/v1/campaigns/${campaign}`)
      .set('Authorization', `Bearer ${KEYS.system}`);
    expect(res.status).toBe(200);
    expect(res.body.progress).toMatchObject(expected);
  });
});

describe('a carrier whose binds are all down', () => {
  let f: CarriersGateway;
  afterAll(async () => {
    await f?.stop();
  });

  it('its SMS wait, counted in /metrics and /readyz; after its fail-over time they go through the fail-over carrier', async () => {
    f = await startCarriersGateway({
      extras: { tele2: { failover: { carrier: 'beeline', afterSeconds: 2 } } },
    });
    await f.tele2.stop();
    await f.gateway.transport.until((cs) => cs.find((c) => c.id === 'tele2')?.ready === false, 5000);
    const phone = '77071250001';
    await f.gateway.core.sms.add({
      conversationId: 'none',
      smsId: 'waits',
      to: phone,
      text: 'waits for Tele2',
      templateId: 'test.sms',
      asksConsent: false,
    });
    // Before the fail-over time it waits: readiness still 200 (other carriers are up), its body says so.
    const body = await eventually(async () => {
      const res = await fetch(`${f.gateway.httpUrl}/readyz`);
      const json = (await res.json()) as {
        carriers: Array<{ id: string; waiting: { sms: number }; failover: string | null }>;
      };
      const tele2 = json.carriers.find((c) => c.id === 'tele2');
      return res.status === 200 && tele2 && tele2.waiting.sms === 1 ? tele2 : undefined;
    }, 'the SMS waiting in /readyz');
    expect(body.failover).toBe('beeline');
    expect(await metricValue(f.gateway.metrics, 'smpp_carrier_waiting_sms', { carrier: 'tele2' })).toBe(1);
    expect(
      await metricValue(f.gateway.metrics, 'smpp_carrier_down_seconds', { carrier: 'tele2' }),
    ).toBeGreaterThan(0);
    const through = await f.beeline.nextMessage(to(phone), 10_000);
    expect(through.text).toBe('waits for Tele2');
    expect(f.kcell.messages.filter(to(phone))).toHaveLength(0);
    await eventually(
      async () =>
        (await metricValue(f.gateway.metrics, 'smpp_carrier_waiting_sms', { carrier: 'tele2' })) === 0,
      'nothing waits any more',
    );
  });
});

describe('a carrier whose SMSC answers slowly', () => {
  let f: CarriersGateway;
  afterAll(async () => {
    await f?.stop();
  });

  it("holds only its share of the sender's jobs: another carrier's SMS goes before its submits time out", async () => {
    f = await startCarriersGateway();
    // Tele2 answers each submit_sm after 30 s: past the 10 s response timeout.
    await f.tele2.control({ op: 'set', delay_resp_ms: 30_000 });
    try {
      for (let i = 0; i < 12; i++)
        await f.gateway.core.sms.add({
          conversationId: 'none',
          smsId: `slow-${i}`,
          to: `7707126${String(i).padStart(4, '0')}`,
          text: `slow ${i}`,
          templateId: 'test.sms',
          asksConsent: false,
        });
      // Every job the sender may give Tele2 is waiting on it.
      await f.tele2.waitFor(() => f.tele2.received('submit_sm').length >= 6, 10_000);
      await f.gateway.core.sms.add({
        conversationId: 'none',
        smsId: 'fast',
        to: '77051260001',
        text: 'not held up',
        templateId: 'test.sms',
        asksConsent: false,
      });
      expect((await f.beeline.nextMessage(to('77051260001'), 15_000)).text).toBe('not held up');
      expect(
        (await metricValue(f.gateway.metrics, 'smpp_submits_total', {
          bind: 'tele2-1',
          status: 'RESPONSE_TIMEOUT',
        })) ?? 0,
      ).toBe(0);
      expect(await metricValue(f.gateway.metrics, 'gateway_sms_total', { outcome: 'busy' })).toBeGreaterThan(
        0,
      );
    } finally {
      await f.tele2.control({ op: 'set', delay_resp_ms: 0 });
      await f.tele2.control({ op: 'drop' });
    }
  });
});
