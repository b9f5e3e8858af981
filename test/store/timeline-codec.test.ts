/**
 * The timeline's one codec (store/timeline-codec.ts): every kind reads back as written, whatever
 * its stored form; an entry too long for its u16 length is shortened, never refused; bytes of a
 * form the store never writes are GW_STORE_FORMAT.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../store/keys.js';
import { TextCodec } from '../../store/text-codec.js';
import { splitEntries, TimelineCodec } from '../../store/timeline-codec.js';
import type { TimelineEntry } from '../../store/timeline-entry.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { smsEntry } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

async function codec(): Promise<TimelineCodec> {
  const text = await TextCodec.create(
    redis,
    createKeys(testPrefix('tl')),
    Buffer.from('{"at":0,"kind":"note"}'),
  );
  return new TimelineCodec(text);
}

const decodeOne = async (c: TimelineCodec, entry: TimelineEntry) => {
  const [raw] = splitEntries(c.encode(entry));
  const [decoded, ...more] = await c.decode(raw!);
  expect(more).toEqual([]);
  return decoded!;
};

/** Stored entries as the timeline holds them: each after its length. */
const joined = (entries: Buffer[]) => Buffer.concat(entries);

/** Text deflate cannot shrink: base64 of random bytes. */
const noise = (chars: number): string => randomBytes(chars).toString('base64').slice(0, chars);

describe('the timeline codec', () => {
  it('reads every kind back as written', async () => {
    const c = await codec();
    const entries: TimelineEntry[] = [
      { at: 1, kind: 'transition', from: 'invited', to: 'consented', stage: 'done', cause: 'reply 123#3#1' },
      { at: 2, kind: 'reply', text: '123#3#1', meaning: 'consent', accepted: true },
      { at: 3, kind: 'event', name: 'decision', detail: 'assigned' },
      { at: 4, kind: 'note', text: 'checked the number', by: 'sup-1', action: 'resend', smsId: '0.0' },
      smsEntry({ at: 5, heldUntil: 9, resendOf: '0.0', avoidCarriers: ['kcell'] }),
      { at: 6, kind: 'sms-status', smsId: '0.0', status: 'sent', messageIds: ['5f3a'], encoding: 'ucs2' },
      { at: 7, kind: 'sms-status', smsId: '0.0', part: 1, parts: 2, status: 'delivered', stat: 'DELIVRD' },
      { at: 8, kind: 'sms-status', smsId: '0.0', status: 'wrong-network', carrier: 'tele2', reason: '0x0b' },
      { at: 9, kind: 'sms-status', smsId: '0.0', status: 'unknown', reason: 'no final receipt within 72 h' },
    ];
    for (const entry of entries) expect(await decodeOne(c, entry)).toEqual(entry);
  });

  it("packs a step's entries without a compact form together, and reads them back in order", async () => {
    const c = await codec();
    const step: TimelineEntry[] = [
      { at: 1, kind: 'reply', text: '123#3#1', meaning: 'consent', accepted: true },
      { at: 1, kind: 'transition', from: 'invited', to: 'consented', stage: 'done', cause: 'reply' },
      { at: 1, kind: 'sms-status', smsId: '0.0', status: 'sent', messageIds: ['5f3a'], encoding: 'ucs2' },
      smsEntry({ at: 1 }),
      { at: 1, kind: 'event', name: 'decision', detail: 'assigned' },
    ];
    const stored = c.encodeAll(step);
    // The reply and the transition in one packed document, the sent entry alone, then the rest.
    expect(stored.map((s) => s[2])).toEqual([0x1f, 0x1b, 0x1f]);
    expect(await c.decodeAll(joined(stored))).toEqual(step);
    expect(c.encodeAll([step[0]!]).map((s) => s[2])).toEqual([0x1f]);
    expect(await c.decodeAll(joined(c.encodeAll([step[0]!])))).toEqual([step[0]]);
    expect(c.encodeAll([])).toEqual([]);
  });

  it("stores the entries of a step one by one when together they exceed an entry's length", async () => {
    const c = await codec();
    const step: TimelineEntry[] = [
      { at: 1, kind: 'reply', text: noise(50_000), meaning: 'garbage', accepted: false },
      { at: 2, kind: 'reply', text: noise(50_000), meaning: 'garbage', accepted: false },
    ];
    const stored = c.encodeAll(step);
    expect(stored).toHaveLength(2);
    expect(await c.decodeAll(joined(stored))).toEqual(step);
  });

  it('keeps the start of a text too long to store, and notes an entry too long without one', async () => {
    const c = await codec();
    const text = noise(100_000);
    const reply = await decodeOne(c, { at: 1, kind: 'reply', text, meaning: 'garbage', accepted: false });
    expect(reply).toMatchObject({ kind: 'reply', meaning: 'garbage', accepted: false });
    expect(reply.kind === 'reply' && reply.text).toBe(
      `${text.slice(0, 4000)}… [100000 characters, cut for storage]`,
    );
    const ids = Array.from({ length: 4000 }, () => noise(24));
    const status: TimelineEntry = {
      at: 2,
      kind: 'sms-status',
      smsId: '0.0',
      status: 'sent',
      messageIds: ids,
    };
    expect(await decodeOne(c, status)).toEqual({
      at: 2,
      kind: 'note',
      text: 'a sms-status entry too long to store',
    });
  });

  it('refuses a compact entry with a value outside its tables, and an entry of an unknown form', async () => {
    const c = await codec();
    const [run] = splitEntries(
      c.encode({
        at: 1,
        kind: 'sms-status',
        smsId: '0.0',
        part: 0,
        parts: 1,
        status: 'failed',
        stat: 'UNDELIV',
      }),
    );
    run![2] = 9; // status index: the table has 3
    await expect(c.decode(run!)).rejects.toMatchObject({ code: 'GW_STORE_FORMAT', message: /malformed/ });
    await expect(c.decode(Buffer.from('{"at":1}'))).rejects.toMatchObject({ code: 'GW_STORE_FORMAT' });
    const text = await TextCodec.create(redis, createKeys(testPrefix('tl')), Buffer.from('{"at":0}'));
    const one = text.pack(JSON.stringify([{ at: 1, kind: 'event', name: 'x', detail: 'y' }]));
    // An array holds two entries or more: a single entry is stored as itself.
    await expect(new TimelineCodec(text).decode(one)).rejects.toMatchObject({ code: 'GW_STORE_FORMAT' });
  });
});
