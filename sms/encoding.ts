/**
 * SMS text encoding and segmentation (pure: no I/O).
 *
 * - GSM 03.38 default alphabet and its extension table (3GPP TS 23.038 §6.2.1),
 *   sent over SMPP as unpacked septets, one per octet (SMPP 3.4 §5.2.19,
 *   data_coding 0). Extension characters take two septets (ESC + code).
 * - UCS2 (data_coding 8) as UTF-16BE: every Kazakh and Russian text.
 * - Concatenation UDH (3GPP TS 23.040 §9.2.3.24.1 IEI 0x00, §9.2.3.24.8 IEI 0x08).
 *
 * The `smpp` package's own encoder turns unknown characters into spaces or `@`
 * and labels GSM text as data_coding 1; this module is why we never use it.
 */

/** Basic GSM 03.38 table: index = septet value. 0x1B is the escape to the extension table. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table (after ESC 0x1B): character → septet. */
const GSM_EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

const ESC = 0x1b;
const basicEncode = new Map<string, number>();
for (let i = 0; i < GSM_BASIC.length; i++) {
  const ch = GSM_BASIC[i];
  if (ch !== undefined && i !== ESC) basicEncode.set(ch, i);
}
const extEncode = new Map<string, number>(GSM_EXTENSION);
const extDecode = new Map<number, string>(GSM_EXTENSION.map(([ch, code]) => [code, ch]));

export type SmsEncoding = 'gsm7' | 'ucs2';

/** SMPP data_coding values we send and read (SMPP 3.4 §5.2.19). */
export const DATA_CODING = { gsm7: 0x00, latin1: 0x03, ucs2: 0x08 } as const;

/** Septets one character takes in GSM 03.38, or undefined if it is not in the alphabet. */
function gsmSeptets(ch: string): 1 | 2 | undefined {
  if (basicEncode.has(ch)) return 1;
  if (extEncode.has(ch)) return 2;
  return undefined;
}

/** True when every character of `text` is in GSM 03.38 (basic or extension table). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsmSeptets(ch) === undefined) return false;
  return true;
}

export function chooseEncoding(text: string): SmsEncoding {
  return isGsm7(text) ? 'gsm7' : 'ucs2';
}

/** GSM 03.38 text → unpacked septets (one per octet). Throws on a character outside the alphabet. */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const basic = basicEncode.get(ch);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = extEncode.get(ch);
    if (ext === undefined)
      throw new RangeError(`character U+${ch.codePointAt(0)?.toString(16)} is not in GSM 03.38`);
    out.push(ESC, ext);
  }
  return Buffer.from(out);
}

/** Unpacked septets → text. An unknown septet or dangling ESC decodes as U+FFFD rather than guessing. */
export function decodeGsm7(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! & 0x7f;
    if (b === ESC) {
      const next = bytes[i + 1];
      if (next === undefined) {
        out += '\ufffd';
        break;
      }
      i++;
      // 3GPP TS 23.038: an undefined extension code shows as a space (the basic character is safer to flag).
      out += extDecode.get(next & 0x7f) ?? '\ufffd';
      continue;
    }
    out += GSM_BASIC[b] ?? '\ufffd';
  }
  return out;
}

export function encodeUcs2(text: string): Buffer {
  const buf = Buffer.from(text, 'utf16le');
  return buf.swap16();
}

/** UTF-16BE → text. An odd trailing byte is dropped (U+FFFD) rather than throwing. */
export function decodeUcs2(bytes: Uint8Array): string {
  const even = bytes.length - (bytes.length % 2);
  const copy = Buffer.from(bytes.subarray(0, even));
  const text = copy.swap16().toString('utf16le');
  return even === bytes.length ? text : text + '\ufffd';
}

export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** How a received text is encoded: what the carrier labelled it (SMPP 3.4 §5.2.19, 3GPP TS 23.038 §4). */
export type TextEncoding = SmsEncoding | 'latin1' | 'ascii';

/** The encoding a data_coding labels (the low bits for the GSM message-class group). */
export function textEncodingOf(dataCoding: number): TextEncoding {
  if (dataCoding === 0x08 || (dataCoding & 0xf0) === 0xe0) return 'ucs2';
  if (dataCoding === 0x03) return 'latin1';
  if (dataCoding === 0x01) return 'ascii';
  if ((dataCoding & 0xf0) === 0xf0) return (dataCoding & 0x04) === 0 ? 'gsm7' : 'latin1';
  if ((dataCoding & 0xc0) === 0x00 && (dataCoding & 0x0c) === 0x08) return 'ucs2';
  return 'gsm7';
}

