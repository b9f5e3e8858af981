/** A conversation store for store-level tests, with a small text codec (production builds its own). */
import { ConversationStore } from '../../store/conversations.js';
import type { Keys } from '../../store/keys.js';
import type { RedisClient } from '../../store/connection.js';
import { TextCodec } from '../../store/text-codec.js';

export async function testStore(
  redis: RedisClient,
  keys: Keys,
  retentionSeconds = 60,
): Promise<ConversationStore> {
  const codec = await TextCodec.create(redis, keys, Buffer.from('{"at":0,"kind":"note"}'));
  return new ConversationStore(redis, keys, { retentionSeconds, codec });
}
