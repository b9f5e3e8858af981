import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConcatUdh, encodeGsm7, encodeUcs2, segment } from '../../sms/encoding.js';
import { CarrierSimulator } from '../../dev/simulator/server.js';
import { TestEsme } from './esme.js';

const CITIZEN = '77011234567';
// 110 UTF-16 units: two UCS2 parts of at most 67 (or 66 with a 16-bit reference), one surrogate pair.
const KAZAKH =
  'Құрметті Айгүл Сейітқызы! Сізге мемлекеттік қызмет бойынша өтінім берілді. Жауап үшін 1414 нөміріне жазыңыз 🙂';

let sim: CarrierSimulator;
let esme: TestEsme;

beforeEach(async () => {
  sim = await CarrierSimulator.start({ port: 0, receiptDelayMs: 0 });
  esme = await TestEsme.bound(sim);
});
afterEach(async () => {
  esme.close();
  await sim.stop();
});

/** What the gateway will do: encode and split itself, pass bytes, set data_coding and esm_class. */
function concatenatedSubmits(text: string, ref: number, refBits: 8 | 16 = 8): Array<Record<string, unknown>> {
  const seg = segment(text, { ref16: refBits === 16 });
  return seg.parts.map((part, i) => ({
    source_addr: '1414',
    destination_addr: CITIZEN,
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    esm_class: 0x40,
    data_coding: seg.dataCoding,
    registered_delivery: 1,
    short_message: Buffer.concat([
      buildConcatUdh({ ref, total: seg.parts.length, seq: i + 1, refBits }),
      seg.encoding === 'ucs2' ? encodeUcs2(part) : encodeGsm7(part),
    ]),
  }));
}

