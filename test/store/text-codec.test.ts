import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../store/keys.js';
import { TextCodec } from '../../store/text-codec.js';
import { redisClient, testPrefix } from '../support/redis.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const OFFER =
  'Уважаемый(ая) гражданин(ка)!\nВы имеете право на получение государственной услуги "Возмещение затрат на обучение на дому детей с инвалидностью". Назначенная сумма поступит на Ваш банковский счет в {bank}.';

describe('stored SMS texts', () => {
  it('round-trip exactly and cost a fraction of the text when the dictionary holds the wording', async () => {
    const keys = createKeys(testPrefix('codec'));
    const codec = await TextCodec.create(redis, keys, Buffer.from(OFFER.replace('{bank}', 'Kaspi Bank')));
    const text = OFFER.replace('{bank}', 'Halyk Bank');
    const stored = codec.encode(text);
    expect(TextCodec.isEncoded(stored)).toBe(true);
    expect(await codec.decode(stored)).toBe(text);
    expect(stored.length).toBeLessThan(Buffer.byteLength(text) / 5);
  });

  it('a text written under old templates still decodes after the dictionary changes, on another instance', async () => {
    const keys = createKeys(testPrefix('codec'));
    const old = await TextCodec.create(redis, keys, Buffer.from('old wording of the act'));
    const stored = old.encode('old wording of the act, Айгүл');
    const fresh = await TextCodec.create(redis, keys, Buffer.from('new wording of the act'));
    expect(await fresh.decode(stored)).toBe('old wording of the act, Айгүл');
  });

  it('passes plain strings through, and fails loudly when a dictionary is gone', async () => {
    const keys = createKeys(testPrefix('codec'));
    const codec = await TextCodec.create(redis, keys, Buffer.from('x'));
    expect(await codec.decode('plain text')).toBe('plain text');
    await expect(codec.decode('~z1~deadbeef0000~AAAA')).rejects.toThrow(/dictionary deadbeef0000 is missing/);
  });
});

describe('packed documents', () => {
  const doc = JSON.stringify({ id: 'c1', kind: 'sms', text: OFFER.replace('{bank}', 'Halyk Bank') });

  it('round-trip exactly and cost a fraction of their JSON', async () => {
    const keys = createKeys(testPrefix('codec'));
    const codec = await TextCodec.create(redis, keys, Buffer.from(doc.replace('Halyk', 'Kaspi')));
    const packed = codec.pack(doc);
    expect(await codec.unpack(packed)).toBe(doc);
    expect(packed.length).toBeLessThan(Buffer.byteLength(doc) / 5);
  });

  it('short documents use the small dictionary, and another instance still reads them', async () => {
    const keys = createKeys(testPrefix('codec'));
    const entry = '{"at":1,"kind":"sms-status","status":"sent"}';
    const codec = await TextCodec.create(redis, keys, Buffer.from(OFFER), Buffer.from(entry));
    const packed = codec.pack(entry);
    expect(packed.length).toBeLessThan(16);
    const other = await TextCodec.create(redis, keys, Buffer.from('another dictionary'));
    expect(await other.unpack(packed)).toBe(entry);
  });

  it("a document holding a template's text is packed with that template's own dictionary", async () => {
    const keys = createKeys(testPrefix('codec'));
    // Long enough not to count as a short document (those use the small dictionary).
    const doc = JSON.stringify({
      id: 'c1',
      kind: 'sms',
      text: OFFER.repeat(3).replace('{bank}', 'Halyk Bank'),
    });
    const templates = new Map([['offer', Buffer.from(doc.replace('Halyk', 'Kaspi'))]]);
    const codec = await TextCodec.create(redis, keys, { full: Buffer.from('unrelated'), templates });
    const own = codec.pack(doc, 'offer');
    const full = codec.pack(doc, 'another-template');
    expect(own.length).toBeLessThan(Buffer.byteLength(doc) / 5);
    expect(full.length).toBeGreaterThan(own.length * 3);
    // Another instance, whatever its dictionaries, reads both from the ids they carry.
    const other = await TextCodec.create(redis, keys, Buffer.from('another dictionary'));
    expect(await other.unpack(own)).toBe(doc);
    expect(await other.unpack(full)).toBe(doc);
  });

  it('reads plain JSON written before documents were packed', async () => {
    const codec = await TextCodec.create(redis, createKeys(testPrefix('codec')), Buffer.from('x'));
    expect(await codec.unpack(Buffer.from(doc))).toBe(doc);
  });
});
