/** The pure pieces of the SMPP layer: framing, backoff, submit rate, submit planning, status table, classification. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../gateway/core/ports.js';
import { FrameReader } from '../../gateway/smpp/framing.js';
import { backoffDelay, DEFAULT_BACKOFF, SubmitRate, TPS_SECOND_MS } from '../../gateway/smpp/flow.js';
import { classifyDeliverSm } from '../../gateway/smpp/inbound.js';
import type { RawPdu } from '../../gateway/smpp/smpp-lib.js';
import { ESME_STATUS, SmppError, statusInfo } from '../../gateway/smpp/status.js';
import { ConcatRefs, DEFAULT_SUBMIT_OPTIONS, planSubmit } from '../../gateway/smpp/submit.js';

const header = (length: number): Buffer => {
  const b = Buffer.alloc(Math.max(length, 4));
  b.writeUInt32BE(length, 0);
  return b;
};

describe('FrameReader', () => {
  it('cuts PDUs split and joined across chunks', () => {
    const reader = new FrameReader();
    const two = Buffer.concat([header(16), header(20)]);
    expect(reader.push(two.subarray(0, 10)).frames).toHaveLength(0);
    const result = reader.push(two.subarray(10));
    expect(result.frames.map((f) => f.length)).toEqual([16, 20]);
  });

  it.each([8, 15, 65_537])('rejects command_length %d', (length) => {
    expect(new FrameReader().push(header(length)).ok).toBe(false);
  });
});

describe('backoffDelay', () => {
  it.each([
    [0, 0.5, 500],
    [1, 0.5, 1000],
    [3, 0.5, 4000],
    [20, 0.5, 30_000],
    [0, 0, 350],
    [0, 1, 650],
  ])('attempt %d with random %d → %d ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, DEFAULT_BACKOFF, random)).toBe(expected);
  });
});

describe('SubmitRate', () => {
  /** The most takes in any 1000 ms (a sliding second, as an SMSC counts) among `times`. */
  const mostInASecond = (times: number[]) =>
    Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
  /** Takes as soon as the bucket lets it, from `start`, until `count` were taken. */
  const drain = (bucket: SubmitRate, start: number, count: number): number[] => {
    const taken: number[] = [];
    for (let now = start; taken.length < count;) {
      const wait = bucket.take(now);
      if (wait === 0) taken.push(now);
      else now += wait;
    }
    return taken;
  };

  it('gives `rate` segments in a burst, then waits until the oldest of them is a second (and the guard) old', () => {
    expect(TPS_SECOND_MS).toBeGreaterThanOrEqual(1000);
    const bucket = new SubmitRate(4);
    expect([0, 0, 0, 0].map((t) => bucket.take(t))).toEqual([0, 0, 0, 0]);
    expect(bucket.take(0)).toBe(TPS_SECOND_MS);
    expect(bucket.take(250)).toBe(TPS_SECOND_MS - 250);
    expect(bucket.take(TPS_SECOND_MS)).toBe(0);
  });

  it('never lets more than `rate` through in any second, in bursts or at a steady pace', () => {
    const steady = new SubmitRate(5);
    const paced = Array.from({ length: 40 }, (_, i) => i * 200).filter((t) => steady.take(t) === 0);
    expect(mostInASecond(paced)).toBe(5);
    expect(mostInASecond(drain(new SubmitRate(5), 0, 50))).toBe(5);
    const mixed = new SubmitRate(5);
    const first = drain(mixed, 0, 3);
    expect(mostInASecond([...first, ...drain(mixed, 700, 30)])).toBe(5);
  });

  it('keeps the rate over time: n x rate segments take at least n - 1 seconds', () => {
    const taken = drain(new SubmitRate(10), 0, 100);
    expect(taken.at(-1)).toBeGreaterThanOrEqual(9000);
  });

  it('a clock set back an hour holds the bind at most a second, and still at `rate` a second', () => {
    const hour = 3_600_000;
    const bucket = new SubmitRate(2);
    const before = drain(bucket, hour, 2);
    // NTP steps the clock back an hour: the two sends keep their distance to now.
    expect(bucket.take(hour - hour)).toBeLessThanOrEqual(TPS_SECOND_MS);
    const after = drain(bucket, 0, 6);
    expect(after[0]).toBeLessThanOrEqual(TPS_SECOND_MS);
    expect(mostInASecond(after)).toBe(2);
    expect(before).toEqual([hour, hour]);
  });

  it('rate 0 means no limit', () => {
    const bucket = new SubmitRate(0);
    expect(Array.from({ length: 1000 }, () => bucket.take(0)).every((w) => w === 0)).toBe(true);
  });
});