describe('carrier simulator: submit_sm', () => {
  it('reassembles a two-part UCS2 Kazakh message with UDH into its intact text, with both part ids', async () => {
    const parts = concatenatedSubmits(KAZAKH, 42);
    expect(parts).toHaveLength(2);
    const resps = [];
    for (const fields of parts) resps.push(await esme.request('submit_sm', fields));
    const message = await sim.nextMessage((m) => m.destination === CITIZEN);
    expect(message.text).toBe(KAZAKH);
    expect(message.dataCoding).toBe(8);
    expect(message.parts).toHaveLength(2);
    expect(message.messageIds).toEqual(resps.map((r) => r.message_id));
    expect(message.concat).toMatchObject({ method: 'udh', ref: 42, total: 2, refBits: 8 });
  });

  it('keeps each received part for inspection: text, data_coding, esm_class, UDH concat info, registered_delivery', async () => {
    for (const fields of concatenatedSubmits(KAZAKH, 7, 16)) await esme.request('submit_sm', fields);
    const first = await sim.nextSubmit();
    const second = await sim.nextSubmit();
    expect(first).toMatchObject({
      dataCoding: 8,
      esmClass: 0x40,
      registeredDelivery: 1,
      destination: CITIZEN,
      status: 0,
    });
    expect(first.concat).toEqual({ method: 'udh', ref: 7, total: 2, seq: 1, refBits: 16 });
    expect(second.concat?.seq).toBe(2);
    expect(first.text + second.text).toBe(KAZAKH);
    expect(first.udh?.elements[0]?.iei).toBe(0x08);
  });

  it('gives every accepted submit a unique 16-hex-digit message id', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 20; i++) {
      const resp = await esme.request('submit_sm', {
        destination_addr: CITIZEN,
        data_coding: 0,
        short_message: encodeGsm7(`n${i}`),
      });
      expect(resp.message_id).toMatch(/^[0-9a-f]{16}$/);
      ids.add(resp.message_id);
    }
    expect(ids.size).toBe(20);
  });

  it('reassembles parts concatenated with sar_* TLVs, arriving out of order', async () => {
    const seg = segment('A'.repeat(150) + ' and the rest of a long GSM text', { encoding: 'gsm7' });
    const send = (i: number): Promise<unknown> =>
      esme.request('submit_sm', {
        destination_addr: CITIZEN,
        data_coding: 0,
        short_message: encodeGsm7(seg.parts[i]!),
        sar_msg_ref_num: 0x1234,
        sar_total_segments: 2,
        sar_segment_seqnum: i + 1,
      });
    await send(1);
    await send(0);
    const message = await sim.nextMessage();
    expect(message.text).toBe(seg.parts.join(''));
    expect(message.concat).toMatchObject({ method: 'sar', ref: 0x1234, total: 2 });
    const tlvNames = sim.submits[0]!.tlvs.map((t) => t.name);
    expect(tlvNames).toEqual(['sar_msg_ref_num', 'sar_total_segments', 'sar_segment_seqnum']);
  });

  it('decodes GSM 03.38 text with extension characters as the gateway encoded it', async () => {
    const text = 'Balance: 100€ [ok] {x} @home_$';
    await esme.request('submit_sm', {
      destination_addr: CITIZEN,
      data_coding: 0,
      short_message: encodeGsm7(text),
    });
    expect((await sim.nextMessage()).text).toBe(text);
  });

  it('sends a delivery receipt with receipted_message_id, message_state and the usual text when registered_delivery is 1', async () => {
    const resp = await esme.request('submit_sm', {
      source_addr: '1414',
      destination_addr: CITIZEN,
      data_coding: 0,
      registered_delivery: 1,
      short_message: encodeGsm7('Your application 123 is accepted'),
    });
    const receipt = await esme.nextDeliver();
    expect(receipt.esmClass).toBe(0x04);
    expect(receipt.source).toBe(CITIZEN);
    expect(receipt.destination).toBe('1414');
    const id = String(resp.message_id);
    expect(receipt.text).toMatch(
      new RegExp(
        `^id:${id} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:Your application 123$`,
      ),
    );
    const tlv = (tag: number): Buffer | undefined => receipt.tlvs.find((t) => t.tag === tag)?.value;
    expect(tlv(0x001e)?.toString('ascii')).toBe(`${id}\0`);
    expect(tlv(0x0427)).toEqual(Buffer.from([2]));
  });

  it.each([
    ['UNDELIV', 5],
    ['EXPIRED', 3],
    ['REJECTD', 8],
  ] as const)('reports the final state chosen for the destination: %s', async (state, messageState) => {
    sim.setFinalState(CITIZEN, state);
    await esme.request('submit_sm', {
      destination_addr: CITIZEN,
      registered_delivery: 1,
      short_message: encodeGsm7('x'),
    });
    const receipt = await esme.nextDeliver();
    expect(receipt.text).toContain(`dlvrd:000`);
    expect(receipt.text).toContain(`stat:${state} err:000`);
    expect(receipt.tlvs.find((t) => t.tag === 0x0427)?.value).toEqual(Buffer.from([messageState]));
  });

  it('sends no receipt when registered_delivery is 0, and a manual one on request', async () => {
    const resp = await esme.request('submit_sm', {
      destination_addr: CITIZEN,
      registered_delivery: 0,
      short_message: encodeGsm7('x'),
    });
    await sim.nextMessage();
    esme.deliverStatus = () => 0x64;
    const answer = await sim.sendReceipt(String(resp.message_id), 'UNDELIV');
    expect(answer.status).toBe(0x64);
    const receipts = esme.delivered.all;
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.text).toContain('stat:UNDELIV');
  });
});

describe('carrier simulator: receipt delay', () => {
  it('sends the receipt only after the configured delay has passed', async () => {
    const slow = await CarrierSimulator.start({ port: 0, receiptDelayMs: 150 });
    const client = await TestEsme.bound(slow);
    try {
      const sentAt = Date.now();
      await client.request('submit_sm', {
        destination_addr: CITIZEN,
        registered_delivery: 1,
        short_message: encodeGsm7('x'),
      });
      await client.nextDeliver();
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(140);
    } finally {
      client.close();
      await slow.stop();
    }
  });
});

describe('carrier simulator: receipt routing', () => {
  it('holds the receipt of a transmitter-only bind until a receiver binds, then sends it there', async () => {
    const routed = await CarrierSimulator.start({ port: 0, receiptDelayMs: 0 });
    const transmitter = await TestEsme.bound(routed, 'bind_transmitter');
    try {
      const resp = await transmitter.request('submit_sm', {
        destination_addr: CITIZEN,
        registered_delivery: 1,
        short_message: encodeGsm7('x'),
      });
      await routed.nextMessage();
      const receiver = await TestEsme.bound(routed, 'bind_receiver');
      const receipt = await receiver.nextDeliver();
      expect(receipt.text).toContain(`id:${String(resp.message_id)} `);
      expect(transmitter.delivered.all).toHaveLength(0);
      receiver.close();
    } finally {
      transmitter.close();
      await routed.stop();
    }
  });
});
