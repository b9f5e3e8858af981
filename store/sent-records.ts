/**
 * What the store writes once the SMSC accepted SMS (the sender's writes of one event-loop turn,
 * gateway/core/sent-writes.ts): each one's sent entry in its timeline, its record deleted (the
 * compact entry marks it sent: store/lua/claim-n.lua) or, where there is no such entry to find,
 * marked sent, and its parts' receipt links (store/lua/sent-n.lua).
 */
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';
import type { LinkPlan, ReceiptIndex } from './receipts.js';
import { sentRecord, type SmsRecords } from './sms-record.js';
import type { TimelineCodec } from './timeline-codec.js';
import type { TimelineEntry } from './timeline-entry.js';

/** One sent SMS: its ids, what its record keeps, and its sent timeline entry. */
export interface SentSms {
  readonly conversationId: string;
  readonly smsId: string;
  readonly templateId: string;
  readonly campaign?: string;
  readonly entry: TimelineEntry;
}

export class SentRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<Keys, 'conversation'>,
    private readonly parts: { readonly receipts: ReceiptIndex; readonly sms: SmsRecords },
    private readonly timeline: TimelineCodec,
  ) {}

  /**
   * Records `items` sent, each record kept `ttlSeconds` where it is kept, with `links`. One
   * script call on a single Redis, where keys of many conversations may share one; on Cluster,
   * where they lie in many slots, one call per SMS (its two keys share the conversation's slot)
   * and the links by themselves.
   */
  async record(items: readonly SentSms[], ttlSeconds: number, links: LinkPlan): Promise<void> {
    if (this.redis.isCluster) {
      await this.parts.receipts.write(links);
      await Promise.all(items.map((i) => this.send([i], ttlSeconds, { slots: [], ttl: links.ttl })));
      return;
    }
    await this.send(items, ttlSeconds, links);
  }

  /** store/lua/sent-n.lua: the keys of each SMS, then of each link; the values in one argument. */
  private async send(items: readonly SentSms[], ttlSeconds: number, links: LinkPlan): Promise<void> {
    const keys: string[] = [];
    for (const i of items) keys.push(this.keys.conversation(i.conversationId), this.parts.sms.key(i));
    for (const [key] of links.slots) keys.push(key);
    const values: Buffer[] = [];
    const add = (value: Buffer | string) => {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(bytes.length);
      values.push(head, bytes);
    };
    for (const [, field, value] of links.slots) {
      add(field);
      add(value);
    }
    for (const i of items) {
      add(sentRecord(i.templateId, i.campaign));
      add(this.timeline.encode(i.entry));
    }
    await this.redis.gwSent(keys.length, ...keys, items.length, ttlSeconds, links.ttl, Buffer.concat(values));
  }
}
