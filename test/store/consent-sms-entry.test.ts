/**
 * The `sms` entry of the SMS that asks consent, stored by reference to the document's consent
 * record (store/consent-sms-entry.ts): the rendered text is stored and deflated once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newConversation, type Conversation } from '../../dialogue/conversation.js';
import {
  CONSENT_SMS_TAG,
  consentRecord,
  decodeConsentSms,
  encodeConsentSms,
} from '../../store/consent-sms-entry.js';
import { splitConversation } from '../../store/conversation-format.js';
import { createKeys } from '../../store/keys.js';
import { PACKED } from '../../store/text-codec.js';
import { splitEntries } from '../../store/timeline-codec.js';
import type { SmsEntry, TimelineEntry } from '../../store/timeline-entry.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { smsEntry, testStore } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const OFFER = 'Құрметті азамат! Келіскен жағдайда 1414 нөміріне 123 #3#1 мәтінімен SMS жіберіңіз.';
const SECOND = 'Уважаемый гражданин! Для выбора банка отправьте SMS 123 #3#1N на номер 1414.';

/** A conversation whose consent record is the SMS `smsId` with `text`. */
function asking(id: string, smsId: string, text: string, version: number): Conversation {
  return newConversation({
    id,
    service: 'home-schooling',
    externalId: id,
    msisdn: '77010000001',
    language: 'kk',
    params: {},
    createdAt: 1,
    stage: 'offer-one-bank',
    version,
    deadline: null,
    consentTemplate: {
      id: 'home-schooling.offer-one-bank',
      language: 'kk',
      sha256: 'ab'.repeat(32),
      text,
      wording: 'verbatim',
      set: { id: 'home-schooling.2024-02-16', sha256: 'cd'.repeat(32) },
    },
    consentSmsId: smsId,
  });
}

/** The `sms` entry of that SMS, as the conversation core queues it. */
function sms(smsId: string, text: string, over: Partial<SmsEntry> = {}): SmsEntry {
  return smsEntry({
    at: 1_764_000_000_000,
    smsId,
    templateId: 'home-schooling.offer-one-bank',
    language: 'kk',
    sha256: 'ab'.repeat(32),
    set: 'home-schooling.2024-02-16',
    text,
    parts: 2,
    ...over,
  });
}

const transition: TimelineEntry = {
  at: 1_764_000_000_000,
  kind: 'transition',
  from: 'invited',
  to: 'invited',
  stage: 'offer-one-bank',
  cause: 'invitation',
};

async function storedTags(id: string, keys: ReturnType<typeof createKeys>): Promise<Buffer[]> {
  const value = await redis.getBuffer(keys.conversation(id));
  return splitEntries(splitConversation(value!).entries);
}

