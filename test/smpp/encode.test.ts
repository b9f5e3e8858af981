import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeByPackage,
  decodePdu,
  decodeSubmitSmResp,
  encodeByPackage,
  encodePdu,
  encodeSubmitSm,
  encodeSubmitSmParts,
} from '../../gateway/smpp/smpp-lib.js';
import { DEFAULT_SUBMIT_OPTIONS, planSubmit } from '../../gateway/smpp/submit.js';

const octet = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined });
const ascii = fc.option(
  fc.string({ unit: fc.integer({ min: 1, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 21 }),
  {
    nil: undefined,
  },
);

const plainSubmit = fc.record(
  {
    service_type: ascii,
    source_addr_ton: octet,
    source_addr_npi: octet,
    source_addr: ascii,
    dest_addr_ton: octet,
    dest_addr_npi: octet,
    destination_addr: ascii,
    esm_class: octet,
    protocol_id: octet,
    priority_flag: octet,
    registered_delivery: octet,
    replace_if_present_flag: octet,
    data_coding: octet,
    sm_default_msg_id: octet,
    short_message: fc.uint8Array({ maxLength: 255 }).map((a) => Buffer.from(a)),
    sequence_number: fc.integer({ min: 1, max: 0x7fffffff }),
  },
  { requiredKeys: ['short_message', 'sequence_number'] },
);

describe('the plain submit_sm encoder', () => {
  it('writes exactly the bytes the smpp package writes, for any plain submit_sm', () => {
    fc.assert(
      fc.property(plainSubmit, (fields) => {
        const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
        const ours = encodeSubmitSm(clean);
        expect(ours).toBeDefined();
        expect(ours!.equals(encodeByPackage('submit_sm', clean))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the plans of the gateway (UDH, SAR and payload) as the package does', () => {
    const text = 'Құрметті азамат! '.repeat(20);
    for (const concat of ['udh8', 'udh16', 'sar', 'payload'] as const) {
      const plan = planSubmit({ to: '77011234567', text }, { ...DEFAULT_SUBMIT_OPTIONS, concat }, 7);
      for (const fields of plan.pdus) {
        const withSequence = { ...fields, sequence_number: 42 };
        expect(encodePdu('submit_sm', withSequence).equals(encodeByPackage('submit_sm', withSequence))).toBe(
          true,
        );
      }
    }
  });

  it('writes a relative validity_period (every notice carries one) as the package does', () => {
    const text = 'Құрметті азамат! '.repeat(20);
    const plan = planSubmit(
      { to: '77011234567', text, validitySeconds: 36 * 3600 },
      DEFAULT_SUBMIT_OPTIONS,
      7,
    );
    for (const fields of plan.pdus) {
      expect(fields.validity_period).toBe('000001120000000R');
      const withSequence = { ...fields, sequence_number: 42 };
      const ours = encodeSubmitSm(withSequence);
      expect(ours).toBeDefined();
      expect(ours!.equals(encodeByPackage('submit_sm', withSequence))).toBe(true);
    }
  });

  it("encodes an SMS's parts at once as each alone, the sequence number written at sending; parts differing in more than their text go one by one", () => {
    const text = 'Құрметті азамат! '.repeat(20);
    for (const concat of ['udh8', 'udh16', 'sar', 'payload'] as const) {
      for (const validitySeconds of [undefined, 36 * 3600]) {
        const options = { ...DEFAULT_SUBMIT_OPTIONS, concat };
        const message = { to: '77011234567', text, ...(validitySeconds ? { validitySeconds } : {}) };
        const plan = planSubmit(message, options, 7);
        const parts = encodeSubmitSmParts(plan.pdus);
        if (concat === 'sar' || concat === 'payload') {
          // SAR's TLVs differ per part; a payload is not a plain submit_sm.
          expect(parts).toBeUndefined();
          continue;
        }
        expect(parts).toHaveLength(plan.pdus.length);
        plan.pdus.forEach((fields, i) => {
          const part = Buffer.from(parts![i]!);
          part.writeUInt32BE(1000 + i, 12);
          expect(part.equals(encodeSubmitSm(fields, 1000 + i)!)).toBe(true);
        });
      }
    }
    const one = { short_message: Buffer.from('hi'), destination_addr: '77011234567' };
    expect(encodeSubmitSmParts([one, { ...one, destination_addr: '77011234568' }])).toBeUndefined();
    expect(encodeSubmitSmParts([one, { ...one, esm_class: 0 }])).toBeUndefined();
    expect(encodeSubmitSmParts([])).toBeUndefined();
  });

  it('leaves to the package what it does not write itself: TLVs, times, non-ASCII, long or text messages', () => {
    const base = { short_message: Buffer.from('hi'), sequence_number: 1 };
    for (const other of [
      { ...base, sar_msg_ref_num: 7 },
      { ...base, message_payload: Buffer.from('x') },
      { ...base, validity_period: '0000010000' },
      { ...base, schedule_delivery_time: '000001000000000R' },
      { ...base, source_addr: 'Әкім' },
      { ...base, short_message: Buffer.alloc(256) },
      { ...base, short_message: 'text' },
      { ...base, data_coding: null },
      { ...base, sequence_number: undefined },
    ])
      expect(encodeSubmitSm(other)).toBeUndefined();
  });
});

describe('the submit_sm_resp decoder', () => {
  it('reads what the package reads from any submit_sm_resp with a message_id', () => {
    const id = fc.string({
      unit: fc.integer({ min: 1, max: 127 }).map((c) => String.fromCharCode(c)),
      minLength: 0,
      maxLength: 64,
    });
    fc.assert(
      fc.property(
        id,
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (messageId, status, sequence) => {
          const frame = encodeByPackage('submit_sm_resp', {
            message_id: messageId,
            sequence_number: sequence,
          });
          frame.writeUInt32BE(status, 8); // the package writes no body for a non-zero status
          const ours = decodeSubmitSmResp(frame);
          const { _filter, ...theirs } = decodeByPackage(frame) as Record<string, unknown>;
          expect(_filter).toBeTypeOf('function');
          expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('leaves to the package an error response without a body, trailing bytes and other PDUs', () => {
    const empty = encodeByPackage('submit_sm_resp', { sequence_number: 1, command_status: 0x58 });
    const trailing = Buffer.concat([
      encodeByPackage('submit_sm_resp', { sequence_number: 1, message_id: 'a' }),
      Buffer.of(1),
    ]);
    trailing.writeUInt32BE(trailing.length, 0);
    const other = encodeByPackage('enquire_link_resp', { sequence_number: 1 });
    for (const frame of [empty, trailing, other]) expect(decodeSubmitSmResp(frame)).toBeUndefined();
    expect(decodePdu(empty)).toMatchObject({ command: 'submit_sm_resp', command_status: 0x58 });
  });
});