describe('planSubmit', () => {
  it('a single GSM part has no UDH and an explicit data_coding 0', () => {
    const plan = planSubmit({ to: '77011234567', text: 'Hi' }, DEFAULT_SUBMIT_OPTIONS, 1);
    expect(plan.pdus).toEqual([
      expect.objectContaining({ data_coding: 0, short_message: Buffer.from('Hi'), source_addr_ton: 3 }),
    ]);
    expect(plan.pdus[0]?.esm_class).toBe(0); // no UDHI bit
  });

  it('IEI 0x08 parts carry a 16-bit reference', () => {
    const plan = planSubmit(
      { to: '7', text: 'ә'.repeat(100) },
      { ...DEFAULT_SUBMIT_OPTIONS, concat: 'udh16' },
      0x1234,
    );
    expect(plan.pdus.map((p) => (p.short_message as Buffer).subarray(0, 7).toString('hex'))).toEqual([
      '06080412340201',
      '06080412340202',
    ]);
  });

  it('message_payload carries a long text in one PDU with an empty short_message', () => {
    const plan = planSubmit(
      { to: '7', text: 'x'.repeat(300) },
      { ...DEFAULT_SUBMIT_OPTIONS, concat: 'payload' },
      0,
    );
    expect(plan.pdus).toHaveLength(1);
    expect((plan.pdus[0]?.message_payload as Buffer).length).toBe(300);
    expect((plan.pdus[0]?.short_message as Buffer).length).toBe(0);
  });
});

describe('ConcatRefs', () => {
  it('counts per destination and wraps at 8 bits', () => {
    const refs = new ConcatRefs(10, () => 255 / 256);
    expect([refs.next('a', 8), refs.next('a', 8), refs.next('b', 8)]).toEqual([255, 0, 255]);
  });
});

describe('ESME_STATUS', () => {
  it('throttling and queue-full are retryable with a backoff; bad password and bad address are not', () => {
    expect(statusInfo(0x58)).toMatchObject({ retryable: true, backoffMs: expect.any(Number) });
    expect(statusInfo(0x14)).toMatchObject({ retryable: true, backoffMs: expect.any(Number) });
    expect(statusInfo(0x0e).retryable).toBe(false);
    expect(statusInfo(0x0b).retryable).toBe(false);
  });

  it('an unknown (vendor) status is permanent and named by its value', () => {
    expect(statusInfo(0x401)).toEqual({ name: 'ESME_0x0401', retryable: false });
  });

  it('has a row for every SMPP 3.4 status the smpp package knows', () => {
    const { errors } = createRequire(import.meta.url)('smpp') as { errors: Record<string, number> };
    const v34 = Object.values(errors).filter((code) => code <= 0xff);
    expect(v34.filter((code) => !ESME_STATUS.has(code))).toEqual([]);
  });
});

describe('SmppError as the port sees it', () => {
  it('tells core the kind of each failure and the carrier status by name, never the number', () => {
    const kinds = [
      SmppError.fromStatus(0x58, 'submit_sm'),
      SmppError.fromStatus(0x14, 'submit_sm'),
      SmppError.fromStatus(0x08, 'submit_sm'),
      SmppError.fromStatus(0x0b, 'submit_sm'),
      SmppError.local('CONNECTION_LOST', 'gone'),
      SmppError.local('RESPONSE_TIMEOUT', 'late'),
    ].map((e) => [e instanceof TransportError, e.kind, e.retryable, e.carrierStatus]);
    expect(kinds).toEqual([
      [true, 'throttled', true, 'ESME_RTHROTTLED'],
      [true, 'throttled', true, 'ESME_RMSGQFUL'],
      [true, 'temporary', true, 'ESME_RSYSERR'],
      [true, 'rejected', false, 'ESME_RINVDSTADR'],
      [true, 'unavailable', true, undefined],
      [true, 'timeout', true, undefined],
    ]);
  });

  it('keeps the parts a long message had accepted, and its kind, when it is marked "not our subscriber"', () => {
    const resume = { ref: 9, accepted: [{ index: 0, messageId: 'a' }] };
    const e = SmppError.fromStatus(0x0b, 'submit_sm').withResume(resume).asSubscriberElsewhere();
    expect([e.kind, e.retryable, e.resume, e.code]).toEqual(['subscriber-elsewhere', false, resume, 0x0b]);
  });
});

