/**
 * Random deliver_sm PDUs as a hostile or broken SMSC sends them (SMPP 3.4 §4.6.1), built byte by
 * byte so that every field can be wrong. Each PDU says what the gateway owes it:
 * - `reply`, `part`, `receipt`: well formed; a deliver_sm_resp is due, and an accepted one must be
 *   in the store. Replies are tagged by their destination address (`1414<n>`), which the gateway
 *   keeps in the stored reply; receipts by their message id (`fz<n>`).
 * - `odd`: well framed but with fields a decoder may refuse (a known TLV of the wrong length, a
 *   string without its NUL, sm_length beyond the body): a deliver_sm_resp or a generic_nack, or the
 *   bind closed.
 * - `malformed`: not a deliver_sm one can read (a command_length that lies, random bytes, an
 *   unknown command): a generic_nack, or the bind closed, never a crash.
 * Longer than 300 lines: one builder per kind of deliver_sm, byte by byte.
 */
import { buildConcatUdh, encodeGsm7, encodeUcs2, isGsm7, parseUdh } from '../../sms/encoding.js';
import type { ReplyPart } from '../../gateway/core/ports.js';
import type { Random } from './random.js';

export type PduKind = 'reply' | 'part' | 'receipt' | 'odd' | 'malformed';

export interface FuzzPdu {
  readonly kind: PduKind;
  /** The PDU; its sequence number is written when it is sent. */
  readonly bytes: Buffer;
  /** reply/part: the destination address that names the reply; receipt: its message id. */
  readonly tag?: string;
  /** part: where the gateway keeps it until the rest arrives. */
  readonly part?: {
    readonly from: string;
    readonly concat: Pick<ReplyPart, 'scheme' | 'reference'>;
    readonly total: number;
    readonly seq: number;
  };
  /** A retransmission of an earlier PDU (same bytes). */
  readonly again?: boolean;
  /** A sequence number to reuse (one seen before), else a fresh one. */
  readonly sequence?: number;
}

const DELIVER_SM = 0x00000005;
const UDHI = 0x40;
const TLV = {
  userMessageReference: 0x0204,
  sourcePort: 0x020a,
  sarMsgRefNum: 0x020c,
  sarTotalSegments: 0x020e,
  sarSegmentSeqnum: 0x020f,
  languageIndicator: 0x000d,
  receiptedMessageId: 0x001e,
  networkErrorCode: 0x0423,
  messagePayload: 0x0424,
  messageState: 0x0427,
  itsSessionInfo: 0x1383,
} as const;

const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
const u8 = (n: number): Buffer => Buffer.from([n & 0xff]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
};

export function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([u16(tag), u16(value.length), value]);
}

export interface DeliverFields {
  readonly serviceType?: string;
  readonly sourceTon: number;
  readonly sourceNpi: number;
  readonly source: string;
  readonly destination: string;
  readonly esmClass: number;
  readonly protocolId?: number;
  readonly priority?: number;
  readonly registeredDelivery?: number;
  readonly dataCoding: number;
  readonly shortMessage: Buffer;
  readonly tlvs?: readonly Buffer[];
}

/** A deliver_sm with sequence number 0 (set when sent). */
export function deliverSm(f: DeliverFields): Buffer {
  const body = Buffer.concat([
    cstr(f.serviceType ?? ''),
    u8(f.sourceTon),
    u8(f.sourceNpi),
    cstr(f.source),
    u8(1),
    u8(1),
    cstr(f.destination),
    u8(f.esmClass),
    u8(f.protocolId ?? 0),
    u8(f.priority ?? 0),
    cstr(''),
    cstr(''),
    u8(f.registeredDelivery ?? 0),
    u8(0),
    u8(f.dataCoding),
    u8(0),
    u8(f.shortMessage.length),
    f.shortMessage,
    ...(f.tlvs ?? []),
  ]);
  return header(DELIVER_SM, body);
}

function header(commandId: number, body: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(commandId >>> 0, 4);
  return Buffer.concat([head, body]);
}