describe('the SMS asking consent, stored by reference to the consent record', () => {
  it('takes a few bytes and reads back exactly, held for the sending window or not', async () => {
    const keys = createKeys(testPrefix('consent-sms'));
    const store = await testStore(redis, keys);
    for (const [id, held] of [
      ['cs1', undefined],
      ['cs2', 1_764_032_400_000],
    ] as const) {
      const conv = asking(id, '0.0', OFFER, -1);
      const entry = sms('0.0', OFFER, held === undefined ? {} : { heldUntil: held });
      expect(await store.commit(-1, conv, [transition, entry], [], false)).toBe(true);
      const raws = await storedTags(id, keys);
      expect(raws.map((r) => r[0])).toEqual([PACKED, CONSENT_SMS_TAG]);
      expect(raws[1]!.length).toBe(held === undefined ? 13 : 19);
      expect(await store.timeline(id)).toEqual([transition, entry]);
      const both = await store.withTimeline(id);
      expect(both?.timeline).toEqual([transition, entry]);
      expect(both?.conversation.consentTemplate?.text).toBe(OFFER);
      expect((await store.get(id))?.consentTemplate?.text).toBe(OFFER);
    }
  });

  it("stores whole any SMS that is not exactly the consent record's", async () => {
    const keys = createKeys(testPrefix('consent-sms-whole'));
    const store = await testStore(redis, keys);
    const conv = asking('cw1', '0.0', OFFER, -1);
    const entries = [
      sms('0.0', `${OFFER} `),
      sms('0.1', OFFER),
      sms('0.0', OFFER, { resendOf: '0.0' }),
      sms('0.0', OFFER, { language: 'ru' }),
    ];
    expect(await store.commit(-1, conv, entries, [], false)).toBe(true);
    expect((await storedTags('cw1', keys)).map((r) => r[0])).toEqual([PACKED]);
    expect(await store.timeline('cw1')).toEqual(entries);
  });

  it('keeps the first SMS exact once a later step names another, by one commit and by a batch', async () => {
    const keys = createKeys(testPrefix('consent-sms-next'));
    const store = await testStore(redis, keys);
    const first = asking('cn1', '0.0', OFFER, -1);
    const firstSms = sms('0.0', OFFER);
    const second = asking('cn1', '1.0', SECOND, 0);
    const secondSms = sms('1.0', SECOND, { at: 1_764_000_060_000 });
    for (const [id, batched] of [
      ['cn1', false],
      ['cn2', true],
    ] as const) {
      expect(await store.commit(-1, { ...first, id }, [firstSms], [], false)).toBe(true);
      const step = { expectedVersion: 0, before: first, next: { ...second, id }, timeline: [secondSms] };
      if (batched) expect(await store.commitMany([{ ...step, outbox: [], final: false }])).toHaveLength(1);
      else expect(await store.commit(0, step.next, step.timeline, [], false, step.before)).toBe(true);
      // Both SMS stored by reference; the first one's record kept with the step that moved on.
      expect((await storedTags(id, keys)).map((r) => r[0])).toEqual([
        CONSENT_SMS_TAG,
        PACKED,
        CONSENT_SMS_TAG,
      ]);
      expect(await store.timeline(id)).toEqual([firstSms, secondSms]);
      expect((await store.get(id))?.consentTemplate?.text).toBe(SECOND);
    }
  });

  it('is a store format error, never a guess, when no record of its SMS is left', async () => {
    const keys = createKeys(testPrefix('consent-sms-lost'));
    const store = await testStore(redis, keys);
    expect(await store.commit(-1, asking('cl1', '0.0', OFFER, -1), [sms('0.0', OFFER)], [], false)).toBe(
      true,
    );
    // A step that names another SMS without saying what it was decided from.
    expect(await store.commit(0, asking('cl1', '1.0', SECOND, 0), [sms('1.0', SECOND)], [], false)).toBe(
      true,
    );
    await expect(store.timeline('cl1')).rejects.toMatchObject({ code: 'GW_STORE_FORMAT', message: /0\.0/ });
  });
});

describe('the compact form', () => {
  it('reads back what it wrote, and nothing from malformed bytes', () => {
    const record = consentRecord('0.0', asking('x', '0.0', OFFER, 0).consentTemplate!);
    const raw = encodeConsentSms(sms('0.0', OFFER, { heldUntil: 5 }), record)!;
    expect(decodeConsentSms(raw)).toEqual({
      kind: 'consent-sms',
      at: 1_764_000_000_000,
      smsId: '0.0',
      parts: 2,
      encoding: 'ucs2',
      heldUntil: 5,
    });
    expect(decodeConsentSms(raw.subarray(0, raw.length - 1))).toBeNull();
    const flags = Buffer.from(raw);
    flags[7] = 4;
    expect(decodeConsentSms(flags)).toBeNull();
    expect(encodeConsentSms(sms('0.0', OFFER, { parts: 256 }), record)).toBeNull();
    expect(encodeConsentSms(sms('0.0', OFFER), undefined)).toBeNull();
  });
});
