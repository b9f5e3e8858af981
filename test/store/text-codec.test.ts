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

  it('refuses a value of another form, and fails loudly when a dictionary is gone', async () => {
    const codec = await TextCodec.create(redis, createKeys(testPrefix('codec')), Buffer.from('x'));
    await expect(codec.unpack(Buffer.from(doc))).rejects.toThrow(/unknown format tag 123/);
    const orphan = Buffer.from([0x1f, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0x03, 0x00]);
    await expect(codec.unpack(orphan)).rejects.toThrow(/dictionary deadbeef0000 is missing/);
  });
});