/** Writes `sequence` into a copy of `pdu` (when it has a header to write it in). */
export function withSequence(pdu: Buffer, sequence: number): Buffer {
  if (pdu.length < 16) return pdu;
  const copy = Buffer.from(pdu);
  copy.writeUInt32BE(sequence >>> 0, 12);
  return copy;
}

const REPLY_TEXTS = [
  '123#3#1',
  '123#3#0',
  '3#1',
  '3#0',
  '1',
  '0',
  '2',
  '123 #3#1',
  '１２３#３#１',
  'иә',
  'да',
  'нет',
  'Да, согласна',
  'стоп',
  'STOP',
  'Который запрос?',
  '123#3#1 и ещё 987654321012',
  '',
  ' ',
  '{{x}}',
  '<script>alert(1)</script>',
  '\u202etxt.exe',
  '\u0000\u0001\u001b',
  '😀👍🏽',
];

function randomText(r: Random): string {
  return r.weighted<() => string>([
    [6, () => r.pick(REPLY_TEXTS)],
    [2, () => r.string(r.int(1, 12), '0123456789#* ')],
    [2, () => r.string(r.int(1, 70), 'абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі АБВ.,!?')],
    [1, () => r.string(r.int(1, 160), 'abcdefghijklmnopqrstuvwxyz0123456789 @£$¥èéùìò')],
    [1, () => String.fromCharCode(...Array.from({ length: r.int(1, 40) }, () => r.int(0, 0xffff)))],
  ])();
}

/** The user data for `text` as the data_coding says, or random bytes. */
function encodeFor(r: Random, dataCoding: number, text: string): Buffer {
  if (r.chance(0.1)) return r.bytes(r.int(0, 254));
  if (dataCoding === 0x08) return encodeUcs2(text).subarray(0, 254);
  if (dataCoding === 0x00 && isGsm7(text)) return encodeGsm7(text).subarray(0, 254);
  return Buffer.from(text, r.chance(0.5) ? 'utf8' : 'latin1').subarray(0, 254);
}

const DATA_CODINGS = [0x00, 0x00, 0x08, 0x08, 0x03, 0x01, 0x04, 0xf0, 0xf4, 0x10, 0x18, 0x02, 0x05, 0x06];

/** A number the gateway knows (one it invited), a stranger, or something that is not a number. */
function randomSource(r: Random, known: readonly string[]): string {
  return r.weighted<() => string>([
    [known.length > 0 ? 5 : 0, () => r.pick(known)],
    [3, () => `77${r.digits(9)}`],
    [1, () => r.pick(['+', '8', '007', '']) + `7${r.digits(10)}`],
    [1, () => r.digits(r.int(0, 20))],
    [1, () => r.pick(['EGOV', 'Kaspi', '1414', 'BEELINE', 'a'])],
    [1, () => Buffer.from(Array.from({ length: r.int(1, 20) }, () => r.int(1, 255))).toString('latin1')],
  ])();
}

/** esm_class without the delivery-receipt type (bits 2-5 not 0x04). */
function replyEsmClass(r: Random): number {
  for (;;) {
    const esm = r.weighted<number>([
      [8, 0x00],
      [1, 0x03],
      [1, 0x08],
      [1, 0x10],
      [1, 0x20],
      [1, 0x80],
      [1, r.int(0, 255) & ~UDHI],
    ]);
    if ((esm & 0x3c) !== 0x04) return esm;
  }
}

function randomTlvs(r: Random): Buffer[] {
  const out: Buffer[] = [];
  const n = r.weighted<number>([
    [6, 0],
    [3, 1],
    [1, r.int(2, 6)],
  ]);
  for (let i = 0; i < n; i++) {
    out.push(
      r.weighted<() => Buffer>([
        // Unknown and vendor tags must be skipped (SMPP 3.4 §3.2.4).
        [4, () => tlv(r.int(0x1400, 0x3fff), r.bytes(r.int(0, 40)))],
        [2, () => tlv(TLV.userMessageReference, u16(r.int(0, 0xffff)))],
        [1, () => tlv(TLV.sourcePort, u16(r.int(0, 0xffff)))],
        [1, () => tlv(TLV.languageIndicator, u8(r.int(0, 5)))],
        [1, () => tlv(TLV.itsSessionInfo, r.bytes(2))],
        [1, () => tlv(TLV.networkErrorCode, r.bytes(3))],
      ])(),
    );
  }
  return out;
}

