/**
 * The sender's writes of one turn in one script (store/lua/sent-n.lua via `recordSentMany`):
 * each SMS's record, its sent entry in its conversation's timeline, and its parts' receipt links.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../dev/redis-server.js';
import { newConversation } from '../../dialogue/conversation.js';
import { readAwaitedMember } from '../../store/awaited-receipts.js';
import { createKeys } from '../../store/keys.js';
import { RECEIPT_DAYS } from '../../store/receipts.js';
import { partialRecord } from '../../store/sms-record.js';
import type { SmsStatusEntry, TimelineEntry } from '../../store/timeline-entry.js';
import { idsInOneBucket } from '../support/receipt-buckets.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { testStore } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const conversation = (id: string) =>
  newConversation({
    id,
    service: 'home-schooling',
    externalId: id,
    msisdn: '77010000001',
    language: 'kk',
    params: {},
    createdAt: 1,
    stage: 'offer-one-bank',
    version: -1,
    deadline: 2,
    offered: [],
  });

const sent = (conversationId: string, at: number) =>
  ({
    at,
    kind: 'sms-status',
    smsId: '0.0',
    status: 'sent',
    messageIds: [`${conversationId}-a`, `${conversationId}-b`],
    encoding: 'ucs2',
  }) satisfies SmsStatusEntry;

describe('recording the SMS accepted in one turn', () => {
  it('marks each sent, appends its entry, and links its parts', async () => {
    const keys = createKeys(testPrefix('sent'));
    const store = await testStore(redis, keys);
    const first: TimelineEntry = { at: 1, kind: 'note', text: 'first' };
    expect(await store.commit(-1, conversation('c1'), [first], [], false)).toBe(true);
    const items = ['c1', 'gone'].map((c, n) => ({
      conversationId: c,
      smsId: '0.0',
      templateId: 'home-schooling.offer-one-bank',
      campaign: 'spring',
      entry: sent(c, 10 + n),
    }));
    const links = store.receipts.plan(
      items.map((i) => ({
        ids: i.entry.messageIds.map((id) => `kcell:${id}`),
        conversationId: i.conversationId,
      })),
    );

    await store.recordSentMany(items, 600, links);

    expect(await store.timeline('c1')).toEqual([first, items[0]!.entry]);
    // One read gives both (the receipt path's `origin`).
    expect(await store.withTimeline('c1')).toEqual({
      conversation: await store.get('c1'),
      timeline: await store.timeline('c1'),
    });
    expect(await store.withTimeline('gone')).toBeNull();
    expect(await redis.exists(keys.conversation('gone'))).toBe(0);
    // c1's compact sent entry in its timeline marks it sent: its record is gone, and a claim
    // (a second hand-over of the SMS) finds it sent there and leaves no claim behind.
    expect(await redis.exists(store.sms.key(items[0]!))).toBe(0);
    const kept = { state: 'sent', templateId: 'home-schooling.offer-one-bank', campaign: 'spring' };
    expect(await store.sms.claim(items, 'again', 60)).toEqual([
      { state: 'sent', templateId: null, campaign: null },
      kept,
    ]);
    expect(await redis.exists(store.sms.key(items[0]!))).toBe(0);
    // A conversation that is gone has no compact entry to find: the record says it, for its TTL.
    expect(await store.sms.read(items[1]!)).toEqual(kept);
    expect(await redis.ttl(store.sms.key(items[1]!))).toBeGreaterThan(500);
    // Every part of each SMS links to its own conversation (the value goes once per SMS).
    for (const c of ['c1', 'gone'])
      for (const part of ['a', 'b'])
        expect(await store.receipts.find([`kcell:${c}-${part}`])).toEqual({
          conversationId: c,
          id: `${c}-${part}`,
        });
    // The link names the conversation; its sent entry names the SMS and the part.
    expect(await store.sentPart('c1', 'c1-b')).toEqual({
      smsId: '0.0',
      part: 1,
      parts: 2,
      asksConsent: false,
    });
    expect(await store.sentPart('c1', 'c1-c')).toBeNull();
    expect(await store.receipts.find(['kcell:gone-a'])).toEqual({ conversationId: 'gone', id: 'gone-a' });
    expect(await store.sentPart('gone', 'gone-a')).toBeUndefined();
  });

  it('leaves every receipt bucket it writes expiring with the receipt window, one shared by two parts too', async () => {
    const keys = createKeys(testPrefix('sent-buckets'));
    const store = await testStore(redis, keys);
    for (const c of ['b1', 'b2']) expect(await store.commit(-1, conversation(c), [], [], false)).toBe(true);
    // Two parts of b1 in one bucket, and b2's part in a bucket already there without a TTL.
    const [shared, other] = idsInOneBucket('kcell:b1-');
    const lone = 'kcell:b2-a';
    const links = store.receipts.plan([
      { ids: [shared, other], conversationId: 'b1' },
      { ids: [lone], conversationId: 'b2' },
    ]);
    const buckets = [...new Set(links.slots.map(([key]) => key))];
    expect(buckets).toHaveLength(2);
    await redis.hset(links.slots[2]![0], 'left', 'there');
    const items = ['b1', 'b2'].map((c) => ({
      conversationId: c,
      smsId: '0.0',
      templateId: 't',
      entry: sent(c, 10),
    }));
    await store.recordSentMany(items, 600, links);
    for (const bucket of buckets) {
      const ttl = await redis.ttl(bucket);
      expect(ttl).toBeGreaterThan((RECEIPT_DAYS - 1) * 86_400);
      expect(ttl).toBeLessThanOrEqual(RECEIPT_DAYS * 86_400);
    }
    for (const id of [shared, other, lone])
      expect((await store.receipts.find([id]))?.id).toBe(id.slice('kcell:'.length));
  });

  it("adds the turn's campaign counts and awaited receipts in the same call", async () => {
    const keys = createKeys(testPrefix('sent-progress'));
    const store = await testStore(redis, keys);
    const at = 1_700_000_000_000;
    const hour = Math.floor(at / 3600_000);
    const items = ['p1', 'p2', 'p3'].map((c) => ({
      conversationId: c,
      smsId: '0.0',
      templateId: 't',
      entry: sent(c, at),
    }));
    for (const c of ['p1', 'p2', 'p3'])
      expect(await store.commit(-1, conversation(c), [], [], false)).toBe(true);
    const links = store.receipts.plan([{ ids: ['kcell:p1-a'], conversationId: 'p1' }]);
    await store.recordSentMany(items, 600, links, {
      at,
      counted: items.map(({ conversationId, smsId }, n) => ({
        campaign: n < 2 ? 'spring' : 'autumn',
        conversationId,
        smsId,
      })),
      awaited: items.map(({ conversationId, smsId }) => ({ conversationId, smsId })),
      awaitedTtlSeconds: 3600,
    });
    expect(await store.timeline('p3')).toEqual([items[2]!.entry]);
    expect(await store.receipts.find(['kcell:p1-a'])).toEqual({ conversationId: 'p1', id: 'p1-a' });
    expect((await store.campaigns.progress('spring'))?.sent).toBe(2);
    expect((await store.campaigns.progress('autumn'))?.sent).toBe(1);
    expect(await redis.zscore(keys.campaigns(), 'spring')).toBe(String(at));
    expect((await redis.lrangeBuffer(keys.awaitingReceipt(hour), 0, -1)).map(readAwaitedMember)).toEqual(
      ['p1', 'p2', 'p3'].map((conversationId) => ({ conversationId, smsId: '0.0' })),
    );
    expect(await redis.ttl(keys.awaitingReceipt(hour))).toBeGreaterThan(3500);
    expect(await redis.zrange(keys.awaitingHours(), 0, -1)).toEqual([String(hour)]);
    // Without campaigns or awaited SMS, nothing of either is written.
    await store.recordSentMany(
      [{ ...items[0]!, smsId: '0.1', entry: { ...items[0]!.entry, smsId: '0.1' } }],
      600,
      {
        slots: [],
        ttl: 60,
      },
      { at: at + 3600_000, counted: [], awaited: [], awaitedTtlSeconds: 3600 },
    );
    expect(await redis.exists(keys.awaitingReceipt(hour + 1))).toBe(0);
    expect((await store.campaigns.progress('spring'))?.sent).toBe(2);
    // A job that finds an SMS sent writes nothing again on a single Redis.
    await store.sentProgressAgain({ conversationId: 'p1', smsId: '0.0', campaign: 'spring' }, at, 3600);
    expect((await store.campaigns.progress('spring'))?.sent).toBe(2);
    expect(await redis.llen(keys.awaitingReceipt(hour))).toBe(3);
  });

  it('writes nothing twice when the same call is sent again after its answer was lost', async () => {
    const keys = createKeys(testPrefix('sent-resent'));
    const client = redisClient();
    try {
      const store = await testStore(client, keys);
      const at = 1_700_000_000_000;
      const hour = Math.floor(at / 3600_000);
      for (const c of ['r1', 'r2']) expect(await store.commit(-1, conversation(c), [], [], false)).toBe(true);
      // As ioredis does after a reconnection: the call it had no answer to goes again, as it was.
      const once = client.gwSent.bind(client);
      const answers: unknown[] = [];
      client.gwSent = async (...args: Parameters<typeof once>) => {
        answers.push(await once(...args));
        const again = await once(...args);
        answers.push(again);
        return again;
      };
      const record = async (conversations: readonly string[], smsId: string) => {
        const items = conversations.map((c) => ({
          conversationId: c,
          smsId,
          templateId: 't',
          entry: { ...sent(c, at), smsId },
        }));
        const links = store.receipts.plan(
          items.map((i) => ({
            ids: i.entry.messageIds.map((m) => `kcell:${m}-${smsId}`),
            conversationId: i.conversationId,
          })),
        );
        await store.recordSentMany(items, 600, links, {
          at,
          counted: items.map(({ conversationId }) => ({ campaign: 'spring', conversationId, smsId })),
          awaited: items.map(({ conversationId }) => ({ conversationId, smsId })),
          awaitedTtlSeconds: 3600,
        });
        return items;
      };
      const items = await record(['r1', 'r2'], '0.0');
      expect(answers[1]).toEqual(answers[0]);
      expect(await store.timeline('r1')).toEqual([items[0]!.entry]);
      expect(await store.timeline('r2')).toEqual([items[1]!.entry]);
      expect((await store.campaigns.progress('spring'))?.sent).toBe(2);
      expect(await client.llen(keys.awaitingReceipt(hour))).toBe(2);
      // Each part linked once, to its own conversation, by both runs of the call.
      const linked = async (smsId: string, conversations: readonly string[]) => {
        for (const c of conversations)
          for (const part of ['a', 'b'])
            expect(await store.receipts.find([`kcell:${c}-${part}-${smsId}`])).toEqual({
              conversationId: c,
              id: `${c}-${part}-${smsId}`,
            });
      };
      await linked('0.0', ['r1', 'r2']);
      // The first SMS's conversation gone: its record, already holding its value, tells the same.
      const gone = await record(['gone', 'r2'], '0.1');
      expect(await store.sms.read(gone[0]!)).toMatchObject({ state: 'sent' });
      expect(await store.timeline('r2')).toEqual([items[1]!.entry, gone[1]!.entry]);
      expect((await store.campaigns.progress('spring'))?.sent).toBe(4);
      expect(await client.llen(keys.awaitingReceipt(hour))).toBe(4);
      await linked('0.1', ['gone', 'r2']);
      const fields = async () => {
        let n = 0;
        for (const key of await client.keys(`${keys.receiptBucket('kcell', 0, 0).split('{')[0]}{r:*`))
          n += await client.hlen(key);
        return n;
      };
      expect(await fields()).toBe(8);
    } finally {
      client.disconnect();
    }
  });
});

describe('the mark of a sent SMS', () => {
  it('is the compact sent entry of that very smsId; a sent entry whose ids do not fit that form keeps a record', async () => {
    const keys = createKeys(testPrefix('sent-mark'));
    const store = await testStore(redis, keys);
    expect(await store.commit(-1, conversation('m1'), [], [], false)).toBe(true);
    const item = (smsId: string, messageIds: string[]) => ({
      conversationId: 'm1',
      smsId: smsId,
      templateId: 'home-schooling.offer-one-bank',
      entry: { ...sent('m1', 7), smsId, messageIds },
    });
    // SMSC ids of 300 and 200 characters do not fit the compact entry (127 bytes an id at most).
    const long = item('1.0', ['x'.repeat(300)]);
    const packed = item('0.2', ['5F3A9C0101', '5F3A9C0102']);
    const text = item('0.3', ['y'.repeat(200)]);
    await store.recordSentMany([item('0.0', ['a']), long, packed, text], 600, { slots: [], ttl: 60 });
    const raw = (await redis.getBuffer(keys.conversation('m1')))!;
    expect(raw.includes(Buffer.from([0x1b, 0, 0, 0, 0, 0, 7]))).toBe(true);
    const claim = (smsId: string) => ({ conversationId: 'm1', smsId });
    expect(
      await store.sms.claim(
        [claim('0.0'), claim('1.0'), claim('0.1'), claim('0.2'), claim('0.3')],
        'job',
        60,
      ),
    ).toEqual([
      { state: 'sent', templateId: null, campaign: null },
      { state: 'sent', templateId: 'home-schooling.offer-one-bank', campaign: null },
      // Not sent: another smsId's entry ("0.0") does not count; claimed now.
      { state: 'claimed', owner: 'job' },
      { state: 'sent', templateId: null, campaign: null },
      { state: 'sent', templateId: 'home-schooling.offer-one-bank', campaign: null },
    ]);
    expect(await store.timeline('m1')).toEqual([
      item('0.0', ['a']).entry,
      long.entry,
      packed.entry,
      text.entry,
    ]);
    // A receipt's part is found in either form, by its id in lower case (as the receipt index keeps it).
    expect(await store.sentPart('m1', '5f3a9c0102')).toEqual({
      smsId: '0.2',
      part: 1,
      parts: 2,
      asksConsent: false,
    });
    expect(await store.sentPart('m1', 'y'.repeat(200))).toEqual({
      smsId: '0.3',
      part: 0,
      parts: 1,
      asksConsent: false,
    });
  });

  it('says whether its SMS asks consent, and a receipt finds the latest SMS that holds its id', async () => {
    const keys = createKeys(testPrefix('sent-mark'));
    const store = await testStore(redis, keys);
    expect(await store.commit(-1, conversation('m3'), [], [], false)).toBe(true);
    const item = (smsId: string, messageIds: string[], asksConsent?: true) => ({
      conversationId: 'm3',
      smsId,
      templateId: 't',
      entry: { ...sent('m3', 7), smsId, messageIds, ...(asksConsent ? { asksConsent } : {}) },
    });
    const offer = item('0.0', ['a1', 'a2'], true);
    await store.recordSentMany([offer, item('1.0', ['a2', 'b2'])], 600, { slots: [], ttl: 60 });
    expect(await store.timeline('m3')).toEqual([offer.entry, item('1.0', ['a2', 'b2']).entry]);
    expect(await store.sentPart('m3', 'a1')).toEqual({ smsId: '0.0', part: 0, parts: 2, asksConsent: true });
    expect(await store.sentPart('m3', 'a2')).toEqual({ smsId: '1.0', part: 0, parts: 2, asksConsent: false });
  });

  it('wins over a claim or accepted parts left behind: the timeline says the SMS is sent', async () => {
    const keys = createKeys(testPrefix('sent-mark'));
    const store = await testStore(redis, keys);
    expect(await store.commit(-1, conversation('m2'), [], [], false)).toBe(true);
    const entry = (smsId: string) => ({ ...sent('m2', 7), smsId, messageIds: ['a'] });
    const item = (smsId: string) => ({
      conversationId: 'm2',
      smsId: smsId,
      templateId: 't',
      entry: entry(smsId),
    });
    await store.recordSentMany([item('0.0'), item('0.1')], 600, { slots: [], ttl: 60 });
    // As if the script had stopped after the entries: the job's claim, the parts of a drop.
    await redis.set(keys.smsParts('m2', '0.0'), '~job');
    await redis.set(keys.smsParts('m2', '0.1'), partialRecord({ ref: 1, accepted: [] }, 'job'));
    const claim = (smsId: string) => ({ conversationId: 'm2', smsId });
    expect(await store.sms.claim([claim('0.0'), claim('0.1')], 'job', 60)).toEqual([
      { state: 'sent', templateId: null, campaign: null },
      { state: 'sent', templateId: null, campaign: null },
    ]);
    expect(await redis.exists(keys.smsParts('m2', '0.0'), keys.smsParts('m2', '0.1'))).toBe(0);
  });
});

describe('a script of the registry (store/scripts.ts)', () => {
  it('is loaded by ioredis when Redis does not know it, also after Redis lost its scripts, and called by its SHA otherwise', async () => {
    // A Redis of its own: SCRIPT FLUSH on the shared one would touch other files' scripts.
    const server = await startRedisServer();
    const own = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      const keys = createKeys(testPrefix('sent-sha'));
      const store = await testStore(own, keys);
      const calls = async (command: string): Promise<number> => {
        const line = (await own.info('commandstats'))
          .split('\r\n')
          .find((l) => l.startsWith(`cmdstat_${command}:`));
        return Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0);
      };
      /** Records one SMS; returns how many EVAL and EVALSHA ran for it. */
      const record = async (c: string) => {
        expect(await store.commit(-1, conversation(c), [], [], false)).toBe(true);
        const item = {
          conversationId: c,
          smsId: '0.0',
          templateId: 't',
          entry: sent(c, 5),
        };
        const links = store.receipts.plan([{ ids: [`kcell:${c}-a`], conversationId: c }]);
        const before = [await calls('eval'), await calls('evalsha')];
        await store.recordSentMany([item], 600, links);
        const ran = [(await calls('eval')) - before[0]!, (await calls('evalsha')) - before[1]!];
        expect(await store.timeline(c)).toEqual([item.entry]);
        expect(await store.receipts.find([`kcell:${c}-a`])).toEqual({ conversationId: c, id: `${c}-a` });
        return ran;
      };

      // The first call on a connection is an EVAL (it loads the script), then EVALSHA.
      expect(await record('first')).toEqual([1, 0]);
      expect(await record('second')).toEqual([0, 1]);
      // A Redis that lost its scripts: the EVALSHA is refused (NOSCRIPT, counted in `calls`), and
      // ioredis EVALs the script again.
      await own.script('FLUSH');
      expect(await record('third')).toEqual([1, 1]);
      expect(await record('fourth')).toEqual([0, 1]);
    } finally {
      own.disconnect();
      await server.stop();
    }
  });
});