/** Decode received bytes in their encoding. */
export function decodeText(encoding: TextEncoding, bytes: Uint8Array): string {
  switch (encoding) {
    case 'ucs2':
      return decodeUcs2(bytes);
    case 'latin1':
      return decodeLatin1(bytes);
    case 'ascii':
      return Buffer.from(bytes).toString('ascii');
    case 'gsm7':
      return decodeGsm7(bytes);
  }
}

/** Decode a short_message as labelled by its data_coding. */
export function decodeByDataCoding(dataCoding: number, bytes: Uint8Array): string {
  return decodeText(textEncodingOf(dataCoding), bytes);
}

/** Per-part capacity: single message / each part of a concatenated one (with a 6-octet UDH, IEI 0x00). */
export const LIMITS = {
  gsm7: { single: 160, part: 153, part16: 152 },
  ucs2: { single: 70, part: 67, part16: 66 },
} as const;

/**
 * The most parts one concatenated SMS can have: the UDH carries the total and the sequence number in one
 * octet each (3GPP TS 23.040 §9.2.3.24.1), and 0 is not a valid sequence number.
 */
export const MAX_SMS_PARTS = 255;

export interface Segmentation {
  readonly encoding: SmsEncoding;
  readonly dataCoding: number;
  /** Characters as a reader counts them (code points). */
  readonly characters: number;
  /** Units of the encoding: septets for GSM, UTF-16 code units for UCS2. */
  readonly units: number;
  /** The text of each part, in order; a single-part message has one entry. */
  readonly parts: readonly string[];
}

export interface SegmentOptions {
  /** Force an encoding; by default GSM when every character fits, else UCS2. */
  readonly encoding?: SmsEncoding;
  /** 16-bit concatenation reference (IEI 0x08) leaves one unit less per part. Default false. */
  readonly ref16?: boolean;
}

/** Units the code point at `i` costs: septets (GSM) or UTF-16 code units (UCS2). */
function unitCostAt(text: string, i: number, width: number, encoding: SmsEncoding): number {
  if (encoding === 'ucs2') return width; // 2 for a surrogate pair
  return gsmSeptets(width === 1 ? (text[i] as string) : text.slice(i, i + width)) ?? 1;
}

/** UTF-16 code units of the code point at `i`: 2 for a surrogate pair. */
const widthAt = (text: string, i: number): number => ((text.codePointAt(i) as number) > 0xffff ? 2 : 1);

/**
 * Split a text into SMS parts. Never splits a surrogate pair (UCS2) or an
 * ESC + extension septet pair (GSM) across parts. Walks the text by index and cuts it
 * with `slice`: one SMS is sent for every call, and an array of its characters would be
 * garbage for every SMS (docs/performance.md).
 */
export function segment(text: string, options: SegmentOptions = {}): Segmentation {
  const encoding = options.encoding ?? chooseEncoding(text);
  const limits = LIMITS[encoding];
  if (encoding === 'ucs2' && !SURROGATE.test(text)) return ucs2Parts(text, options);
  let units = 0;
  let characters = 0;
  for (let i = 0; i < text.length; characters++) {
    const width = widthAt(text, i);
    units += unitCostAt(text, i, width, encoding);
    i += width;
  }
  const dataCoding = DATA_CODING[encoding];
  if (units <= limits.single) return { encoding, dataCoding, characters, units, parts: [text] };
  const perPart = options.ref16 ? limits.part16 : limits.part;
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length;) {
    const width = widthAt(text, i);
    const cost = unitCostAt(text, i, width, encoding);
    if (used + cost > perPart) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += cost;
    i += width;
  }
  if (start < text.length) parts.push(text.slice(start));
  if (parts.length > MAX_SMS_PARTS) {
    // Callers check a service's maxParts before queueing, so reaching this is a bug, not an input error.
    throw new RangeError(`a text of ${parts.length} parts exceeds the ${MAX_SMS_PARTS} a UDH can number`);
  }
  return { encoding, dataCoding, characters, units, parts };
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * `segment` of a UCS2 text without surrogate pairs (Kazakh and Russian SMS): every character is
 * one unit, so the parts are slices of equal length: the same parts as the walk by code point,
 * without that walk on every invitation rendered and every SMS sent (docs/performance.md).
 */