export class PduFactory {
  private nextTag = 1;
  private readonly sent: FuzzPdu[] = [];
  private readonly sequencesSeen: number[] = [];

  constructor(
    private readonly r: Random,
    /** Numbers with conversations (invited before the fuzz). */
    private readonly known: readonly string[],
  ) {}

  private tag(): string {
    return `1414${this.nextTag++}`;
  }

  /** Remembers a sequence number used, for later PDUs that repeat it. */
  usedSequence(sequence: number): void {
    if (this.sequencesSeen.length < 1000) this.sequencesSeen.push(sequence);
    else this.sequencesSeen[this.r.int(0, 999)] = sequence;
  }

  /** The next PDUs to send (a multipart reply gives several). */
  next(): FuzzPdu[] {
    const r = this.r;
    const made = r.weighted<() => FuzzPdu[]>([
      [60, () => [this.reply()]],
      [8, () => this.multipart()],
      [8, () => [this.retransmission()]],
      [12, () => [this.receipt()]],
      // Few: each may close the bind, and the gateway binds again after a pause.
      [0.6, () => [this.odd()]],
      [0.2, () => [this.malformed()]],
    ])();
    const repeatSequence = this.sequencesSeen.length > 0 && r.chance(0.03);
    return made.map((p) => {
      const pdu = repeatSequence ? { ...p, sequence: r.pick(this.sequencesSeen) } : p;
      if (pdu.kind === 'reply' || pdu.kind === 'part' || pdu.kind === 'receipt') {
        if (this.sent.length < 2000) this.sent.push(pdu);
        else this.sent[r.int(0, 1999)] = pdu;
      }
      return pdu;
    });
  }

  reply(): FuzzPdu {
    const r = this.r;
    const dataCoding = r.pick(DATA_CODINGS);
    const text = randomText(r);
    let shortMessage = encodeFor(r, dataCoding, text);
    let esmClass = replyEsmClass(r);
    const tlvs = randomTlvs(r);
    // A UDH that is not a concatenation one, or a broken one: the whole text is one SMS.
    if (r.chance(0.08)) {
      esmClass |= UDHI;
      const udh = r.weighted<() => Buffer>([
        [2, () => Buffer.from([0x03, 0x0a, 0x01, 0x00])], // a text-formatting IE, no concatenation
        [1, () => Buffer.from([0x05, 0x00, 0x03])], // UDHL longer than the IEs in it
        [1, () => Buffer.from([0xff])], // UDHL beyond the message
        [1, () => r.bytes(r.int(0, 12))],
      ])();
      shortMessage = Buffer.concat([udh, shortMessage]).subarray(0, 254);
    }
    // message_payload instead of short_message (SMPP 3.4 §5.3.2.32), up to 2,000 octets.
    if (r.chance(0.05)) {
      tlvs.push(tlv(TLV.messagePayload, r.chance(0.5) ? r.bytes(r.int(0, 2000)) : encodeUcs2(text)));
      shortMessage = Buffer.alloc(0);
    }
    const tag = this.tag();
    let source = randomSource(r, this.known);
    // A random UDH that reads as a concatenation one makes this a part of a longer reply.
    const concat = esmClass & UDHI ? parseUdh(shortMessage)?.concat : undefined;
    if (concat && !/^[\x20-\x7e]*$/.test(source)) source = `77${r.digits(9)}`;
    return {
      kind: concat ? 'part' : 'reply',
      tag,
      ...(concat
        ? {
            part: {
              from: source,
              concat: { scheme: concat.refBits === 16 ? 'udh16' : 'udh8', reference: concat.ref },
              total: concat.total,
              seq: concat.seq,
            },
          }
        : {}),
      bytes: deliverSm({
        sourceTon: r.chance(0.8) ? 1 : r.int(0, 7),
        sourceNpi: r.chance(0.8) ? 1 : r.int(0, 18),
        source,
        destination: tag,
        esmClass,
        protocolId: r.chance(0.9) ? 0 : r.int(0, 255),
        priority: r.int(0, 3),
        registeredDelivery: r.chance(0.9) ? 0 : r.int(0, 255),
        dataCoding,
        shortMessage,
        tlvs,
        ...(r.chance(0.05) ? { serviceType: r.pick(['CMT', 'WAP', 'USSD', 'x'.repeat(5)]) } : {}),
      }),
    };
  }

