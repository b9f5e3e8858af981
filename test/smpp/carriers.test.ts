import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, type CarrierRouter, type CarrierStatus } from '../../gateway/smpp/carriers.js';
import type { InboundEvent } from '../../gateway/core/ports.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';
import { carrier, FAST } from './carrier-config.js';
import { deferred, metricValue, recordingLogger } from './helpers.js';

const skip = missing(perlSmsc);

let smscs: PerlSmsc[] = [];
let router: CarrierRouter | undefined;

afterEach(async () => {
  await router?.close();
  await Promise.all(smscs.map((s) => s.stop()));
  smscs = [];
  router = undefined;
});

/** Two carriers, each on its own SMSC: `kcell` (routes 7701, 7702; two binds) and `beeline` (default). */
async function twoCarriers(kcellArgs: string[] = []) {
  const [kcell, beeline] = await Promise.all([PerlSmsc.start(kcellArgs), PerlSmsc.start()]);
  smscs = [kcell, beeline];
  const registry = new Registry();
  router = createTransport(
    {
      sourceAddr: '1414',
      defaultCarrier: 'beeline',
      carriers: [
        carrier('kcell', kcell.smppPort, { routes: ['7701', '7702'], bind: { count: 2 } }),
        carrier('beeline', beeline.smppPort),
      ],
    },
    { logger: recordingLogger(), registry, ...FAST },
  );
  return { kcell, beeline, registry, router };
}

/** Every bind of the named carriers is bound. */
const allBound =
  (...ids: string[]) =>
  (carriers: readonly CarrierStatus[]): boolean =>
    carriers.filter((c) => ids.includes(c.id)).every((c) => c.binds.every((b) => b.state === 'bound'));

describe.skipIf(skip)('CarrierRouter against two Perl SMSCs', () => {
  it('routes by prefix, spreads a carrier over its binds, and sends the rest to the default carrier', async () => {
    const { kcell, beeline, router } = await twoCarriers();
    await router.until(allBound('kcell', 'beeline'), 5000);
    const to = ['77011234567', '77021234567', '77011234568', '77021234568', '77471234567'];
    const results = await Promise.all(to.map((n, i) => router.submit({ to: n, text: `m${i}` })));
    expect(results.map((r) => r.carrier)).toEqual(['kcell', 'kcell', 'kcell', 'kcell', 'beeline']);
    expect(
      results
        .filter((r) => r.carrier === 'kcell')
        .map((r) => r.bindId)
        .sort(),
    ).toEqual(['kcell-1', 'kcell-1', 'kcell-2', 'kcell-2']);
    expect(new Set((await kcell.receivedAtLeast('submit_sm', 4)).map((l) => l.conn)).size).toBe(2);
    expect((await beeline.receivedAtLeast('submit_sm', 1)).map((l) => l.destination_addr)).toEqual([
      '77471234567',
    ]);
  });
});

describe.skipIf(skip)('CarrierRouter inbound, readiness and shutdown', () => {
  it('every bind delivers to the one handler, each event tagged with its carrier, and final receipts are timed', async () => {
    const { kcell, beeline, registry, router } = await twoCarriers(['--dlr-delay-ms', '20']);
    const events: InboundEvent[] = [];
    const gotBoth = deferred();
    router.onInbound((event) => {
      events.push(event);
      if (events.length === 2) gotBoth.resolve();
      return Promise.resolve('stored' as const);
    });
    await router.until(allBound('kcell', 'beeline'), 5000);
    const sent = await router.submit({ to: '77011234567', text: 'receipt please' });
    const mo = await beeline.control({ op: 'mo', from: '77471234567', to: '1414', text: '3#1' });
    expect(mo.statuses).toEqual([0]);
    await gotBoth.promise;
    const receipt = events.find((e) => e.kind === 'receipt');
    const reply = events.find((e) => e.kind === 'reply');
    expect(receipt).toMatchObject({ carrier: 'kcell', messageId: sent.parts[0]!.messageId, stat: 'DELIVRD' });
    expect(reply).toMatchObject({ carrier: 'beeline', bindId: 'beeline-1', text: '3#1' });
    await kcell.waitFor((l) => l.command === 'deliver_sm_resp' && l.command_status === 0);
    expect(await metricValue(registry, 'smpp_receipt_latency_seconds_count', { carrier: 'kcell' })).toBe(1);
    expect(
      await metricValue(registry, 'smpp_deliver_sm_total', {
        bind: 'beeline-1',
        kind: 'reply',
        status: 'ESME_ROK',
      }),
    ).toBe(1);
  });

  it('a carrier whose SMSC is gone is not ready and refuses its MT as retryable; the other carrier still sends', async () => {
    const { kcell, registry, router } = await twoCarriers();
    await router.until(allBound('kcell', 'beeline'), 5000);
    expect(router.ready()).toBe(true);
    expect(await metricValue(registry, 'smpp_carrier_ready', { carrier: 'kcell' })).toBe(1);

    await kcell.stop();
    await router.until((cs) => cs.find((c) => c.id === 'kcell')?.ready === false, 5000);
    const status = router.carriers().find((c) => c.id === 'kcell')!;
    expect(status.binds.every((b) => b.state !== 'bound')).toBe(true);
    expect(router.ready()).toBe(true); // beeline is still bound
    expect(router.state).toBe('bound');
    expect(await metricValue(registry, 'smpp_carrier_ready', { carrier: 'kcell' })).toBe(0);
    await expect(router.submit({ to: '77011234567', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_BOUND',
      retryable: true,
    });
    expect((await router.submit({ to: '77471234567', text: 'y' })).carrier).toBe('beeline');
  });

  it('close() unbinds every bind of every carrier and ends closed', async () => {
    const { kcell, beeline, router } = await twoCarriers();
    await router.until(allBound('kcell', 'beeline'), 5000);
    await router.close();
    expect(router.state).toBe('closed');
    expect(router.ready()).toBe(false);
    expect(await kcell.receivedAtLeast('unbind', 2)).toHaveLength(2);
    expect(await beeline.receivedAtLeast('unbind', 1)).toHaveLength(1);
  });
});
