/**
 * Raw deflate and inflate with a preset dictionary, one zlib stream per dictionary kept and reset
 * between documents. `deflateRawSync` opens a stream per call (zlib allocates and clears a few
 * hundred KB of state, and Node a stream object around it) and closes it after; for documents of
 * a few KB that opening is most of the call's cost (docs/performance.md). A reset stream writes
 * the same bytes as a new one: zlib's reset keeps the parameters and Node sets the dictionary
 * again.
 *
 * Node offers no public call that runs a kept stream synchronously, so this drives the stream's
 * handle the way `zlib.deflateRawSync` itself does. Where a Node lacks that handle, or a document
 * does not fit the kept output buffer, or zlib reports an error (a corrupt stored document), the
 * call goes to `deflateRawSync`/`inflateRawSync` instead: same bytes, same errors. And since a
 * Node whose internals changed could write other bytes without failing, a kept stream is used
 * only once it has given zlib's own bytes for a probe, both ways (stored documents must read back).
 */
import { constants, DeflateRaw, deflateRawSync, InflateRaw, inflateRawSync } from 'node:zlib';

/**
 * zlib's compression level: 3, the most thorough of its fast levels. Stored documents are a few
 * hundred bytes packed against a preset dictionary, where the default level's longer match search
 * costs more CPU per document than the bytes it saves are worth (docs/performance.md). Any level
 * inflates alike: the level is no part of the stored form.
 */
export const DEFLATE_LEVEL = 3;

/** The part of a Node zlib stream `zlib.*Sync` uses: its native handle and the state it writes. */
interface SyncHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
}
interface KeptStream {
  readonly _handle?: SyncHandle | null;
  readonly _writeState?: Uint32Array;
  readonly destroyed: boolean;
  reset(): void;
  on(event: 'error', listener: () => void): unknown;
}

/**
 * Output room, shared by every kept stream (each call runs to its end synchronously): a stored
 * document is at most 64 KiB (a timeline entry's length is a u16), with room for its head.
 */
const output = Buffer.allocUnsafe(65_536 + 1024);

/** A probe's own text, after the end of its dictionary: both matched and new bytes. */
const PROBE = Buffer.from('{"probe":"Өтінім қабылданды. Заявка принята. 0123456789"}');

/** One dictionary's kept stream for one direction, opened on first use; null once it cannot be driven. */
class Kept {
  private stream: KeptStream | null | undefined;

  constructor(private readonly open: () => KeptStream) {}

  /** zlib's own calls from now on. */
  disable(): void {
    this.stream = null;
  }

  private opened(): KeptStream | null {
    const stream = this.open();
    // zlib's errors also reach the stream as an 'error' event; the caller has them from zlib's own call.
    stream.on('error', () => undefined);
    const handle = stream._handle;
    return handle && typeof handle.writeSync === 'function' && stream._writeState ? stream : null;
  }

  /**
   * `input` through the stream to its end, into the shared output from `head` on; the end of
   * what it wrote there, or undefined when the stream cannot take it (the caller then uses
   * zlib's own call).
   */
  run(input: Buffer, head: number): number | undefined {
    if (this.stream === undefined) this.stream = this.opened();
    const stream = this.stream;
    if (!stream) return undefined;
    let failed = false;
    try {
      stream.reset();
      (stream._handle as SyncHandle).writeSync(
        constants.Z_FINISH,
        input,
        0,
        input.length,
        output,
        head,
        output.length - head,
      );
    } catch {
      failed = true;
    }
    if (failed || stream.destroyed) {
      // zlib reported an error (its handler destroys the stream): open another next time.
      this.stream = undefined;
      return undefined;
    }
    const state = stream._writeState as Uint32Array;
    const outLeft = state[0] as number;
    // Output room used up, or input left over: not a document this buffer takes.
    if (outLeft === 0 || state[1] !== 0) return undefined;
    return output.length - outLeft;
  }
}

/** Deflate and inflate with one preset dictionary. */
export class RawDeflate {
  private readonly deflater: Kept;
  private readonly inflater: Kept;

  constructor(private readonly dictionary: Buffer) {
    this.deflater = new Kept(() => new DeflateRaw({ dictionary, level: DEFLATE_LEVEL }));
    this.inflater = new Kept(() => new InflateRaw({ dictionary }));
    const probe = Buffer.concat([dictionary.subarray(-200), PROBE]);
    const packed = deflateRawSync(probe, { dictionary, level: DEFLATE_LEVEL });
    // Run twice: the second run is what a reset stream writes.
    for (let run = 0; run < 2; run++) {
      const deflated = this.deflater.run(probe, 0);
      if (deflated === undefined || !output.subarray(0, deflated).equals(packed)) this.deflater.disable();
      const inflated = this.inflater.run(packed, 0);
      if (inflated === undefined || !output.subarray(0, inflated).equals(probe)) this.inflater.disable();
    }
  }

  /** `prefix`, then the raw deflate stream of `input`, in one Buffer. */
  deflate(input: Buffer, prefix: Buffer): Buffer {
    const end = this.deflater.run(input, prefix.length);
    if (end === undefined)
      return Buffer.concat([
        prefix,
        deflateRawSync(input, { dictionary: this.dictionary, level: DEFLATE_LEVEL }),
      ]);
    prefix.copy(output, 0);
    return Buffer.from(output.subarray(0, end));
  }

  /** The UTF-8 text a raw deflate stream holds; zlib's error for a corrupt one. */
  inflateText(input: Buffer): string {
    const end = this.inflater.run(input, 0);
    return end === undefined
      ? inflateRawSync(input, { dictionary: this.dictionary }).toString('utf8')
      : output.toString('utf8', 0, end);
  }
}
