import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeGsm7 } from '../../sms/encoding.js';
import { CarrierSimulator } from '../../dev/simulator/server.js';
import type { SimulatorOptions } from '../../dev/simulator/server.js';
import { TestEsme } from './esme.js';

const SUBMIT = { destination_addr: '77011234567', data_coding: 0, short_message: encodeGsm7('hello') };

let sim: CarrierSimulator;
const esmes: TestEsme[] = [];
const bind = async (): Promise<TestEsme> => {
  const esme = await TestEsme.bound(sim);
  esmes.push(esme);
  return esme;
};
const start = async (options: SimulatorOptions = {}): Promise<void> => {
  sim = await CarrierSimulator.start({ port: 0, ...options });
};
/** Sends a submit and notes whether it was answered, without failing the test when it is not. */
const watch = (esme: TestEsme): { answered: () => boolean } => {
  let answered = false;
  esme.request('submit_sm', SUBMIT).then(
    () => (answered = true),
    () => undefined,
  );
  return { answered: () => answered };
};
const statuses = async (esme: TestEsme, n: number): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await esme.request('submit_sm', SUBMIT)).command_status);
  return out;
};

beforeEach(() => start());
afterEach(async () => {
  for (const esme of esmes.splice(0)) esme.close();
  await sim.stop();
});

describe('carrier simulator: faults', () => {
  it('throttles every Nth submit with ESME_RTHROTTLED', async () => {
    sim.setFaults({ throttleEvery: 2 });
    expect(await statuses(await bind(), 4)).toEqual([0, 0x58, 0, 0x58]);
    expect(sim.stats()).toMatchObject({ submitsAccepted: 2, submitsRefused: 2 });
  });

  it('throttles above N accepted submits per second (sliding window)', async () => {
    let now = 1_000_000;
    await sim.stop();
    await start({ now: () => new Date(now) });
    sim.setFaults({ throttlePerSecond: 3 });
    const esme = await bind();
    expect(await statuses(esme, 6)).toEqual([0, 0, 0, 0x58, 0x58, 0x58]);
    now += 1000;
    expect(await statuses(esme, 1)).toEqual([0]);
  });

  it('answers throttled submits with ESME_RMSGQFUL when configured so', async () => {
    sim.setFaults({ throttleEvery: 1, throttleStatus: 0x14 });
    expect(await statuses(await bind(), 2)).toEqual([0x14, 0x14]);
  });

  it('rejects every submit with a chosen status, and behaves again once the fault is cleared', async () => {
    const esme = await bind();
    sim.setFaults({ rejectStatus: 0x0b });
    expect(await statuses(esme, 1)).toEqual([0x0b]);
    sim.setFaults({ rejectStatus: 0 });
    expect(await statuses(esme, 1)).toEqual([0]);
  });

  it('delays submit_sm_resp: the submit is recorded before its response reaches the ESME', async () => {
    sim.setFaults({ responseDelayMs: 200 });
    const esme = await bind();
    const submit = watch(esme);
    await sim.nextSubmit();
    expect(submit.answered()).toBe(false);
    const again = await esme.request('submit_sm', SUBMIT);
    expect(again.command_status).toBe(0);
    expect(submit.answered()).toBe(true);
  });

  it('leaves submits unanswered while the connection stays up', async () => {
    sim.setFaults({ noResponse: true });
    const esme = await bind();
    const submit = watch(esme);
    const received = await sim.nextSubmit();
    expect(received.status).toBeUndefined();
    // enquire_link_resp comes after anything sent earlier on the same socket.
    expect((await esme.request('enquire_link')).command_status).toBe(0);
    expect(submit.answered()).toBe(false);
    expect(sim.stats().submitsUnanswered).toBe(1);
  });

  it('drops the connection at the Nth submit on each connection, unanswered', async () => {
    sim.setFaults({ dropAfterSubmits: 2 });
    const first = await bind();
    expect(await statuses(first, 1)).toEqual([0]);
    const second = watch(first);
    await first.closed;
    expect(second.answered()).toBe(false);
    const again = await bind();
    expect(await statuses(again, 1)).toEqual([0]);
    expect(sim.stats().drops).toBe(1);
  });

  it('records as accepted only the submits whose answer reached the ESME, even in a burst that trips a drop', async () => {
    sim.setFaults({ dropAfterSubmits: 20 });
    const esme = await bind();
    // 40 submits written back to back: several are still unread or unanswered when the 20th drops the link.
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => esme.request('submit_sm', SUBMIT)),
    );
    await esme.closed;
    const heard = results.filter((r) => r.status === 'fulfilled' && r.value.command_status === 0).length;
    const recorded = sim.submits.filter((x) => x.status === 0).length;
    expect(heard).toBeGreaterThan(0);
    expect(recorded).toBe(heard);
    expect(sim.stats().submitsAccepted).toBe(heard);
  });

  it('drops the connection right after answering the Nth submit in "resp" mode', async () => {
    sim.setFaults({ dropAfterSubmits: 1, dropMode: 'resp' });
    const esme = await bind();
    expect(await statuses(esme, 1)).toEqual([0]);
    await esme.closed;
  });

  it('ignores enquire_link when asked to', async () => {
    sim.setFaults({ ignoreEnquireLink: true });
    const esme = await bind();
    let answered = false;
    esme.request('enquire_link').then(
      () => (answered = true),
      () => undefined,
    );
    await esme.request('submit_sm', SUBMIT);
    expect(answered).toBe(false);
    expect(sim.stats().enquireLinks).toBe(1);
  });

  it('drop() cuts every ESME connection and reports how many', async () => {
    const [a, b] = [await bind(), await bind()];
    expect(await sim.drop()).toBe(2);
    await Promise.all([a.closed, b.closed]);
    expect(sim.stats()).toMatchObject({ open: 0, bound: 0 });
  });
});
