/**
 * A script call written straight into one RESP buffer, for the one call made for every SMS the
 * gateway sends (store/conversations.ts `recordSentMany`, store/lua/sent.lua). ioredis writes a
 * command with a Buffer argument by measuring each argument twice and copying it through a list
 * of pieces: for the ≈ 200 arguments of one turn's call that was a quarter of the sender's write
 * path (docs/performance.md). Only `EVALSHA` goes this way: ioredis sends the first call of a
 * script on a connection as `EVAL` (it loads the script), and again after `NOSCRIPT`.
 */
import { Command } from 'ioredis';

const CRLF = 0x0d0a;

/** A command whose bytes are already written: ioredis sends them as they are. */
export class WrittenCommand extends Command {
  constructor(
    name: string,
    private readonly bytes: Buffer,
  ) {
    super(name, [], { replyEncoding: 'utf8' });
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}

/** Bytes appended to a buffer that grows as needed. */
export class ByteWriter {
  private buf: Buffer;
  private at = 0;

  constructor(size = 8192) {
    this.buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.at;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + bytes));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** A decimal number in ASCII (RESP lengths and counts). */
  decimal(n: number): this {
    const s = String(n);
    this.room(s.length);
    this.at += this.buf.write(s, this.at, 'latin1');
    return this;
  }

  /** A string as UTF-8, returning its byte length. */
  utf8(s: string): number {
    this.room(3 * s.length);
    const n = this.buf.write(s, this.at, 'utf8');
    this.at += n;
    return n;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }

  byte(n: number): this {
    this.room(1);
    this.buf[this.at++] = n;
    return this;
  }

  crlf(): this {
    this.room(2);
    this.buf.writeUInt16BE(CRLF, this.at);
    this.at += 2;
    return this;
  }

  /** A string after its UTF-8 length (4 bytes, big-endian): the values of store/lua/sent.lua. */
  lengthPrefixed(value: string | Uint8Array): this {
    this.room(4);
    const head = this.at;
    this.at += 4;
    // Measured before `this.buf` is read: writing the value may move it to a larger buffer.
    let n = value.length;
    if (typeof value === 'string') n = this.utf8(value);
    else this.bytes(value);
    this.buf.writeUInt32BE(n, head);
    return this;
  }

  /** The bytes written (a view: the writer must not be used afterwards). */
  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

/** A RESP array of bulk strings (the request form of every Redis command). */
export class RespWriter {
  private readonly out = new ByteWriter();

  constructor(count: number) {
    this.out.byte(0x2a).decimal(count).crlf(); // '*'
  }

  bulk(value: string | Uint8Array): this {
    const n = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    this.out.byte(0x24).decimal(n).crlf(); // '$'
    if (typeof value === 'string') this.out.utf8(value);
    else this.out.bytes(value);
    this.out.crlf();
    return this;
  }

  done(): Buffer {
    return this.out.done();
  }
}
