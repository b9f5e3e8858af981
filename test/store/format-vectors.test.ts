/**
 * The test vectors of docs/storage.md, checked against the TypeScript codecs and against the Lua
 * scripts that read the same bytes (commit, append, claim, sent): both sides agree with the spec.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../queues/outcomes.js';
import { OUTCOME_MARKS, outcomeBit } from '../../store/conversation-format.js';
import { splitConversation, splitEntries } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { decodeReceiptEntry, encodeReceiptEntry } from '../../store/receipt-entry.js';
import { awaitedMember, readAwaitedMember, type AwaitedSms } from '../../store/awaited-receipts.js';
import { decodeLink, linkField, linkValue } from '../../store/receipts.js';
import { decodeSentEntry, encodeSentEntry } from '../../store/sent-entry.js';
import {
  consentSms,
  decodeConsentSms,
  encodeConsentSms,
  type ConsentRecord,
} from '../../store/consent-sms-entry.js';
import { outboxJson, type OutboxEntry } from '../../store/outbox.js';
import { parseSmsRecord, type SmsRecord } from '../../store/sms-record.js';
import { TextCodec } from '../../store/text-codec.js';
import { TimelineCodec } from '../../store/timeline-codec.js';
import type { SmsEntry, SmsStatusEntry, TimelineEntry } from '../../store/timeline-entry.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { testStore } from '../support/store.js';

interface Vectors {
  sentEntry: { entry: SmsStatusEntry; hex: string };
  consentSms: { record: ConsentRecord; entry: SmsEntry; hex: string };
  receiptRun: {
    entry: SmsStatusEntry & { part: number };
    hex: string;
    next: { part: number; at: number };
    nextHex: string;
    mergedHex: string;
  };
  conversation: { version: number; docHex: string; hex: string; outcomes: string[]; markedHex: string };
  receiptLink: Array<{ conversationId: string; hex: string }>;
  awaitedSms: { sms: AwaitedSms; hex: string };
  linkField: Array<{ id: string; hex: string }>;
  smsRecord: Array<{ value: string; record: SmsRecord }>;
  packedEntries: { dictionary: string; entries: TimelineEntry[]; hex: string };
  outboxSms: { entry: OutboxEntry; stored: string };
}

const spec = readFileSync(new URL('../../docs/storage.md', import.meta.url), 'utf8');
const block = /## Test vectors[\s\S]*?```json\n([\s\S]*?)```/.exec(spec);
if (!block) throw new Error('docs/storage.md: no ```json block under "## Test vectors"');
const V = JSON.parse(block[1]!) as Vectors;
const hex = (h: string) => Buffer.from(h, 'hex');
/** An entry as a timeline stores it: after its length (u16). */
const framed = (h: string) => Buffer.concat([Buffer.from([0, h.length / 2]), hex(h)]);

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

