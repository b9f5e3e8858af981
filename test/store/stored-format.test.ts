import { afterAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../dialogue/conversation.js';
import { ConversationStore } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { TextCodec } from '../../store/text-codec.js';
import type { SmsStatusEntry, TimelineEntry } from '../../store/timeline-entry.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { smsEntry } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const TEXT = 'Құрметті азамат! 1414 нөміріне 123#3#1 мәтінімен SMS жіберіңіз.';
const conv: Conversation = {
  id: 'c1',
  service: 'home-schooling',
  externalId: 'x1',
  msisdn: '77010000001',
  language: 'kk',
  state: 'invited',
  stage: 'offer-one-bank',
  version: -1,
  createdAt: 1,
  updatedAt: 1,
  deadline: 2,
  params: {},
  offered: [],
  bank: null,
  consentedAt: null,
  consentReply: null,
  consentTemplate: {
    id: 't',
    language: 'kk',
    sha256: 'ab',
    text: TEXT,
    wording: 'verbatim',
    set: { id: 's.2024-01-01', sha256: 'cd' },
  },
  templateSet: { id: 's.2024-01-01', sha256: 'cd' },
  helpSent: 0,
  lastHelpAt: null,
  campaign: null,
  appliedEvents: [],
};

async function setup() {
  const keys = createKeys(testPrefix('fmt'));
  // The dictionary holds a typical document, as gateway/core/dictionary.ts builds it.
  const codec = await TextCodec.create(redis, keys, Buffer.from(JSON.stringify({ ...conv, id: 'c0' })));
  return { keys, codec, store: new ConversationStore(redis, keys, { retentionSeconds: 60, codec }) };
}

describe('stored conversations', () => {
  it('are packed, and read back exactly', async () => {
    const { keys, store } = await setup();
    const entry = smsEntry({ templateId: 't', text: TEXT });
    expect(await store.commit(-1, conv, [entry], [], false)).toBe(true);
    expect(await store.get('c1')).toEqual({ ...conv, version: 0 });
    expect(await store.timeline('c1')).toEqual([entry]);
    const raw = await redis.getBuffer(keys.conversation('c1'));
    expect(raw![0]).toBe(0x01);
    expect(raw!.readUInt32BE(1)).toBe(0);
    expect(raw!.readUInt32BE(5)).toBeLessThan(Buffer.byteLength(JSON.stringify(conv)) / 4);
    // One key per conversation: the timeline is in it.
    expect(await redis.keys(`${keys.conversation('c1')}*`)).toEqual([keys.conversation('c1')]);
  });

  it('keep the version compare-and-set and the timeline order across commits and appends', async () => {
    const { store } = await setup();
    const entry = (at: number): TimelineEntry => ({ at, kind: 'note', text: `${at}` });
    expect(await store.commit(-1, conv, [entry(1)], [], false)).toBe(true);
    expect(await store.commit(-1, conv, [entry(9)], [], false)).toBe(false);
    const receipt: SmsStatusEntry = {
      at: 3,
      kind: 'sms-status',
      smsId: '0.0',
      part: 0,
      parts: 1,
      status: 'delivered',
      stat: 'DELIVRD',
    };
    expect(await store.append('c1', entry(2), receipt)).toBe(true);
    expect(await store.commit(0, { ...conv, state: 'consented' }, [entry(4), entry(5)], [], true)).toBe(true);
    expect(await store.commit(0, conv, [], [], false)).toBe(false);
    expect(await store.get('c1')).toMatchObject({ version: 1, state: 'consented' });
    const timeline = await store.timeline('c1');
    expect(timeline.map((e) => e.at)).toEqual([1, 2, 3, 4, 5]);
    expect(timeline[2]).toEqual(receipt);
    expect(await store.append('gone', entry(1))).toBe(false);
  });

  it('refuse a conversation of an unknown format tag, rather than guess', async () => {
    const { keys, store } = await setup();
    await redis.set(keys.conversation('c1'), Buffer.from([0x02, 0, 0, 0, 0, 0, 0, 0, 0]));
    await expect(store.get('c1')).rejects.toThrow(/unknown format tag 2/);
    await expect(store.commit(0, conv, [], [], false)).rejects.toMatchObject({ code: 'GW_STORE_FORMAT' });
  });

  it('are checked when read: a document or entry of a shape the store never writes is GW_STORE_FORMAT naming the field', async () => {
    const { keys, store } = await setup();
    const odd = { ...conv, id: 'c2', state: 'dreaming' } as unknown as Conversation;
    expect(await store.commit(-1, odd, [{ at: 1, kind: 'note', text: '' }], [], false)).toBe(true);
    await expect(store.get('c2')).rejects.toMatchObject({
      code: 'GW_STORE_FORMAT',
      message: /conversation: state/,
    });
    expect(await store.commit(-1, { ...conv, id: 'c3' }, [{ kind: 'note' } as never], [], false)).toBe(true);
    await expect(store.timeline('c3')).rejects.toMatchObject({ message: /timeline entry: at/ });
    const noText = { at: 1, kind: 'reply', meaning: '', accepted: false } as unknown as TimelineEntry;
    expect(await store.commit(-1, { ...conv, id: 'c4' }, [noText], [], false)).toBe(true);
    await expect(store.timeline('c4')).rejects.toMatchObject({ message: /timeline entry: text/ });
    const oddKind = { at: 1, kind: 'dream', text: '' } as unknown as TimelineEntry;
    expect(await store.commit(-1, { ...conv, id: 'c5' }, [oddKind], [], false)).toBe(true);
    await expect(store.timeline('c5')).rejects.toMatchObject({ code: 'GW_STORE_FORMAT', message: /kind/ });
    await redis.rpush(keys.outbox('c3'), '{"t":"sms","smsId":"0.0"}');
    await expect(store.outboxes.list('c3')).rejects.toMatchObject({ message: /outbox entry: to/ });
    // An SMS entry carries no text: its timeline entry keeps it.
    await redis.del(keys.outbox('c3'));
    await redis.rpush(
      keys.outbox('c3'),
      '{"t":"sms","smsId":"0.0","to":"77010000001","text":"x","templateId":"t","asksConsent":false}',
    );
    await expect(store.outboxes.list('c3')).rejects.toMatchObject({ message: /outbox entry: .*text/ });
  });
});