function ucs2Parts(text: string, options: SegmentOptions): Segmentation {
  const limits = LIMITS.ucs2;
  const units = text.length;
  const base = { encoding: 'ucs2', dataCoding: DATA_CODING.ucs2, characters: units, units } as const;
  if (units <= limits.single) return { ...base, parts: [text] };
  const perPart = options.ref16 ? limits.part16 : limits.part;
  const parts: string[] = [];
  for (let start = 0; start < units; start += perPart) parts.push(text.slice(start, start + perPart));
  if (parts.length > MAX_SMS_PARTS)
    throw new RangeError(`a text of ${parts.length} parts exceeds the ${MAX_SMS_PARTS} a UDH can number`);
  return { ...base, parts };
}

/** Encode one part's text in the chosen encoding. */
export function encodeText(text: string, encoding: SmsEncoding): Buffer {
  return encoding === 'gsm7' ? encodeGsm7(text) : encodeUcs2(text);
}

export interface ConcatInfo {
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  /** 8 for IEI 0x00, 16 for IEI 0x08. */
  readonly refBits: 8 | 16;
}

/** UDH with one concatenation IE (3GPP TS 23.040 §9.2.3.24.1 / .8). */
export function buildConcatUdh(info: ConcatInfo): Buffer {
  if (!(info.total >= 1 && info.total <= MAX_SMS_PARTS && info.seq >= 1 && info.seq <= info.total)) {
    // An octet would wrap (part 256 shown as 0): refuse rather than send a header phones cannot reassemble.
    throw new RangeError(`concatenation part ${info.seq} of ${info.total} cannot be numbered in a UDH`);
  }
  if (info.refBits === 16) {
    return Buffer.from([0x06, 0x08, 0x04, (info.ref >> 8) & 0xff, info.ref & 0xff, info.total, info.seq]);
  }
  return Buffer.from([0x05, 0x00, 0x03, info.ref & 0xff, info.total, info.seq]);
}

export interface ParsedUdh {
  /** Octets taken by the UDH including its length octet. */
  readonly length: number;
  readonly concat?: ConcatInfo;
  readonly elements: ReadonlyArray<{ readonly iei: number; readonly data: Buffer }>;
}

/**
 * A concatenation IE's numbers, or undefined when the receiver is to ignore the IE: 3GPP TS 23.040
 * §9.2.3.24.1 (and .8), a total of zero, or a sequence number of zero or above the total.
 */
export function numberedPart(info: ConcatInfo): ConcatInfo | undefined {
  return info.total >= 1 && info.seq >= 1 && info.seq <= info.total ? info : undefined;
}

/**
 * Read the UDH at the start of a short_message (esm_class 0x40 set).
 * Returns undefined when the header is malformed (length past the end, an IE overrunning it); a
 * concatenation IE whose numbers cannot be (`numberedPart`) is kept among the elements only.
 */
export function parseUdh(message: Uint8Array): ParsedUdh | undefined {
  const udhl = message[0];
  if (udhl === undefined || udhl + 1 > message.length) return undefined;
  const elements: Array<{ iei: number; data: Buffer }> = [];
  let concat: ConcatInfo | undefined;
  let i = 1;
  while (i < udhl + 1) {
    const iei = message[i];
    const len = message[i + 1];
    if (iei === undefined || len === undefined || i + 2 + len > udhl + 1) return undefined;
    const data = Buffer.from(message.subarray(i + 2, i + 2 + len));
    elements.push({ iei, data });
    if (iei === 0x00 && len === 3) {
      concat = numberedPart({ ref: data[0]!, total: data[1]!, seq: data[2]!, refBits: 8 }) ?? concat;
    } else if (iei === 0x08 && len === 4) {
      concat =
        numberedPart({ ref: (data[0]! << 8) | data[1]!, total: data[2]!, seq: data[3]!, refBits: 16 }) ??
        concat;
    }
    i += 2 + len;
  }
  return concat ? { length: udhl + 1, concat, elements } : { length: udhl + 1, elements };
}