describe('the TypeScript codecs agree with docs/storage.md', () => {
  it('the sent entry', () => {
    expect(encodeSentEntry(V.sentEntry.entry)?.toString('hex')).toBe(V.sentEntry.hex);
    expect(decodeSentEntry(hex(V.sentEntry.hex))).toEqual(V.sentEntry.entry);
  });

  it('the SMS asking consent, by reference to its consent record', () => {
    const { record, entry, hex: h } = V.consentSms;
    expect(encodeConsentSms(entry, record)?.toString('hex')).toBe(h);
    expect(consentSms(decodeConsentSms(hex(h))!, record)).toEqual(entry);
  });

  it('the receipt run', () => {
    expect(encodeReceiptEntry(V.receiptRun.entry)?.toString('hex')).toBe(V.receiptRun.hex);
    expect(decodeReceiptEntry(hex(V.receiptRun.hex))).toEqual(V.receiptRun.entry);
    const next = { ...V.receiptRun.entry, ...V.receiptRun.next };
    expect(encodeReceiptEntry(next)?.toString('hex')).toBe(V.receiptRun.nextHex);
    const { part: _part, ...rest } = V.receiptRun.entry;
    expect(decodeReceiptEntry(hex(V.receiptRun.mergedHex))).toEqual({
      ...rest,
      at: V.receiptRun.next.at,
      partList: [V.receiptRun.entry.part, V.receiptRun.next.part],
    });
  });

  it('the conversation string', () => {
    const { version, outcomes, doc, entries } = splitConversation(hex(V.conversation.hex));
    expect(version).toBe(V.conversation.version);
    expect(outcomes).toBe(0);
    const bits = V.conversation.outcomes.reduce((b, o) => b | outcomeBit(o), 0);
    expect(splitConversation(hex(V.conversation.markedHex)).outcomes).toBe(bits);
    expect(doc.toString('hex')).toBe(V.conversation.docHex);
    expect(splitEntries(entries).map((e) => e.toString('hex'))).toEqual([V.sentEntry.hex, V.receiptRun.hex]);
  });

  it('every outcome of the contract has its own bit in the head, 16 at most', () => {
    expect([...OUTCOME_MARKS].sort()).toEqual([...OUTCOMES].sort());
    expect(OUTCOME_MARKS.length).toBeLessThanOrEqual(16);
    expect(new Set(OUTCOMES.map(outcomeBit)).size).toBe(OUTCOMES.length);
  });

  it('the receipt link and its field', () => {
    for (const { conversationId, hex: h } of V.receiptLink) {
      expect(linkValue(conversationId).toString('hex')).toBe(h);
      expect(decodeLink(hex(h))).toBe(conversationId);
    }
    for (const { id, hex: h } of V.linkField) expect(Buffer.from(linkField(id)).toString('hex')).toBe(h);
  });

  it('an SMS awaiting its final receipt', () => {
    expect(awaitedMember(V.awaitedSms.sms).toString('hex')).toBe(V.awaitedSms.hex);
    expect(readAwaitedMember(hex(V.awaitedSms.hex))).toEqual(V.awaitedSms.sms);
  });

  it("a step's entries packed together", async () => {
    const text = await TextCodec.create(
      redis,
      createKeys(testPrefix('fv')),
      Buffer.from(V.packedEntries.dictionary),
    );
    const timeline = new TimelineCodec(text);
    const packed = hex(V.packedEntries.hex);
    expect(await timeline.decode(packed)).toEqual(V.packedEntries.entries);
    const [stored] = timeline.encodeAll(V.packedEntries.entries);
    // Deflate's bytes may differ between zlib builds; the tag, the dictionary id and the entries may not.
    expect(stored!.subarray(2, 9)).toEqual(packed.subarray(0, 7));
    expect(await timeline.decodeAll(stored!)).toEqual(V.packedEntries.entries);
  });

  it('the SMS record', () => {
    for (const { value, record } of V.smsRecord) expect(parseSmsRecord(value)).toEqual(record);
  });

  it("the outbox's SMS entry, stored without its text", async () => {
    expect(outboxJson(V.outboxSms.entry)).toBe(V.outboxSms.stored);
    const keys = createKeys(testPrefix('vectors-outbox'));
    const store = await testStore(redis, keys);
    await redis.rpush(keys.outbox('v1'), V.outboxSms.stored);
    const { text: _kept, ...stored } = V.outboxSms.entry as Extract<OutboxEntry, { t: 'sms' }>;
    expect((await store.outboxes.list('v1')).map((e) => e.entry)).toEqual([stored]);
  });
});