  /** A multipart reply (UDH with an 8- or 16-bit reference, or SAR TLVs), shuffled, sometimes with a part missing or twice. */
  multipart(): FuzzPdu[] {
    const r = this.r;
    const total = r.int(2, 4);
    const ucs2 = r.chance(0.5);
    const text = r.string(
      total * (ucs2 ? 60 : 140),
      ucs2 ? 'абвгдежзийклмнәғқңөұүһі 0123' : 'abcdefgh 0123#',
    );
    const payload = ucs2 ? encodeUcs2(text) : encodeGsm7(text);
    const size = Math.ceil(payload.length / total / 2) * 2;
    const method = r.weighted<ReplyPart['scheme']>([
      [3, 'udh8'],
      [1, 'udh16'],
      [1, 'sar'],
    ]);
    const ref = method === 'udh8' ? r.int(0, 255) : r.int(0, 0xffff);
    // A sender of its own: two replies from one number with one reference would be one reply.
    const from = `77${r.digits(9)}`;
    const tag = this.tag();
    const parts = Array.from({ length: total }, (_, i): FuzzPdu => {
      const seq = i + 1;
      const body = payload.subarray(i * size, (i + 1) * size);
      const udh =
        method === 'sar'
          ? Buffer.alloc(0)
          : buildConcatUdh({ ref, total, seq, refBits: method === 'udh16' ? 16 : 8 });
      const tlvs =
        method === 'sar'
          ? [
              tlv(TLV.sarMsgRefNum, u16(ref)),
              tlv(TLV.sarTotalSegments, u8(total)),
              tlv(TLV.sarSegmentSeqnum, u8(seq)),
            ]
          : [];
      return {
        kind: 'part',
        tag,
        part: { from, concat: { scheme: method, reference: ref }, total, seq },
        bytes: deliverSm({
          sourceTon: 1,
          sourceNpi: 1,
          source: from,
          destination: tag,
          esmClass: method === 'sar' ? 0 : UDHI,
          dataCoding: ucs2 ? 0x08 : 0x00,
          shortMessage: Buffer.concat([udh, body]),
          tlvs,
        }),
      };
    });
    for (let i = parts.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [parts[i], parts[j]] = [parts[j] as FuzzPdu, parts[i] as FuzzPdu];
    }
    if (r.chance(0.15)) parts.pop();
    if (r.chance(0.15)) parts.push({ ...r.pick(parts), again: true });
    return parts;
  }

  /** An earlier PDU again, byte for byte: the SMSC did not see our answer. */
  retransmission(): FuzzPdu {
    if (this.sent.length === 0) return this.reply();
    const earlier = this.r.pick(this.sent);
    return { ...earlier, again: true };
  }

