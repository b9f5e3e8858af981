/**
 * Bad input at the SMPP door: random and mutated PDUs from the
 * SMSC. The gateway answers them (generic_nack / deliver_sm_resp) or closes that
 * bind cleanly and binds again; it never crashes, and it keeps serving.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { homeSchoolingParams } from '../support/core.js';

let t: TestGateway;
beforeAll(async () => {
  // Many samples close the bind a moment after it bound: the reconnect backoff grows for each
  // (docs/smpp.md), here to 50 ms at most.
  t = await startTestGateway({ smpp: { reconnect: { initialMs: 20, maxMs: 50 } } });
});
afterAll(async () => {
  await t?.stop();
});

const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);

/** A well-formed deliver_sm (SMPP 3.4 §4.6.1) to mutate. */
function deliverSm(
  seq: number,
  from: string,
  payload: Buffer,
  dataCoding: number,
  tlvs: Buffer = Buffer.alloc(0),
  esmClass = 0,
): Buffer {
  const body = Buffer.concat([
    cstr(''),
    Buffer.from([1, 1]),
    cstr(from),
    Buffer.from([0, 1]),
    cstr('1414'),
    Buffer.from([esmClass, 0, 0]),
    cstr(''),
    cstr(''),
    Buffer.from([0, 0, dataCoding, 0, payload.length]),
    payload,
    tlvs,
  ]);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(0x00000005, 4);
  head.writeUInt32BE(0, 8);
  head.writeUInt32BE(seq, 12);
  return Buffer.concat([head, body]);
}

const mutation = fc.oneof(
  // random bytes, any length
  fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => Buffer.from(b)),
  // a deliver_sm whose command_length lies (too small, too big, huge)
  fc
    .tuple(fc.integer({ min: 0, max: 70_000 }), fc.constantFrom(0, 8, 15, 17, 65_537, 0x7fffffff))
    .map(([seq, len]) => {
      const pdu = deliverSm(seq + 1, '77019990000', Buffer.from('123#3#1'), 0);
      pdu.writeUInt32BE(len >>> 0, 0);
      return pdu;
    }),
  // a deliver_sm cut short, with its length saying so
  fc.integer({ min: 17, max: 60 }).map((cut) => {
    const pdu = deliverSm(7, '77019990000', Buffer.from('123#3#1'), 0).subarray(0, cut);
    const copy = Buffer.from(pdu);
    copy.writeUInt32BE(copy.length, 0);
    return copy;
  }),
  // odd-length UCS2, unknown TLVs, an alphanumeric sender, random payload bytes
  fc
    .tuple(
      fc.uint8Array({ minLength: 0, maxLength: 140 }),
      fc.constantFrom(0, 3, 8, 0xf0, 0x04),
      fc.uint8Array({ maxLength: 20 }),
    )
    .map(([payload, dc, tlv]) =>
      deliverSm(
        9,
        'EGOV',
        Buffer.from(payload),
        dc,
        Buffer.concat([Buffer.from([0x14, 0x99, 0, tlv.length]), Buffer.from(tlv)]),
      ),
    ),
  // a valid header with an unknown command id
  fc.integer({ min: 0x10, max: 0x7fff }).map((id) => {
    const pdu = Buffer.alloc(16);
    pdu.writeUInt32BE(16, 0);
    pdu.writeUInt32BE(id, 4);
    pdu.writeUInt32BE(3, 12);
    return pdu;
  }),
);

