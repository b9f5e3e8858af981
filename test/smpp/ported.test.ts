import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, type CarrierRouter } from '../../gateway/smpp/carriers.js';
import { operatorNames, PortabilityBuilder } from '../../gateway/smpp/portability.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { carrier, FAST } from './carrier-config.js';
import { recordingLogger } from './helpers.js';

let sims: CarrierSimulator[] = [];
let router: CarrierRouter | undefined;

afterEach(async () => {
  await router?.close();
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
  router = undefined;
});

/** Kcell/Activ (7701, 7702, 7775), Beeline (7705, 7777; the default), Tele2/Altel (7707, 7747), each its own SMSC. */
async function threeCarriers(options: { ported?: string[]; kcellNotSubscriber?: number[] } = {}) {
  const [kcell, beeline, tele2] = await Promise.all(
    [0, 1, 2].map(() => CarrierSimulator.start({ port: 0, receiptDelayMs: 0 })),
  );
  sims = [kcell!, beeline!, tele2!];
  const carriers = [
    carrier('kcell', kcell!.port, {
      routes: ['7701', '7702', '7775'],
      portabilityNames: ['KCELL', 'ACTIV'],
      ...(options.kcellNotSubscriber
        ? { notSubscriber: { esme: options.kcellNotSubscriber, receiptErr: [] } }
        : {}),
    }),
    carrier('beeline', beeline!.port, { routes: ['7705', '7777'], portabilityNames: ['KAR-TEL'] }),
    carrier('tele2', tele2!.port, { routes: ['7707', '7747'], portabilityNames: ['ALTEL'] }),
  ];
  const builder = new PortabilityBuilder(operatorNames(carriers));
  for (const line of options.ported ?? []) builder.add(line);
  const { table } = builder.build();
  router = createTransport(
    { sourceAddr: '1414', defaultCarrier: 'beeline', carriers },
    { logger: recordingLogger(), registry: new Registry(), ...FAST, portability: () => table },
  );
  await Promise.all(sims.map((s) => s.waitForBind()));
  await router.until((cs) => cs.every((c) => c.ready), 5000);
  return { kcell: kcell!, beeline: beeline!, tele2: tele2!, router };
}

describe('routing a number: ported, learned, prefix, default', () => {
  it('takes the portability file first, then the learned carrier, then the longest prefix, then the default', async () => {
    const { router } = await threeCarriers({ ported: ['77011234567 ALTEL'] });
    expect(router.carrierFor('77011234567')).toBe('tele2'); // ported away from Kcell
    expect(router.carrierFor('77011234567', 'beeline')).toBe('tele2'); // the file wins over a learned carrier
    expect(router.carrierFor('77021234567', 'beeline')).toBe('beeline'); // learned from a reply
    expect(router.carrierFor('77021234567')).toBe('kcell'); // prefix
    expect(router.carrierFor('77001234567')).toBe('beeline'); // default
    expect(router.candidates('77011234567', undefined, ['tele2'])).toEqual(['kcell', 'beeline']);
  });

  it('sends a ported number’s SMS through the carrier that serves it now', async () => {
    const { tele2, kcell, router } = await threeCarriers({ ported: ['77011234567 altel'] });
    const sent = await router.submit({ to: '77011234567', text: 'ported' });
    expect(sent.carrier).toBe('tele2');
    expect((await tele2.nextMessage()).destination).toBe('77011234567');
    expect(kcell.submits).toHaveLength(0);
  });
});

describe('"not our subscriber" in a submit_sm_resp', () => {
  it('sends the SMS once more through the next likely carrier and says who refused it', async () => {
    const { kcell, beeline, router } = await threeCarriers({ kcellNotSubscriber: [0x0b] });
    kcell.setFaults({ rejectTo: ['77011110000'] });
    const sent = await router.submit({ to: '77011110000', text: 'moved away' });
    expect(sent).toMatchObject({
      carrier: 'beeline',
      firstTry: { carrier: 'kcell', status: 'ESME_RINVDSTADR' },
    });
    expect((await beeline.nextMessage()).destination).toBe('77011110000');
  });

  it('a status the carrier does not list as "not our subscriber" fails as before', async () => {
    const { kcell, router } = await threeCarriers();
    kcell.setFaults({ rejectTo: ['77011110000'] });
    await expect(router.submit({ to: '77011110000', text: 'x' })).rejects.toMatchObject({
      code: 0x0b,
      retryable: false,
    });
  });

  it('never goes back to a carrier the number is known not to be on', async () => {
    const { tele2, router } = await threeCarriers();
    const sent = await router.submit({ to: '77011110000', text: 'x', avoidCarriers: ['kcell', 'beeline'] });
    expect(sent.carrier).toBe('tele2');
    expect((await tele2.nextMessage()).destination).toBe('77011110000');
  });
});