  /** A delivery receipt (esm_class 0x04) for an SMS the gateway never sent, or unreadable. */
  receipt(): FuzzPdu {
    const r = this.r;
    const id = `fz${this.nextTag++}`;
    const stat = r.pick([
      'DELIVRD',
      'UNDELIV',
      'EXPIRED',
      'REJECTD',
      'ACCEPTD',
      'UNKNOWN',
      'DELETED',
      'ENROUTE',
      'XXXXXXX',
    ]);
    const named = r.chance(0.85);
    const text = r.weighted<() => string>([
      [
        named ? 4 : 0,
        () =>
          `id:${id} sub:001 dlvrd:001 submit date:2612051200 done date:2612051201 stat:${stat} err:${r.digits(3)} text:`,
      ],
      [named ? 1 : 0, () => `id:${id} stat:${stat}`],
      [named ? 0 : 1, () => randomText(r)],
    ])();
    const tlvs: Buffer[] = [];
    if (named && r.chance(0.4)) tlvs.push(tlv(TLV.receiptedMessageId, cstr(id)));
    if (r.chance(0.4)) tlvs.push(tlv(TLV.messageState, u8(r.int(0, 9))));
    if (r.chance(0.1)) tlvs.push(tlv(TLV.networkErrorCode, r.bytes(3)));
    return {
      kind: 'receipt',
      ...(named ? { tag: id } : {}),
      bytes: deliverSm({
        sourceTon: 1,
        sourceNpi: 1,
        source: `77${r.digits(9)}`,
        destination: '1414',
        esmClass: 0x04 | (r.chance(0.1) ? 0x80 : 0),
        dataCoding: named || r.chance(0.5) ? 0 : r.pick(DATA_CODINGS),
        shortMessage: Buffer.from(text, 'latin1').subarray(0, 254),
        tlvs,
      }),
    };
  }

  /** Framed right, read wrong: fields a decoder may refuse. */
  odd(): FuzzPdu {
    const r = this.r;
    const base = this.reply().bytes;
    const bytes = r.weighted<() => Buffer>([
      // A known TLV of the wrong length.
      [
        2,
        () =>
          appendBody(
            base,
            tlv(
              r.pick([
                TLV.userMessageReference,
                TLV.sarMsgRefNum,
                TLV.sarTotalSegments,
                TLV.messageState,
                TLV.sourcePort,
              ]),
              r.bytes(r.pick([0, 1, 3, 7])),
            ),
          ),
      ],
      // A TLV header cut short.
      [1, () => appendBody(base, r.bytes(r.int(1, 3)))],
      // A TLV whose length runs past the end.
      [1, () => appendBody(base, Buffer.concat([u16(0x1500), u16(r.int(10, 0xffff)), r.bytes(3)]))],
      // sm_length beyond the body: the body ends early.
      [1, () => truncateBody(base, r.int(1, 30))],
      // A body of one unterminated string.
      [1, () => header(DELIVER_SM, Buffer.from('x'.repeat(r.int(1, 64))))],
      // Strings longer than SMPP allows (source_addr 21, destination 21).
      [
        1,
        () =>
          deliverSm({
            sourceTon: 1,
            sourceNpi: 1,
            source: '7'.repeat(r.int(22, 300)),
            destination: 'x'.repeat(r.int(22, 300)),
            esmClass: 0,
            dataCoding: 0,
            shortMessage: Buffer.from('3#1'),
          }),
      ],
    ])();
    return { kind: 'odd', bytes };
  }

  /** Not a deliver_sm one can read. */
  malformed(): FuzzPdu {
    const r = this.r;
    const bytes = r.weighted<() => Buffer>([
      [2, () => r.bytes(r.int(1, 300))],
      [
        2,
        () => {
          const pdu = Buffer.from(this.reply().bytes);
          pdu.writeUInt32BE(r.pick([0, 8, 15, 65_537, 0x7fffffff, 0xffffffff]), 0);
          return pdu;
        },
      ],
      [
        1,
        () =>
          header(
            r.pick([0x00000004, 0x00000103, 0x0000ffff, r.int(0x10, 0x7fff), 0x80000000 | r.int(0, 0x7fff)]),
            r.bytes(r.int(0, 40)),
          ),
      ],
      [1, () => header(DELIVER_SM, Buffer.alloc(0))],
    ])();
    return { kind: 'malformed', bytes };
  }
}

/** `pdu` with `extra` appended to its body (command_length updated). */
function appendBody(pdu: Buffer, extra: Buffer): Buffer {
  const out = Buffer.concat([pdu, extra]);
  out.writeUInt32BE(out.length, 0);
  return out;
}

/** `pdu` without its last `n` octets (command_length updated). */
function truncateBody(pdu: Buffer, n: number): Buffer {
  const out = Buffer.from(pdu.subarray(0, Math.max(17, pdu.length - n)));
  out.writeUInt32BE(out.length, 0);
  return out;
}