describe('the Lua scripts agree with docs/storage.md', () => {
  it('commit-2.lua writes the conversation string; append-1.lua merges a run into it; claim-n.lua finds the sent entry; mark-outcome-1.lua marks outcomes that commit-2.lua keeps', async () => {
    const keys = createKeys(testPrefix('vectors'));
    const store = await testStore(redis, keys); // defines the scripts on this client
    const key = keys.conversation('v1');
    const entries = [framed(V.sentEntry.hex), framed(V.receiptRun.hex)];
    expect(
      await redis.gwCommit(key, keys.outbox('v1'), -1, hex(V.conversation.docHex), 0, 2, ...entries),
    ).toEqual([1, 0, 0]);
    expect((await redis.getBuffer(key))?.toString('hex')).toBe(V.conversation.hex);

    expect(await redis.gwAppend(key, framed(V.receiptRun.nextHex))).toBe(1);
    const merged = V.conversation.hex.replace(V.receiptRun.hex, V.receiptRun.mergedHex);
    expect((await redis.getBuffer(key))?.toString('hex')).toBe(merged);

    const claim = (smsId: string) => ({ conversationId: 'v1', smsId });
    expect(await store.sms.claim([claim(V.sentEntry.entry.smsId), claim('0.2')], 'job', 60)).toEqual([
      { state: 'sent', templateId: null, campaign: null },
      { state: 'claimed', owner: 'job' },
    ]);

    const refs = V.conversation.outcomes.map((outcome) => ({ conversationId: 'v1', outcome }));
    expect(await store.outcomes.marked(refs)).toEqual([false, false]);
    await store.outcomes.mark(refs);
    expect(await store.outcomes.marked(refs)).toEqual([true, true]);
    const markedHex = V.conversation.markedHex.replace(V.receiptRun.hex, V.receiptRun.mergedHex);
    expect((await redis.getBuffer(key))?.toString('hex')).toBe(markedHex);
    // The commit keeps the marks and answers them: the batch's hand-over adds no marked outcome.
    const bits = V.conversation.outcomes.reduce((b, o) => b | outcomeBit(o), 0);
    expect(await redis.gwCommit(key, keys.outbox('v1'), 0, hex(V.conversation.docHex), 0, 0)).toEqual([
      1,
      1,
      bits,
    ]);
    const kept = (await redis.getBuffer(key))!;
    expect(splitConversation(kept).outcomes).toBe(splitConversation(hex(V.conversation.markedHex)).outcomes);
  });

  it('claim-n.lua walks past the SMS asking consent to its sent entry', async () => {
    const keys = createKeys(testPrefix('vectors'));
    const store = await testStore(redis, keys);
    const key = keys.conversation('v3');
    const entries = [framed(V.consentSms.hex), framed(V.sentEntry.hex)];
    await redis.gwCommit(key, keys.outbox('v3'), -1, hex(V.conversation.docHex), 0, 2, ...entries);
    expect(
      await store.sms.claim([{ conversationId: 'v3', smsId: V.sentEntry.entry.smsId }], 'job', 60),
    ).toEqual([{ state: 'sent', templateId: null, campaign: null }]);
  });

  it('sent-n.lua deletes the record only for an entry tagged as the sent entry', async () => {
    const keys = createKeys(testPrefix('vectors'));
    const store = await testStore(redis, keys);
    await redis.gwCommit(keys.conversation('v2'), keys.outbox('v2'), -1, hex(V.conversation.docHex), 0, 0);
    const item = (smsId: string, entry: TimelineEntry) => ({
      conversationId: 'v2',
      smsId,
      templateId: 't',
      entry,
    });
    await store.recordSentMany(
      [item('0.1', V.sentEntry.entry), item('0.3', { ...V.receiptRun.entry, smsId: '0.3' })],
      60,
      { slots: [], ttl: 60 },
    );
    expect(await redis.exists(keys.smsParts('v2', '0.1'))).toBe(0);
    expect(await redis.get(keys.smsParts('v2', '0.3'))).toBe('=t');
    const { entries } = splitConversation((await redis.getBuffer(keys.conversation('v2')))!);
    expect(splitEntries(entries)[0]?.toString('hex')).toBe(V.sentEntry.hex);
  });
});
