/**
 * SMPP framing (pure): bytes from the socket → whole PDUs.
 *
 * SMPP 3.4 §3.2: every PDU starts with a 4-octet command_length that counts
 * itself. A length below the 16-octet header, or above what any sane SMSC sends,
 * means the stream is out of step: nothing after it can be trusted, so the bind
 * is closed rather than resynchronised.
 */

/** SMPP 3.4 §3.2: the header alone is 16 octets. */
export const MIN_PDU_LENGTH = 16;
/** Upper bound we accept; the Perl SMSC and most carriers use 64 KiB. */
export const MAX_PDU_LENGTH = 65_536;

export type FrameResult =
  | { readonly ok: true; readonly frames: readonly Buffer[] }
  | { readonly ok: false; readonly frames: readonly Buffer[]; readonly error: string };

/** Accumulates socket chunks and cuts them into complete PDUs. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Add a chunk; returns the frames now complete, or an error once the stream is corrupt. */
  push(chunk: Buffer): FrameResult {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length < MIN_PDU_LENGTH || length > MAX_PDU_LENGTH) {
        this.buffer = Buffer.alloc(0);
        return {
          ok: false,
          frames,
          error: `command_length ${length} outside ${MIN_PDU_LENGTH}..${MAX_PDU_LENGTH}`,
        };
      }
      if (this.buffer.length < length) break;
      frames.push(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
    }
    return { ok: true, frames };
  }
}
