/**
 * Compact storage of SMS texts. Every conversation keeps the exact text of
 * the SMS it was sent (the consent record, the agent's timeline); raw, a
 * Kazakh or Russian SMS of the acts is 1.3–3 KB of UTF-8, and a million open
 * conversations would need gigabytes. Texts are deflated with a preset
 * dictionary made of the templates themselves, so only what differs (names,
 * banks, codes) costs bytes: ~60 bytes for a 1,300-byte offer.
 *
 * The dictionary is content-addressed and stored in Redis once (never
 * expires), so a text written under old templates still decodes after the
 * templates change, on any instance. Encoded form: `~z1~<dictId>~<base64>`.
 * DO NOT CHANGE the format: it is persisted.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis.js';

const MARK = '~z1~';

export class TextCodec {
  private readonly dictionaries = new Map<string, Buffer>();

  private constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly currentId: string,
    current: Buffer,
  ) {
    this.dictionaries.set(currentId, current);
  }

  /** Stores `dictionary` in Redis (if new) and returns a codec that encodes with it. */
  static async create(redis: RedisClient, keys: Keys, dictionary: Buffer): Promise<TextCodec> {
    // deflate uses at most the last 32 KiB of a dictionary.
    const dict = dictionary.subarray(Math.max(0, dictionary.length - 32_768));
    const id = createHash('sha256').update(dict).digest('hex').slice(0, 12);
    await redis.set(keys.dictionary(id), dict, 'NX');
    return new TextCodec(redis, keys, id, dict);
  }

  encode(text: string): string {
    const dict = this.dictionaries.get(this.currentId) as Buffer;
    return `${MARK}${this.currentId}~${deflateRawSync(Buffer.from(text, 'utf8'), { dictionary: dict }).toString('base64')}`;
  }

  static isEncoded(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(MARK);
  }

  /** The text, whichever dictionary encoded it; plain strings pass through. */
  async decode(value: string): Promise<string> {
    if (!TextCodec.isEncoded(value)) return value;
    const rest = value.slice(MARK.length);
    const sep = rest.indexOf('~');
    const id = rest.slice(0, sep);
    let dict = this.dictionaries.get(id);
    if (!dict) {
      const stored = await this.redis.getBuffer(this.keys.dictionary(id));
      if (!stored) throw new Error(`text dictionary ${id} is missing from Redis`);
      dict = stored;
      this.dictionaries.set(id, dict);
    }
    return inflateRawSync(Buffer.from(rest.slice(sep + 1), 'base64'), { dictionary: dict }).toString('utf8');
  }
}
