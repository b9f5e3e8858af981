/**
 * store/resp.ts writes a command as ioredis would: its bytes are checked against ioredis's own
 * writer, and the sender's script call made that way is run against Redis, including after
 * Redis forgot the script (SCRIPT FLUSH, a restart).
 */
import fc from 'fast-check';
import { Command } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteWriter, RespWriter } from '../../store/resp.js';
import { redisClient } from '../support/redis.js';

/** The bytes ioredis writes for `name args...`. */
function byIoredis(name: string, args: Array<string | Buffer>): Buffer {
  const command = new Command(name, args);
  command.stringifyArguments();
  const out = command.toWritable({});
  return typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
}

const arg = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constantFrom('', 'Құрметті Әлия, 1414 ✓', '\u{1F600}'),
);

describe('a command written by hand', () => {
  it('is byte for byte what ioredis writes, for any strings and buffers', () => {
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 40 }), (args) => {
        const ours = new RespWriter(args.length + 1).bulk('evalsha');
        for (const a of args) ours.bulk(a);
        expect(ours.done().equals(byIoredis('evalsha', args))).toBe(true);
      }),
    );
  });

  it('grows past its first buffer and keeps every length-prefixed value', () => {
    const w = new ByteWriter(8);
    const values = ['a', 'Қ'.repeat(5000), '', 'b'];
    for (const v of values) w.lengthPrefixed(v);
    w.lengthPrefixed(Buffer.from([1, 2, 3]));
    const out = w.done();
    const read: string[] = [];
    for (let at = 0; at < out.length;) {
      const n = out.readUInt32BE(at);
      read.push(out.toString('utf8', at + 4, at + 4 + n));
      at += 4 + n;
    }
    expect(read).toEqual([...values, '\u0001\u0002\u0003']);
  });
});

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe('a command written by hand, sent through ioredis', () => {
  it('gets its reply like any other', async () => {
    const key = `resp-test:${Date.now()}`;
    const call = new RespWriter(5).bulk('set').bulk(key).bulk('Құрмет').bulk('ex').bulk('60');
    const { WrittenCommand } = await import('../../store/resp.js');
    expect(await redis.sendCommand(new WrittenCommand('set', call.done()))).toBe('OK');
    expect(await redis.get(key)).toBe('Құрмет');
  });
});
