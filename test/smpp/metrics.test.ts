import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import { SUBMIT_DURATION_SAMPLE } from '../../gateway/smpp/metrics.js';
import { ReceiptClock } from '../../gateway/smpp/receipt-clock.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';
import { metricValue, testBind } from './helpers.js';

const skip = missing(perlSmsc);

let smsc: PerlSmsc | undefined;
let bind: SmppBind | undefined;

afterEach(async () => {
  await bind?.close();
  await smsc?.stop();
  bind = smsc = undefined;
});

describe.skipIf(skip)('session-layer metrics against the Perl SMSC', () => {
  it('a refused bind counts its status and each reconnect attempt', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort, { password: 'wrong' });
    bind = t.bind;
    await new Promise((resolve) => t.bind.once('bindError', resolve));
    await t.bind.waitFor('disconnected', 5000);
    expect(await metricValue(t.registry, 'smpp_bind_refusals_total', { status: 'ESME_RINVPASWD' })).toBe(1);
    expect(await metricValue(t.registry, 'smpp_reconnects_total', { bind: 'test-1' })).toBe(1);
  });

  it('exports the window size, counts every submit_sm response and times one in SUBMIT_DURATION_SAMPLE', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort, { window: 7 });
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    const parts = 2 * SUBMIT_DURATION_SAMPLE;
    await bind.submit({ to: '77011234567', text: 'x'.repeat(153 * parts) }); // GSM parts of 153
    const ok = { bind: 'test-1', status: 'ESME_ROK' };
    expect(await metricValue(t.registry, 'smpp_window_size', { bind: 'test-1' })).toBe(7);
    expect(await metricValue(t.registry, 'smpp_submits_total', ok)).toBe(parts);
    expect(await metricValue(t.registry, 'smpp_submit_duration_seconds_count', { bind: 'test-1' })).toBe(2);
    // Counted between scrapes and added once: a second scrape neither loses nor doubles them.
    await bind.submit({ to: '77011234567', text: 'one' });
    expect(await metricValue(t.registry, 'smpp_submits_total', ok)).toBe(parts + 1);
    expect(await metricValue(t.registry, 'smpp_submits_total', ok)).toBe(parts + 1);
  });

  it('counts a submit_sm left unanswered past its response timeout as RESPONSE_TIMEOUT', async () => {
    smsc = await PerlSmsc.start(['--delay-resp-ms', '2000']);
    const t = testBind(smsc.smppPort, { responseTimeoutMs: 200 });
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    await expect(bind.submit({ to: '77011234567', text: 'slow' })).rejects.toMatchObject({
      code: 'RESPONSE_TIMEOUT',
    });
    const timedOut = { bind: 'test-1', status: 'RESPONSE_TIMEOUT' };
    expect(await metricValue(t.registry, 'smpp_submits_total', timedOut)).toBe(1);
    expect(await metricValue(t.registry, 'smpp_submits_total', { bind: 'test-1', status: 'ESME_ROK' })).toBe(
      undefined,
    );
  });

  it('counts every throttle, and logs a bind the SMSC keeps throttling at warn once, the other pauses at debug', async () => {
    smsc = await PerlSmsc.start(['--throttle-every', '2']);
    const t = testBind(smsc.smppPort, { throttleBackoffMs: 5 });
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    await bind.submit({ to: '77011234567', text: 'x'.repeat(153 * 4) }); // 4 GSM parts, every 2nd submit throttled
    const throttles = await metricValue(t.registry, 'smpp_throttle_events_total', {
      bind: 'test-1',
      status: 'ESME_RTHROTTLED',
    });
    expect(throttles).toBeGreaterThanOrEqual(3);
    const pauses = t.logger.lines.filter((l) => l.msg === 'SMSC asked to slow down; pausing bind');
    expect(pauses).toHaveLength(throttles!);
    expect(pauses.map((l) => l.level)).toEqual(['warn', ...pauses.slice(1).map(() => 'debug')]);
  });

  it('reads the window in use when scraped: the submits awaiting their response', async () => {
    const sim = await CarrierSimulator.start({ port: 0, systemId: 'gw', password: 'secret' });
    try {
      const t = testBind(sim.port, { window: 7 });
      bind = t.bind;
      await bind.waitFor('bound', 5000);
      sim.setFaults({ noResponse: true });
      const pending = [1, 2, 3].map((n) =>
        bind!.submit({ to: '77011234567', text: `n${n}` }).catch(() => 'dropped'),
      );
      const inUse = () => metricValue(t.registry, 'smpp_window_in_use', { bind: 'test-1' });
      for (let i = 0; i < 100 && (await inUse()) !== 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await inUse()).toBe(3);
      await bind.close();
      expect(await Promise.all(pending)).toEqual(['dropped', 'dropped', 'dropped']);
      expect(await inUse()).toBe(0);
    } finally {
      await sim.stop();
    }
  });

  it('counts each deliver_sm by kind and by the status we answered', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort);
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    let fail = true;
    bind.onInbound(() =>
      fail ? Promise.reject(new Error('store down')) : Promise.resolve('stored' as const),
    );
    await smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: '1' });
    fail = false;
    await smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: '2' });
    const count = (status: string) =>
      metricValue(t.registry, 'smpp_deliver_sm_total', { bind: 'test-1', kind: 'reply', status });
    expect(await count('ESME_RX_T_APPN')).toBe(1);
    expect(await count('ESME_ROK')).toBe(1);
  });
});

describe('ReceiptClock', () => {
  it('times a receipt whose id is given in the other radix, once', () => {
    const clock = new ReceiptClock(100_000, 1);
    clock.accepted('kcell', '6B0527DA00000001', 1_000);
    const decimal = BigInt('0x6b0527da00000001').toString(10);
    expect(clock.receipt('kcell', decimal, 4_500)).toBe(3.5);
    expect(clock.receipt('kcell', '6b0527da00000001', 5_000)).toBeUndefined();
    clock.accepted('kcell', '1234', 1_000);
    expect(clock.receipt('kcell', '4D2', 2_000)).toBe(1);
  });

  it('keeps carriers apart: the same id at another carrier is another message', () => {
    const clock = new ReceiptClock(100_000, 1);
    clock.accepted('kcell', '42', 0);
    expect(clock.receipt('tele2', '42', 1_000)).toBeUndefined();
    expect(clock.receipt('kcell', '42', 1_000)).toBe(1);
  });

  it('forgets the oldest ids beyond its bound', () => {
    const clock = new ReceiptClock(2, 1);
    for (const id of ['a1', 'a2', 'a3', 'a4']) clock.accepted('c', id, 0);
    expect(clock.receipt('c', 'a1', 1_000)).toBeUndefined();
    expect(clock.receipt('c', 'a4', 1_000)).toBe(1);
  });

  it('times one part in `sample`, the first of each run of them', () => {
    const clock = new ReceiptClock(100_000, 4);
    const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
    for (const id of ids) clock.accepted('c', id, 0);
    expect(ids.filter((id) => clock.receipt('c', id, 1_000) !== undefined)).toEqual(['p0', 'p4']);
  });
});
