import { describe, expect, it } from 'vitest';
import { buildConcatUdh, encodeUcs2 } from '../../sms/encoding.js';
import { FRESH_THROTTLE, NO_FAULTS, decideSubmit } from '../../dev/simulator/faults.js';
import type { Faults, ThrottleState } from '../../dev/simulator/faults.js';
import { Conditions, Inbox } from '../../dev/simulator/inbox.js';
import type { ShortMessagePdu } from '../../dev/simulator/inspect.js';
import { buildReplyPdus } from '../../dev/simulator/mo.js';
import { Reassembler } from '../../dev/simulator/reassembly.js';
import { receiptDate, receiptText, receiptWanted } from '../../dev/simulator/receipts.js';

describe('receipts', () => {
  it.each([
    [0, 'DELIVRD', false],
    [1, 'DELIVRD', true],
    [1, 'UNDELIV', true],
    [2, 'DELIVRD', false],
    [2, 'EXPIRED', true],
    [3, 'DELIVRD', true],
    [3, 'REJECTD', false],
    [0x11, 'UNDELIV', true],
  ] as const)('registered_delivery %i in state %s asks for a receipt: %s', (rd, state, wanted) => {
    expect(receiptWanted(rd, state)).toBe(wanted);
  });

  it('writes the SMPP 3.4 Appendix B text, with the first 20 characters made ASCII/GSM-safe', () => {
    const submitted = new Date(2025, 0, 2, 3, 4, 59);
    const done = new Date(2025, 11, 31, 23, 59, 0);
    const text = receiptText({
      messageId: 'ab12',
      state: 'UNDELIV',
      err: '001',
      submitted,
      done,
      text: 'Құрметті user_1@x $5 and more',
    });
    expect(text).toBe(
      'id:ab12 sub:001 dlvrd:000 submit date:2501020304 done date:2512312359 stat:UNDELIV err:001 text:???????? user?1?x ?5',
    );
    expect(receiptDate(done)).toBe('2512312359');
  });
});

describe('fault decisions', () => {
  const run = (faults: Partial<Faults>, times: number[]): Array<number | undefined> => {
    let state: ThrottleState = FRESH_THROTTLE;
    return times.map((t, i) => {
      const [decision, next] = decideSubmit({ ...NO_FAULTS, ...faults }, state, i + 1, t);
      state = next;
      return decision.status;
    });
  };

  it('accepts everything without faults', () => expect(run({}, [0, 0, 0])).toEqual([0, 0, 0]));
  it('throttles above N accepted in a sliding second', () => {
    expect(run({ throttlePerSecond: 2 }, [0, 10, 20, 999, 1000, 1011])).toEqual([0, 0, 0x58, 0x58, 0, 0]);
  });
  it('throttles every Nth', () =>
    expect(run({ throttleEvery: 3 }, [0, 0, 0, 0, 0, 0])).toEqual([0, 0, 0x58, 0, 0, 0x58]));
  it('answers a part of a long message with its own status, or not at all, and the other parts as usual', () => {
    const faults = { ...NO_FAULTS, partStatus: { 2: null, 3: 0x01 } };
    const status = (part: number) =>
      decideSubmit(faults, FRESH_THROTTLE, 1, 0, '77011234567', part)[0].status;
    expect([1, 2, 3, 4].map(status)).toEqual([0, undefined, 0x01, 0]);
    // A whole (single-part) message is no part.
    expect(status(0)).toBe(0);
  });
  it('drops at the Nth submit of the connection, answering first in resp mode', () => {
    const [noresp] = decideSubmit({ ...NO_FAULTS, dropAfterSubmits: 2 }, FRESH_THROTTLE, 2, 0);
    expect(noresp).toEqual({ status: undefined, delayMs: 0, drop: true });
    const [resp] = decideSubmit(
      { ...NO_FAULTS, dropAfterSubmits: 2, dropMode: 'resp' },
      FRESH_THROTTLE,
      2,
      0,
    );
    expect(resp).toEqual({ status: 0, delayMs: 0, drop: true });
  });
});

describe('citizen reply PDUs', () => {
  it('splits into the forced number of parts, each with a UDH naming its place', () => {
    const pdus = buildReplyPdus({ from: '77011234567', text: 'abcdefghi', parts: 3 }, 9);
    expect(pdus.map((p) => (p.fields.short_message as Buffer).toString('hex'))).toEqual([
      '050003090301616263',
      '050003090302646566',
      '050003090303676869',
    ]);
    expect(pdus.every((p) => p.fields.esm_class === 0x40)).toBe(true);
  });

  it('refuses an order naming a part that does not exist', () => {
    expect(() => buildReplyPdus({ from: '1', text: 'x', order: [2] }, 1)).toThrow(/part 2 of a 1-part reply/);
  });

  it('refuses a forced part count whose parts overflow', () => {
    expect(() => buildReplyPdus({ from: '1', text: 'я'.repeat(200), parts: 2 }, 1)).toThrow(
      /exceeds 67 ucs2/,
    );
  });
});

describe('reassembly', () => {
  const part = (seq: number, body: Buffer): ShortMessagePdu =>
    ({
      source: '1414',
      destination: '77011234567',
      dataCoding: 8,
      body,
      concat: { method: 'udh', ref: 5, total: 2, seq, refBits: 8 },
      shortMessage: Buffer.concat([buildConcatUdh({ ref: 5, total: 2, seq, refBits: 8 }), body]),
    }) as unknown as ShortMessagePdu;

  it('decodes a surrogate pair split across two parts from the joined octets', () => {
    const bytes = encodeUcs2('ok 🙂');
    const r = new Reassembler();
    expect(r.add({ pdu: part(2, bytes.subarray(8)), messageId: 'b' })).toBeUndefined();
    expect(r.add({ pdu: part(2, bytes.subarray(8)), messageId: 'b2' })).toBeUndefined();
    const whole = r.add({ pdu: part(1, bytes.subarray(0, 8)), messageId: 'a' });
    expect(whole?.text).toBe('ok 🙂');
    expect(whole?.messageIds).toEqual(['a', 'b']);
    expect(whole?.duplicates).toBe(1);
    expect(r.incomplete).toBe(0);
  });
});

describe('inbox and conditions', () => {
  it('hands queued items out once each, in order, skipping ones the filter refuses', async () => {
    const inbox = new Inbox<number>();
    inbox.push(1);
    inbox.push(2);
    inbox.push(3);
    expect(await inbox.next((n) => n > 1, 10, 'n')).toBe(2);
    expect(await inbox.next(() => true, 10, 'n')).toBe(1);
    const later = inbox.next((n) => n === 4, 1000, 'n');
    inbox.push(4);
    expect(await later).toBe(4);
    expect(inbox.all).toEqual([1, 2, 3, 4]);
    await expect(inbox.next((n) => n === 9, 20, 'nine')).rejects.toThrow(
      /timed out after 20 ms waiting for nine/,
    );
  });

  it('resolves a condition when a notify finds it true', async () => {
    const conditions = new Conditions();
    let ready = false;
    const waiting = conditions.until(() => ready, 1000, 'ready');
    ready = true;
    conditions.notify();
    await expect(waiting).resolves.toBeUndefined();
  });
});