describe('classifyDeliverSm', () => {
  const base = {
    command: 'deliver_sm',
    command_id: 5,
    command_status: 0,
    sequence_number: 3,
    command_length: 0,
  };
  it('esm_class 0x04 with receipt TLVs is a receipt whose TLVs win over the text', () => {
    const pdu: RawPdu = {
      ...base,
      esm_class: 0x04,
      data_coding: 0,
      source_addr: '77011234567',
      short_message: Buffer.from('id:99 stat:DELIVRD err:000 text:x'),
      receipted_message_id: 'abc',
      message_state: 5,
    };
    expect(classifyDeliverSm(pdu, 'b')).toMatchObject({
      kind: 'receipt',
      messageId: 'abc',
      stat: 'UNDELIV',
      source: 'tlv',
    });
  });

  it('a receipt without TLVs falls back to its text', () => {
    const pdu: RawPdu = {
      ...base,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from('id:99 stat:EXPIRED err:001'),
    };
    expect(classifyDeliverSm(pdu, 'b')).toMatchObject({
      messageId: '99',
      stat: 'EXPIRED',
      err: '001',
      source: 'text',
    });
  });

  it('a reply with SAR TLVs passes them up as its part info, with its payload and encoding for core to decode once joined', () => {
    const pdu: RawPdu = {
      ...base,
      esm_class: 0,
      data_coding: 3,
      short_message: Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      sar_msg_ref_num: 300,
      sar_total_segments: 2,
      sar_segment_seqnum: 1,
    };
    const reply = classifyDeliverSm(pdu, 'b');
    expect(reply).toMatchObject({
      kind: 'reply',
      encoding: 'latin1',
      payload: Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      concat: { scheme: 'sar', reference: 300, part: 1, total: 2 },
    });
    expect(reply).not.toHaveProperty('text');
  });

  it('concatenation info that cannot be joined (part 0, or past the total) is ignored: the SMS is a whole one', () => {
    for (const [total, seq] of [
      [2, 0],
      [2, 3],
      [0, 1],
    ] as const) {
      const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, total, seq]);
      const pdu: RawPdu = {
        ...base,
        esm_class: 0x40,
        data_coding: 0,
        short_message: Buffer.concat([udh, Buffer.from('3#1')]),
      };
      const reply = classifyDeliverSm(pdu, 'b');
      expect(reply).toMatchObject({ kind: 'reply', text: '3#1' });
      expect(reply).not.toHaveProperty('concat');
    }
  });

  it.each([
    [2, '7011234567', '77011234567'],
    [0, '7011234567', '77011234567'],
    [1, '77011234567', '77011234567'],
    [1, '7011234567', '7011234567'],
    [2, '1414', '1414'],
    [5, 'KCELL', 'KCELL'],
    [2, '7471234567', '77471234567'],
    [2, '7771234567', '77771234567'],
    [2, '7172123456', '7172123456'],
    [0, '7272000000', '7272000000'],
  ])(
    'a reply from TON %i %s comes up from %s: a Kazakh mobile number in national form gets its country code, a landline or service number does not',
    (ton, from, expected) => {
      const pdu: RawPdu = {
        ...base,
        esm_class: 0,
        data_coding: 0,
        source_addr_ton: ton,
        source_addr: from,
        short_message: Buffer.from('3#1'),
      };
      expect(classifyDeliverSm(pdu, 'b')).toMatchObject({ kind: 'reply', from: expected });
    },
  );

  it('a whole reply with a UDH but no concatenation element comes up without the UDH, decoded', () => {
    const udh = Buffer.from([0x04, 0x24, 0x02, 0x00, 0x00]); // one IE that is not concatenation
    const pdu: RawPdu = {
      ...base,
      esm_class: 0x40,
      data_coding: 0,
      short_message: Buffer.concat([udh, Buffer.from('3#1')]),
    };
    expect(classifyDeliverSm(pdu, 'b')).toEqual({
      kind: 'reply',
      bindId: 'b',
      from: '',
      to: '',
      payload: Buffer.from('3#1'),
      encoding: 'gsm7',
      text: '3#1',
    });
  });
});
