/**
 * Packed documents. Every conversation keeps the exact text of the SMS it was sent (the consent
 * record, the agent's timeline); raw, a Kazakh or Russian SMS of the acts is kilobytes of UTF-8.
 * Stored documents (conversation JSON, timeline entries without a compact form) are deflated
 * with a preset dictionary made of the templates themselves and typical JSON, so only what
 * differs (names, banks, codes) costs bytes (docs/performance.md, memory).
 *
 * Form (version 1; docs/storage.md): tag 0x1F, the 6 bytes of the dictionary id, then the raw
 * deflate stream. A dictionary is content-addressed and stored in Redis once (never expires), so
 * a document written under old templates still unpacks after the templates change, on any
 * instance. DO NOT CHANGE the form: it is persisted.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../common/errors.js';
import type { Keys } from './keys.js';
import { RawDeflate } from './raw-deflate.js';
import type { RedisClient } from './connection.js';

/** The tag of a packed document. */
export const PACKED = 0x1f;
const ID_LENGTH = 12;

/**
 * Documents shorter than this (timeline entries without an SMS text) are packed with the small
 * dictionary: zlib reads the whole dictionary on every call, so its size is CPU per document
 * (docs/performance.md). For the same reason a document that holds one template's text is packed
 * with that template's own dictionary (a few KB) when there is one.
 */
const SMALL_DOCUMENT = 400;

/** The dictionaries a codec packs with; `small` and each template's default to `full`. */
export interface Dictionaries {
  readonly full: Buffer;
  readonly small?: Buffer;
  /** Template id → a dictionary of that template's texts and records. */
  readonly templates?: ReadonlyMap<string, Buffer>;
}

async function storeDictionary(
  redis: RedisClient,
  keys: Keys,
  dictionary: Buffer,
): Promise<[string, Buffer]> {
  // deflate uses at most the last 32 KiB of a dictionary.
  const dict = dictionary.subarray(Math.max(0, dictionary.length - 32_768));
  const id = createHash('sha256').update(dict).digest('hex').slice(0, ID_LENGTH);
  await redis.set(keys.dictionary(id), dict, 'NX');
  return [id, dict];
}

/** A dictionary as the codec uses it: its kept zlib streams and the head of what it packs. */
interface Dictionary {
  readonly zlib: RawDeflate;
  /** 0x1F and the dictionary id. */
  readonly head: Buffer;
}

function dictionary(id: string, bytes: Buffer): Dictionary {
  return { zlib: new RawDeflate(bytes), head: Buffer.concat([Buffer.of(PACKED), Buffer.from(id, 'hex')]) };
}

export class TextCodec {
  private readonly dictionaries = new Map<string, Dictionary>();
  /** Template id → the id of its dictionary. */
  private readonly templateIds = new Map<string, string>();

  private constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly currentId: string,
    private readonly smallId: string,
  ) {}

  /**
   * Stores the dictionaries (a Buffer: the full one alone) in Redis if new, and returns a codec
   * that packs with them.
   */
  static async create(
    redis: RedisClient,
    keys: Keys,
    dictionaries: Dictionaries | Buffer,
    small?: Buffer,
  ): Promise<TextCodec> {
    const given = Buffer.isBuffer(dictionaries)
      ? { full: dictionaries, ...(small ? { small } : {}) }
      : dictionaries;
    const [id, dict] = await storeDictionary(redis, keys, given.full);
    const [smallId, smallDict] = await storeDictionary(redis, keys, given.small ?? given.full);
    const codec = new TextCodec(redis, keys, id, smallId);
    codec.dictionaries.set(id, dictionary(id, dict));
    codec.dictionaries.set(smallId, dictionary(smallId, smallDict));
    for (const [template, buffer] of given.templates ?? []) {
      const [templateId, templateDict] = await storeDictionary(redis, keys, buffer);
      codec.dictionaries.set(templateId, dictionary(templateId, templateDict));
      codec.templateIds.set(template, templateId);
    }
    return codec;
  }

  /**
   * A whole document (JSON) as bytes: 0x1F, the dictionary id (6 bytes), the deflate stream.
   * `template`: the template whose text the document holds, if any.
   */
  pack(json: string, template?: string): Buffer {
    const own = template === undefined ? undefined : this.templateIds.get(template);
    const id = json.length < SMALL_DOCUMENT ? this.smallId : (own ?? this.currentId);
    const dict = this.dictionaries.get(id) as Dictionary;
    return dict.zlib.deflate(Buffer.from(json, 'utf8'), dict.head);
  }

  /** The JSON of a packed document, whichever dictionary packed it. */
  async unpack(raw: Buffer): Promise<string> {
    if (raw[0] !== PACKED || raw.length < 1 + ID_LENGTH / 2) {
      throw new GatewayError(
        'GW_STORE_FORMAT',
        `stored document has an unknown format tag ${raw[0] ?? 'none'}`,
      );
    }
    const idEnd = 1 + ID_LENGTH / 2;
    const dict = await this.dictionary(raw.toString('hex', 1, idEnd));
    return dict.zlib.inflateText(raw.subarray(idEnd));
  }

  private async dictionary(id: string): Promise<Dictionary> {
    let dict = this.dictionaries.get(id);
    if (!dict) {
      const stored = await this.redis.getBuffer(this.keys.dictionary(id));
      if (!stored) throw new Error(`text dictionary ${id} is missing from Redis`);
      dict = this.dictionaries.get(id) ?? dictionary(id, stored);
      this.dictionaries.set(id, dict);
    }
    return dict;
  }
}