describe('random and mutated PDUs from the SMSC', () => {
  it('never crash the gateway; each one is answered or closes that bind, which binds again', async () => {
    const samples = fc.sample(mutation, { numRuns: 60, seed: 1414 });
    let answered = 0;
    let closed = 0;
    for (const bytes of samples) {
      await t.sim.waitForBind(1, 10_000);
      const before = t.sim.stats();
      await t.sim.injectRaw(bytes).catch(() => undefined);
      // The gateway's reaction: an answer (generic_nack, deliver_sm_resp) or closing the bind.
      const reaction = await eventually(
        () => {
          const now = t.sim.stats();
          if (now.open < before.open) return Promise.resolve('closed');
          return Promise.resolve(now.pdusReceived > before.pdusReceived ? 'answered' : undefined);
        },
        'a reaction',
        300,
      ).catch(() => 'waiting for the rest of the PDU');
      if (reaction === 'answered') answered++;
      if (reaction === 'closed') closed++;
      // Start the next sample on a clean stream: a bytes-short PDU leaves the gateway (rightly) waiting.
      if (t.sim.stats().open > 0) await t.sim.drop();
    }
    expect(answered).toBeGreaterThan(5);
    expect(closed).toBeGreaterThan(5);
    await t.sim.waitForBind(1, 10_000);
    await eventually(
      () => Promise.resolve(t.gateway.transport.ready()),
      'a bound transport after the fuzz',
      10_000,
    );

    const to = '77015559999';
    const { conversation } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'fuzz-after',
      msisdn: to,
      language: 'ru',
      params: homeSchoolingParams(),
    });
    await t.sim.nextMessage((m) => m.destination === to, 10_000);
    const result = await t.sim.injectReply({ from: to, text: '123#3#1' });
    expect(result.statuses).toEqual([0]);
    await eventually(
      () => t.gateway.core.queues.assignments.getJob(conversation.id),
      'the consent after the fuzz',
    );
  }, 120_000);

  it('a reply from an alphanumeric sender is acknowledged and never answered (no SMS loops)', async () => {
    await t.sim.waitForBind(1, 10_000);
    await t.sim.injectRaw(deliverSm(42, 'EGOV', Buffer.from('123#3#1'), 0));
    const resp = await t.sim.nextPdu((p) => p.command === 'deliver_sm_resp' && p.sequence === 42);
    expect(resp.status).toBe(0);
    await expect(t.sim.nextMessage((m) => m.destination === 'EGOV', 700)).rejects.toThrow();
  });

  it.each([
    ['a UDH numbering part 5 of 2', Buffer.from([5, 0, 3, 7, 2, 5]), Buffer.alloc(0)],
    ['a UDH numbering part 0 of 0', Buffer.from([6, 8, 4, 1, 2, 0, 0]), Buffer.alloc(0)],
    [
      'SAR TLVs numbering part 3 of 2',
      Buffer.alloc(0),
      Buffer.from([0x02, 0x0c, 0, 2, 0, 9, 0x02, 0x0e, 0, 1, 2, 0x02, 0x0f, 0, 1, 3]),
    ],
  ])(
    'a reply with %s is read as one whole SMS (TS 23.040 §9.2.3.24.1: the IE is ignored), never answered "try later"',
    async (_what, udh, tlvs) => {
      await t.sim.waitForBind(1, 10_000);
      const from = `7701555${String(1000 + udh.length * 10 + tlvs.length).padStart(4, '0')}`;
      const { conversation } = await t.gateway.core.conversations.invite({
        service: 'home-schooling',
        externalId: `fuzz-concat-${from}`,
        msisdn: from,
        language: 'ru',
        params: homeSchoolingParams(),
      });
      await t.sim.nextMessage((m) => m.destination === from, 10_000);
      const seq = 0x4000 + udh.length * 100 + tlvs.length;
      const payload = Buffer.concat([udh, Buffer.from('123#3#1')]);
      await t.sim.injectRaw(deliverSm(seq, from, payload, 0, tlvs, udh.length > 0 ? 0x40 : 0));
      const resp = await t.sim.nextPdu((p) => p.command === 'deliver_sm_resp' && p.sequence === seq);
      expect(resp.status).toBe(0);
      await eventually(
        () => t.gateway.core.queues.assignments.getJob(conversation.id),
        'the consent of the reply read whole',
      );
    },
  );
});
