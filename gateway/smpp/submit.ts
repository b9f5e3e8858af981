/**
 * OutboundSms → submit_sm field sets, one per segment (pure).
 *
 * Always an explicit data_coding (0 GSM 03.38, 8 UCS2; SMPP 3.4 §5.2.19) and
 * short_message as bytes, so the `smpp` package's encoder never runs.
 */
import QuickLRU from 'quick-lru';
import { buildConcatUdh, encodeText, segment } from '../../sms/encoding.js';
import type { OutboundSms } from '../core/ports.js';

/** How a long text is split on the wire (a per-carrier option). */
export type ConcatMethod = 'udh8' | 'udh16' | 'sar' | 'payload';

/** Addressing and concatenation options of one carrier. */
export interface SubmitOptions {
  /** Default `1414`. */
  readonly sourceAddr: string;
  /**
   * Default 3 (network specific) with NPI 0 (unknown): SMPP 3.4 §5.2.5 gives no
   * "short code" TON; a carrier-assigned short code is "network specific".
   * Some carriers want TON 0 / NPI 1 instead: configure per carrier.
   */
  readonly sourceTon: number;
  readonly sourceNpi: number;
  /** Default 1/1: international E.164 (SMPP 3.4 §5.2.5–6); our MSISDNs are `7XXXXXXXXXX`. */
  readonly destTon: number;
  readonly destNpi: number;
  /** Default `udh8` (3GPP TS 23.040 §9.2.3.24.1, IEI 0x00). */
  readonly concat: ConcatMethod;
  /** Default 1: a receipt for every final state (SMPP 3.4 §5.2.17). */
  readonly registeredDelivery: number;
  /** Default '' (the SMSC default service). */
  readonly serviceType: string;
}

export const DEFAULT_SUBMIT_OPTIONS: SubmitOptions = {
  sourceAddr: '1414',
  sourceTon: 3,
  sourceNpi: 0,
  destTon: 1,
  destNpi: 1,
  concat: 'udh8',
  registeredDelivery: 1,
  serviceType: '',
};

export interface PlannedSubmit {
  readonly encoding: 'gsm7' | 'ucs2';
  readonly dataCoding: number;
  /** submit_sm mandatory fields and TLVs, one entry per PDU. */
  readonly pdus: ReadonlyArray<Record<string, unknown>>;
}

const UDHI = 0x40; // SMPP 3.4 §5.2.12: short_message begins with a UDH

/**
 * The mandatory fields of one submit_sm, written out as one object literal. Not `{ ...base, ... }`:
 * V8 gives an object built by spreading no fast shape, and encoding such a PDU (smpp-lib.ts
 * `encodeSubmitSm` walks its keys) is several times slower (docs/performance.md).
 */
function submitSm(
  message: OutboundSms,
  options: SubmitOptions,
  dataCoding: number,
  esmClass: number,
  shortMessage: Buffer,
  validity: string,
): Record<string, unknown> {
  return {
    service_type: options.serviceType,
    source_addr_ton: options.sourceTon,
    source_addr_npi: options.sourceNpi,
    source_addr: options.sourceAddr,
    dest_addr_ton: options.destTon,
    dest_addr_npi: options.destNpi,
    destination_addr: message.to,
    esm_class: esmClass,
    registered_delivery: options.registeredDelivery,
    validity_period: validity,
    data_coding: dataCoding,
    short_message: shortMessage,
  };
}

/**
 * A relative time, SMPP 3.4 §7.1.1: `YYMMDDhhmmss000R` — here days, hours, minutes and seconds
 * (at least one minute, at most 99 days), so the SMSC's clock does not matter.
 */
export function relativeTime(seconds: number): string {
  const s = Math.min(Math.max(Math.round(seconds), 60), 99 * 86_400 + 86_399);
  const two = (n: number): string => String(n).padStart(2, '0');
  const days = Math.floor(s / 86_400);
  const rest = s % 86_400;
  return `0000${two(days)}${two(Math.floor(rest / 3600))}${two(Math.floor((rest % 3600) / 60))}${two(rest % 60)}000R`;
}

/** Plan the submit_sm PDUs of one message; `ref` is its concatenation reference. */
export function planSubmit(message: OutboundSms, options: SubmitOptions, ref: number): PlannedSubmit {
  const seg = segment(message.text, { ref16: options.concat === 'udh16' });
  const { encoding, dataCoding } = seg;
  // One validity for every part (the same instant), written once.
  const validity = message.validitySeconds === undefined ? '' : relativeTime(message.validitySeconds);
  const single = seg.parts.length === 1;
  if (single || options.concat === 'payload') {
    const body = encodeText(message.text, encoding);
    // SMPP 3.4 §5.3.2.32: message_payload carries up to 64K octets; short_message must then be empty.
    const pdu = single
      ? submitSm(message, options, dataCoding, 0, body, validity)
      : { ...submitSm(message, options, dataCoding, 0, Buffer.alloc(0), validity), message_payload: body };
    return { encoding, dataCoding, pdus: [pdu] };
  }
  const total = seg.parts.length;
  const pdus = seg.parts.map((text, i) => {
    const body = encodeText(text, encoding);
    if (options.concat === 'sar') {
      // SMPP 3.4 §5.3.2.22–24: 16-bit reference, 1-based sequence.
      return {
        ...submitSm(message, options, dataCoding, 0, body, validity),
        sar_msg_ref_num: ref & 0xffff,
        sar_total_segments: total,
        sar_segment_seqnum: i + 1,
      };
    }
    const udh = buildConcatUdh({ ref, total, seq: i + 1, refBits: options.concat === 'udh16' ? 16 : 8 });
    return submitSm(message, options, dataCoding, UDHI, Buffer.concat([udh, body]), validity);
  });
  return { encoding, dataCoding, pdus };
}

/**
 * Concatenation references, one counter per destination (3GPP TS 23.040
 * §9.2.3.24.1: the reference must differ between concurrent long messages to
 * the same recipient). Bounded: the least recently used destinations are forgotten.
 */
export class ConcatRefs {
  /** quick-lru: the least recently used destinations go first, at a constant cost (receipt-clock.ts). */
  private readonly counters: QuickLRU<string, number>;

  constructor(
    maxEntries = 100_000,
    private readonly seed: () => number = Math.random,
  ) {
    this.counters = new QuickLRU({ maxSize: maxEntries });
  }

  /** The next reference for `to`, modulo 2^bits. */
  next(to: string, bits: 8 | 16): number {
    const modulo = bits === 16 ? 0x10000 : 0x100;
    const previous = this.counters.get(to);
    const value = previous === undefined ? Math.floor(this.seed() * modulo) : (previous + 1) % modulo;
    this.counters.set(to, value);
    return value % modulo;
  }
}
