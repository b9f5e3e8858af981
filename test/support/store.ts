/** A conversation store for store-level tests, with a small text codec (production builds its own). */
import { ConversationStore } from '../../store/conversations.js';
import type { Keys } from '../../store/keys.js';
import type { RedisClient } from '../../store/connection.js';
import { TextCodec } from '../../store/text-codec.js';
import type { SmsEntry } from '../../store/timeline-entry.js';

export async function testStore(
  redis: RedisClient,
  keys: Keys,
  retentionSeconds = 60,
): Promise<ConversationStore> {
  const codec = await TextCodec.create(redis, keys, Buffer.from('{"at":0,"kind":"note"}'));
  return new ConversationStore(redis, keys, { retentionSeconds, codec });
}

/** An SMS entry as the conversation core writes one, with `over` on top. */
export function smsEntry(over: Partial<SmsEntry> = {}): SmsEntry {
  return {
    at: 1,
    kind: 'sms',
    smsId: '0.0',
    templateId: 'home-schooling.offer',
    language: 'ru',
    sha256: 'ab',
    set: 'home-schooling.2024-01-01',
    text: 'text',
    parts: 1,
    encoding: 'ucs2',
    status: 'queued',
    ...over,
  };
}
