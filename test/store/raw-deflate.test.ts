import { randomBytes } from 'node:crypto';
import { DeflateRaw, deflateRawSync, InflateRaw, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFLATE_LEVEL, RawDeflate } from '../../store/raw-deflate.js';

const DICTIONARY = Buffer.from(
  'Уважаемый(ая) гражданин(ка)! Вы имеете право на получение государственной услуги {"kind":"sms","text":""}',
);
const HEAD = Buffer.from([0x1f, 1, 2, 3, 4, 5, 6]);
/** zlib's own call as the store packs: its dictionary, its level. */
const ZLIB = { dictionary: DICTIONARY, level: DEFLATE_LEVEL };

/** Documents of every size a store writes, in an order that reuses each stream many times. */
const documents = [
  '{"at":1,"kind":"sms-status","status":"sent"}',
  JSON.stringify({ kind: 'sms', text: 'Уважаемый(ая) гражданин(ка)! '.repeat(40) }),
  '',
  JSON.stringify({ kind: 'note', text: randomBytes(3000).toString('base64') }),
  '{"at":2}',
];

describe('raw deflate with a kept stream per dictionary', () => {
  it("writes deflateRawSync's own bytes, document after document", () => {
    const zlib = new RawDeflate(DICTIONARY);
    for (const round of [1, 2, 3]) {
      for (const doc of documents) {
        const input = Buffer.from(doc + round);
        const expected = deflateRawSync(input, ZLIB);
        expect(zlib.deflate(input, HEAD)).toEqual(Buffer.concat([HEAD, expected]));
      }
    }
  });

  it('reads back what it packed, and what deflateRawSync packed', () => {
    const zlib = new RawDeflate(DICTIONARY);
    for (const doc of documents) {
      const input = Buffer.from(doc);
      const packed = zlib.deflate(input, HEAD).subarray(HEAD.length);
      expect(zlib.inflateText(packed)).toBe(doc);
      expect(zlib.inflateText(deflateRawSync(input, ZLIB))).toBe(doc);
      // Any level inflates alike: zlib's default one too.
      expect(zlib.inflateText(deflateRawSync(input, { dictionary: DICTIONARY }))).toBe(doc);
    }
  });

  it('a document larger than its output room goes through zlib whole', () => {
    const zlib = new RawDeflate(DICTIONARY);
    const doc = randomBytes(100_000).toString('base64');
    const packed = zlib.deflate(Buffer.from(doc), HEAD);
    expect(packed.subarray(0, HEAD.length)).toEqual(HEAD);
    expect(inflateRawSync(packed.subarray(HEAD.length), { dictionary: DICTIONARY }).toString()).toBe(doc);
    expect(zlib.inflateText(packed.subarray(HEAD.length))).toBe(doc);
    expect(zlib.deflate(Buffer.from(documents[1] as string), HEAD)).toEqual(
      Buffer.concat([HEAD, deflateRawSync(Buffer.from(documents[1] as string), ZLIB)]),
    );
  });

  it("a corrupt or cut stream throws zlib's own error, and the next document still reads", () => {
    const zlib = new RawDeflate(DICTIONARY);
    const good = zlib.deflate(Buffer.from(documents[1] as string), HEAD).subarray(HEAD.length);
    const cut = good.subarray(0, good.length - 5);
    const corrupt = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    for (const bad of [cut, corrupt]) {
      const zlibError = (() => {
        try {
          inflateRawSync(bad, { dictionary: DICTIONARY });
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      })();
      expect(() => zlib.inflateText(bad)).toThrow(zlibError);
      expect(zlib.inflateText(good)).toBe(documents[1]);
    }
  });

  it("falls back to zlib's own calls when a kept stream writes other bytes than zlib's (a Node whose internals changed)", () => {
    // The native handles' shared prototype: every stream's writeSync, deflateRawSync's too.
    const handles = [new DeflateRaw(), new InflateRaw()].map(
      (stream) =>
        Object.getPrototypeOf((stream as unknown as { _handle: object })._handle) as {
          writeSync: (...args: unknown[]) => void;
        },
    );
    const prototype = handles[0]!;
    expect(handles[1]).toBe(prototype);
    const writeSync = prototype.writeSync;
    const input = Buffer.from(documents[1] as string);
    const expected = deflateRawSync(input, ZLIB);
    // Garble only what is written into a kept stream's room (65 KiB and more), not zlib's own calls.
    prototype.writeSync = function (this: unknown, ...args: unknown[]) {
      writeSync.apply(this, args);
      const output = args[4] as Buffer;
      const at = args[5] as number;
      if (output.length > 65_536) output[at] = (output[at] ?? 0) ^ 0xff;
    };
    try {
      const zlib = new RawDeflate(DICTIONARY);
      expect(zlib.deflate(input, HEAD)).toEqual(Buffer.concat([HEAD, expected]));
      expect(zlib.inflateText(expected)).toBe(documents[1]);
    } finally {
      prototype.writeSync = writeSync;
    }
  });
});
