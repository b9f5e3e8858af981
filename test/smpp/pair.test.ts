import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, type CarrierRouter } from '../../gateway/smpp/carriers.js';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import type { InboundEvent } from '../../gateway/core/ports.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';
import { carrier, FAST } from './carrier-config.js';
import { deferred, recordingLogger, testBind } from './helpers.js';

const skip = missing(perlSmsc);

let smsc: PerlSmsc | undefined;
let router: CarrierRouter | undefined;
let bind: SmppBind | undefined;

afterEach(async () => {
  await router?.close();
  await bind?.close();
  await smsc?.stop();
  smsc = router = bind = undefined;
});

async function pair() {
  smsc = await PerlSmsc.start(['--dlr-delay-ms', '20']);
  router = createTransport(
    {
      sourceAddr: '1414',
      defaultCarrier: 'tele2',
      carriers: [carrier('tele2', smsc.smppPort, { bind: { mode: 'pair' } })],
    },
    { logger: recordingLogger(), registry: new Registry(), ...FAST },
  );
  await router.until((cs) => cs.every((c) => c.binds.every((b) => b.state === 'bound')), 5000);
  const connOf = async (command: string): Promise<unknown> =>
    (await smsc!.waitFor((l) => l.dir === 'in' && l.command === command)).conn;
  return { smsc, router, tx: await connOf('bind_transmitter'), rx: await connOf('bind_receiver') };
}

describe.skipIf(skip)('transmitter + receiver pair against the Perl SMSC', () => {
  it('binds one transmitter and one receiver, both with interface_version 0x34', async () => {
    const { smsc, router, tx, rx } = await pair();
    expect(tx).not.toBe(rx);
    expect(smsc.received('bind_transceiver')).toHaveLength(0);
    expect((await smsc.receivedAtLeast('bind_transmitter', 1))[0]?.interface_version).toBe(0x34);
    expect((await smsc.receivedAtLeast('bind_receiver', 1))[0]?.interface_version).toBe(0x34);
    expect(router.carriers()[0]!.binds.map((b) => [b.id, b.mode])).toEqual([
      ['tele2-1-tx', 'transmitter'],
      ['tele2-1-rx', 'receiver'],
    ]);
  });

  it('submits go on the transmitter; their receipts and the replies come in on the receiver', async () => {
    const { smsc, router, tx, rx } = await pair();
    const events: InboundEvent[] = [];
    const both = deferred();
    router.onInbound((event) => {
      events.push(event);
      if (events.length === 2) both.resolve();
      return Promise.resolve('stored' as const);
    });
    const sent = await router.submit({ to: '77071234567', text: 'Сәлем' });
    expect(sent.bindId).toBe('tele2-1-tx');
    expect((await smsc.receivedAtLeast('submit_sm', 1)).map((l) => l.conn)).toEqual([tx]);
    await smsc.control({ op: 'mo', from: '77071234567', to: '1414', text: '1#2' });
    await both.promise;
    expect(events.map((e) => [e.kind, e.bindId]).sort()).toEqual([
      ['receipt', 'tele2-1-rx'],
      ['reply', 'tele2-1-rx'],
    ]);
    expect(events.find((e) => e.kind === 'receipt')).toMatchObject({ messageId: sent.parts[0]!.messageId });
    // The SMSC's log lines arrive on its stderr, possibly after our handler saw the PDUs.
    await smsc.waitFor(() => smsc.log.filter((l) => l.command === 'deliver_sm_resp').length === 2);
    const delivered = smsc.log.filter((l) => l.dir === 'out' && l.command === 'deliver_sm');
    expect(delivered.map((l) => l.conn)).toEqual([rx, rx]);
    expect(delivered.map((l) => l.kind).sort()).toEqual(['dlr', 'mo']);
  });

  it('a receiver bind refuses to submit, locally and as retryable (another bind can carry it)', async () => {
    smsc = await PerlSmsc.start();
    bind = testBind(smsc.smppPort, { mode: 'receiver' }).bind;
    await bind.waitFor('bound', 5000);
    expect(bind.canSubmit).toBe(false);
    await expect(bind.submit({ to: '77071234567', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_BOUND',
      retryable: true,
    });
    expect(smsc.received('submit_sm')).toHaveLength(0);
  });
});
