import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CarrierSimulator } from '../../dev/simulator/server.js';
import { TestEsme } from './esme.js';

const CITIZEN = '77011234567';

let sim: CarrierSimulator;
let esme: TestEsme;

beforeEach(async () => {
  sim = await CarrierSimulator.start({ port: 0 });
  esme = await TestEsme.bound(sim);
});
afterEach(async () => {
  esme.close();
  await sim.stop();
});

describe('carrier simulator: citizen replies (deliver_sm)', () => {
  it('injects a GSM reply from the citizen to 1414 with TON 1 NPI 1 and esm_class 0', async () => {
    const result = await sim.injectReply({ from: CITIZEN, text: '123#3#1' });
    expect(result.statuses).toEqual([0]);
    const got = await esme.nextDeliver();
    expect(got).toMatchObject({
      source: CITIZEN,
      sourceTon: 1,
      sourceNpi: 1,
      destination: '1414',
      esmClass: 0,
      dataCoding: 0,
    });
    expect(got.text).toBe('123#3#1');
  });

  it('injects a UCS2 reply, choosing UCS2 for Kazakh text by default', async () => {
    await sim.injectReply({ from: CITIZEN, text: 'Иә, келісемін' });
    const got = await esme.nextDeliver();
    expect(got.dataCoding).toBe(8);
    expect(got.text).toBe('Иә, келісемін');
  });

  it('sends a 3-part reply in the order [3,1,2] as 3 PDUs with correct UDH', async () => {
    const text = 'Сәлеметсіз бе! '.repeat(12);
    const result = await sim.injectReply({
      from: CITIZEN,
      text,
      encoding: 'ucs2',
      parts: 3,
      order: [3, 1, 2],
    });
    expect(result.pdus.map((p) => p.part)).toEqual([3, 1, 2]);
    const got = [await esme.nextDeliver(), await esme.nextDeliver(), await esme.nextDeliver()];
    expect(got.map((d) => d.esmClass)).toEqual([0x40, 0x40, 0x40]);
    expect(got.map((d) => d.concat?.seq)).toEqual([3, 1, 2]);
    const refs = new Set(got.map((d) => d.concat?.ref));
    expect(refs.size).toBe(1);
    expect(got.every((d) => d.concat?.total === 3 && d.concat.refBits === 8)).toBe(true);
    expect(got[0]!.udh?.length).toBe(6);
    const ordered = [...got].sort((a, b) => a.concat!.seq - b.concat!.seq);
    expect(ordered.map((d) => d.text).join('')).toBe(text);
  });

  it('uses a 16-bit reference (IEI 0x08) when asked', async () => {
    await sim.injectReply({ from: CITIZEN, text: 'x'.repeat(200), refBits: 16, ref: 0x1234 });
    const first = await esme.nextDeliver();
    expect(first.udh?.elements[0]).toMatchObject({ iei: 0x08 });
    expect(first.concat).toMatchObject({ ref: 0x1234, total: 2, seq: 1, refBits: 16 });
  });

  it('sends the same deliver_sm twice as a carrier retransmits, with new sequence numbers', async () => {
    const result = await sim.injectReply({ from: CITIZEN, text: '1', duplicate: 2 });
    expect(result.statuses).toEqual([0, 0]);
    const [a, b] = [await esme.nextDeliver(), await esme.nextDeliver()];
    expect(a.raw.subarray(16)).toEqual(b.raw.subarray(16));
    expect(a.sequence).not.toBe(b.sequence);
  });

  it("resolves with the ESME's deliver_sm_resp status for each PDU", async () => {
    esme.deliverStatus = (d) => (d.concat?.seq === 2 ? 0x64 : 0);
    const result = await sim.injectReply({ from: CITIZEN, text: 'y'.repeat(300) });
    expect(result.statuses).toEqual([0, 0x64]);
  });

  it('rejects with a clear error when the ESME does not answer', async () => {
    esme.answerDeliveries = false;
    await expect(sim.injectReply({ from: CITIZEN, text: 'late' }, { timeoutMs: 50 })).rejects.toThrow(
      /did not answer deliver_sm/,
    );
  });

  it('rejects when no receiver or transceiver is bound', async () => {
    esme.close();
    await sim.waitForNoConnections();
    await expect(sim.injectReply({ from: CITIZEN, text: 'x' })).rejects.toThrow(/no bound receiver/);
  });

  it('writes raw bytes (a malformed PDU) to the ESME for fuzz tests', async () => {
    const bogus = Buffer.from('00000010000000990000000000000007', 'hex');
    await sim.injectRaw(bogus);
    // The test ESME answers an unknown command with generic_nack, which the simulator records.
    const seen = await sim.nextPdu((p) => p.command === 'generic_nack');
    expect(seen).toMatchObject({ sequence: 7, status: 0x03 });
  });
});
