/**
 * The conversation store: one string per conversation (its format tag, its version, the packed
 * document, then its timeline entries: docs/storage.md) and its outbox, committed together by a
 * Lua compare-and-set (store/lua/commit-2.lua). One string rather than a hash and a list keeps a
 * conversation within its memory budget (docs/performance.md). The store is the only code that
 * knows Redis: the other stores of the gateway hang off it (`sms`, `replies`, `campaigns`,
 * `audit`, `people`, `carrierMemory`), and callers see intents, never a client, key or script.
 */
import { hash, randomBytes } from 'node:crypto';
import { GatewayError } from '../common/errors.js';
import type { Conversation } from '../dialogue/conversation.js';
import type { OutcomeJob } from '../queues/outcomes.js';
import type { State } from '../services/schema.js';
import { PersonKeyStore } from './api-keys.js';
import { AwaitedReceipts } from './awaited-receipts.js';
import { checkedConversation, checkedJson, OUTBOX_ENTRY } from './checked.js';
import { AuditLog } from './audit.js';
import { CampaignStore } from './campaigns.js';
import { CarrierMemory } from './carriers.js';
import { DeadlineIndex } from './deadlines.js';
import { ExternalIdIndex } from './external-ids.js';
import { HoldIndex } from './holds.js';
import { createKeys, type Keys } from './keys.js';
import { MsisdnIndex } from './msisdn-index.js';
import { ReceiptIndex, type LinkPlan } from './receipts.js';
import type { RedisClient } from './connection.js';
import { ReplyState } from './replies.js';
import { withScripts } from './scripts.js';
import { sentRecord, SmsRecords } from './sms-record.js';
import { StateCounts } from './state-counts.js';
import { TextCodec, type Dictionaries } from './text-codec.js';
import { TimelineCodec } from './timeline-codec.js';
import type { TimelineEntry } from './timeline-entry.js';
import { WorklistStore } from './worklists.js';

/** One sent SMS: its ids, what its record keeps (`recordSentMany`), and its sent timeline entry. */
export interface SentSms {
  readonly conversationId: string;
  readonly smsId: string;
  readonly templateId: string;
  readonly campaign?: string;
  readonly entry: TimelineEntry;
}

/** A side effect committed with a step and handed to BullMQ afterwards (transactional outbox). */
export type OutboxEntry =
  | {
      readonly t: 'sms';
      readonly smsId: string;
      readonly to: string;
      readonly text: string;
      readonly templateId: string;
      readonly asksConsent: boolean;
      readonly campaign?: string;
      /** The stage's deadline starts when the SMSC accepts this SMS. */
      readonly startsDeadline?: boolean;
      /** Held for the sending window until this instant (epoch ms). */
      readonly notBefore?: number;
      /** The conversation's first SMS: its acceptance is the `sent` outcome. */
      readonly invitation?: { readonly service: string; readonly externalId: string; readonly state: State };
    }
  /** The conversation waits to be sent until `at` (null: it waits no more). */
  | { readonly t: 'wait'; readonly at: number | null }
  | { readonly t: 'assignment' }
  /** One outcome for the `outcomes` queue, committed with the transition that made it. */
  | { readonly t: 'outcome'; readonly job: OutcomeJob }
  | { readonly t: 'deadline'; readonly at: number | null }
  | { readonly t: 'index' };

export type * from './timeline-entry.js';
export { splitEntries } from './timeline-codec.js';

/** The format tag of a stored conversation (docs/storage.md): its first byte. */
export const CONVERSATION_V1 = 0x01;
/** A stored conversation starts with its tag (1 byte), version and the length of its doc (4 bytes each). */
const HEAD_BYTES = 9;

/** A script's refusal of a stored format (store/lua/commit-2.lua, append-1.lua) as its catalogue error. */
function scriptError(err: unknown): never {
  if (err instanceof Error && err.message.startsWith('GW_STORE_FORMAT ')) {
    throw new GatewayError('GW_STORE_FORMAT', err.message.slice('GW_STORE_FORMAT '.length), undefined, {
      cause: err,
    });
  }
  throw err;
}

/** The document and the timeline bytes of a stored conversation string. */
export function splitConversation(value: Buffer): { version: number; doc: Buffer; entries: Buffer } {
  if (value[0] !== CONVERSATION_V1 || value.length < HEAD_BYTES) {
    throw new GatewayError(
      'GW_STORE_FORMAT',
      `stored conversation has an unknown format tag ${value[0] ?? 'none'}`,
    );
  }
  const docEnd = HEAD_BYTES + value.readUInt32BE(5);
  return {
    version: value.readUInt32BE(1),
    doc: value.subarray(HEAD_BYTES, docEnd),
    entries: value.subarray(docEnd),
  };
}

/** How an outbox entry is stored: the flush removes an entry by this exact string. */
export function outboxJson(entry: OutboxEntry): string {
  return JSON.stringify(entry);
}

/** Sortable, unguessable id: time in base 36 then 10 random characters. */
export function newConversationId(now: number): string {
  const random = randomBytes(8).toString('base64url').replace(/[-_]/g, '0').slice(0, 10).toLowerCase();
  return `${now.toString(36)}${random}`;
}

export interface StoreOptions {
  /** Seconds a conversation is kept after it ends (RETENTION_DAYS). */
  readonly retentionSeconds: number;
  /** Packs stored documents and timeline entries (store/text-codec.ts). */
  readonly codec: TextCodec;
}

export class ConversationStore {
  /** SMSC message id of each sent part → its SMS, for delivery receipts. */
  readonly receipts: ReceiptIndex;
  /** Conversation id → its deadline, for the sweeper. */
  readonly deadlines: DeadlineIndex;
  /** The records of SMS being sent. */
  readonly sms: SmsRecords;
  /** Multipart replies being reassembled, and the "no open request" mark. */
  readonly replies: ReplyState;
  readonly campaigns: CampaignStore;
  /** The call centre's audit log. */
  readonly audit: AuditLog;
  /** People's API keys. */
  readonly people: PersonKeyStore;
  /** The call centre's daily work lists. */
  readonly worklists: WorklistStore;
  /** How many conversations are in each state. */
  readonly stateCounts: StateCounts;
  /** Conversations waiting to be sent, and SMS held for the sending window. */
  readonly holds: HoldIndex;
  private readonly externalIds: ExternalIdIndex;
  private readonly msisdns: MsisdnIndex;
  private readonly timelineCodec: TimelineCodec;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: StoreOptions,
  ) {
    withScripts(redis);
    this.timelineCodec = new TimelineCodec(options.codec);
    this.receipts = new ReceiptIndex(redis, keys);
    this.externalIds = new ExternalIdIndex(redis, keys);
    this.msisdns = new MsisdnIndex(redis, keys);
    this.deadlines = new DeadlineIndex(redis, keys);
    this.sms = new SmsRecords(redis, keys);
    this.replies = new ReplyState(redis, keys);
    this.campaigns = new CampaignStore(redis, keys);
    this.audit = new AuditLog(redis, keys.audit());
    this.people = new PersonKeyStore(redis, keys);
    this.worklists = new WorklistStore(redis, keys);
    this.stateCounts = new StateCounts(redis, keys);
    this.holds = new HoldIndex(redis, keys);
  }

  /**
   * The store of one gateway: its keys under `keyPrefix`, documents packed with `dictionaries`
   * (stored in Redis once, gateway/core/dictionary.ts builds them).
   */
  static async open(
    redis: RedisClient,
    options: { keyPrefix: string; retentionSeconds: number; dictionaries: Dictionaries },
  ): Promise<ConversationStore> {
    const keys = createKeys(options.keyPrefix);
    const codec = await TextCodec.create(redis, keys, options.dictionaries);
    return new ConversationStore(redis, keys, { retentionSeconds: options.retentionSeconds, codec });
  }

  /** The SMS whose delivery receipts are still awaited, each kept `ttlSeconds`. */
  awaitedReceipts(ttlSeconds: number): AwaitedReceipts {
    return new AwaitedReceipts(this.redis, this.keys, ttlSeconds);
  }

  /** Where numbers live, as learned from replies and refusals, kept `ttlSeconds`. */
  carrierMemory(ttlSeconds: number): CarrierMemory {
    return new CarrierMemory(this.redis, this.keys, ttlSeconds);
  }

  /** Whether commands go through now (the connection is ready), for guards that refuse early and gauges. */
  connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Whether the client is a Redis Cluster (operations, tests). */
  get isCluster(): boolean {
    return this.redis.isCluster;
  }

  async get(id: string): Promise<Conversation | null> {
    const value = await this.rawValue(id);
    return value ? this.readDoc(splitConversation(value).doc) : null;
  }

  async getMany(ids: readonly string[]): Promise<Conversation[]> {
    const values = await Promise.all(ids.map((id) => this.rawValue(id)));
    return Promise.all(values.flatMap((v) => (v ? [this.readDoc(splitConversation(v).doc)] : [])));
  }

  /** The stored conversation string (store/lua/commit-2.lua). */
  private async rawValue(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.conversation(id));
  }

  private async readDoc(raw: Buffer): Promise<Conversation> {
    return checkedConversation(await this.options.codec.unpack(raw));
  }

  /** A conversation's document, packed with the dictionary of its consent SMS's text. */
  private write(conv: Conversation): Buffer {
    return this.options.codec.pack(JSON.stringify(conv), conv.consentTemplate?.id);
  }

  private entry(value: TimelineEntry): Buffer {
    return this.timelineCodec.encode(value);
  }

  /**
   * Claims (service, externalId) for `id`, or returns the id that already holds it:
   * invitations are idempotent on it (CONTRACT.md). Kept as long as the conversation.
   */
  async claimExternalId(service: string, externalId: string, id: string): Promise<string> {
    return this.externalIds.claim(service, externalId, id);
  }

  /** The conversation id of (service, externalId), or null (the inviting system's reference). */
  async findExternalId(service: string, externalId: string): Promise<string | null> {
    return this.externalIds.find(service, externalId);
  }

  /**
   * Commits a step if the stored version is still `expectedVersion` (-1 for a new conversation).
   * Returns false on conflict: re-read and decide again.
   */
  async commit(
    expectedVersion: number,
    next: Conversation,
    timeline: readonly TimelineEntry[],
    outbox: readonly OutboxEntry[],
    final: boolean,
  ): Promise<boolean> {
    const id = next.id;
    if (outbox.length > 0) await this.redis.sadd(this.keys.outboxIndex(), id);
    const doc = this.write({ ...next, version: expectedVersion + 1 });
    const ttl = final ? this.options.retentionSeconds : 0;
    const [ok] = await this.redis
      .gwCommit(
        this.keys.conversation(id),
        this.keys.outbox(id),
        expectedVersion,
        doc,
        ttl,
        timeline.length,
        ...timeline.map((e) => this.entry(e)),
        ...outbox.map(outboxJson),
      )
      .catch(scriptError);
    return ok === 1;
  }

  /** Appends to the timeline of an existing conversation (delivery statuses); false if it is gone. */
  async append(id: string, ...entries: TimelineEntry[]): Promise<boolean> {
    if (entries.length === 0) return true;
    const ok = await this.redis
      .gwAppend(this.keys.conversation(id), ...entries.map((e) => this.entry(e)))
      .catch(scriptError);
    return ok === 1;
  }

  /**
   * The SMSC accepted these SMS (the sender's writes of one event-loop turn): each one's sent
   * entry in its timeline, its record deleted (the compact entry marks it sent: store/lua/claim-n.lua)
   * or, where there is no such entry to find, marked sent for `ttlSeconds`, and its parts'
   * receipt links (store/lua/sent-n.lua). One script call on a single Redis, where keys of many
   * conversations may share one; on Cluster, where they lie in many slots, one call per SMS (its
   * two keys share the conversation's slot) and the links by themselves.
   */
  async recordSentMany(items: readonly SentSms[], ttlSeconds: number, links: LinkPlan): Promise<void> {
    if (this.redis.isCluster) {
      await this.receipts.write(links);
      await Promise.all(items.map((i) => this.sendSent([i], ttlSeconds, { slots: [], ttl: links.ttl })));
      return;
    }
    await this.sendSent(items, ttlSeconds, links);
  }

  /** store/lua/sent-n.lua: the keys of each SMS, then of each link; the values in one argument. */
  private async sendSent(items: readonly SentSms[], ttlSeconds: number, links: LinkPlan): Promise<void> {
    const keys: string[] = [];
    for (const i of items) keys.push(this.keys.conversation(i.conversationId), this.sms.key(i));
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
      add(this.entry(i.entry));
    }
    await this.redis.gwSent(keys.length, ...keys, items.length, ttlSeconds, links.ttl, Buffer.concat(values));
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    const value = await this.rawValue(id);
    return value ? this.timelineCodec.decodeAll(splitConversation(value).entries) : [];
  }

  /** The conversation and its timeline from one read. */
  async withTimeline(id: string): Promise<{ conversation: Conversation; timeline: TimelineEntry[] } | null> {
    const value = await this.rawValue(id);
    if (!value) return null;
    const { doc, entries } = splitConversation(value);
    const [conversation, timeline] = await Promise.all([
      this.readDoc(doc),
      this.timelineCodec.decodeAll(entries),
    ]);
    return { conversation, timeline };
  }

  /** The conversations of one number, newest first. Ids whose conversation expired are pruned. */
  async listByMsisdn(msisdn: string, limit = 50): Promise<Conversation[]> {
    const ids = await this.msisdns.ids(msisdn, limit);
    const convs = await this.getMany(ids);
    if (convs.length < ids.length) {
      const alive = new Set(convs.map((c) => c.id));
      await this.msisdns.remove(
        msisdn,
        ids.filter((i) => !alive.has(i)),
      );
    }
    return convs.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  async indexMsisdn(conv: Conversation): Promise<void> {
    await this.msisdns.add(conv.msisdn, conv.id, conv.createdAt);
  }

  /** The outbox of a conversation: each entry checked, with its stored JSON (`ackOutboxAll` names it). */
  async outbox(id: string): Promise<Array<{ readonly raw: string; readonly entry: OutboxEntry }>> {
    const raws = await this.redis.lrange(this.keys.outbox(id), 0, -1);
    return raws.map((raw) => ({ raw, entry: checkedJson<OutboxEntry>('outbox entry', OUTBOX_ENTRY, raw) }));
  }

  /**
   * Removes handled outbox entries (named by the SHA-1 of their exact JSON: store/lua/ack-outbox-1.lua)
   * and, when none is left, the conversation from the recovery index: one round trip for the
   * entries, one more only when the outbox is empty.
   */
  async ackOutboxAll(id: string, raws: readonly string[]): Promise<void> {
    // One-shot `hash`: no native Hash object for the next young-generation pause to finalize.
    const digests = raws.map((raw) => hash('sha1', raw, 'hex'));
    const left = await this.redis.gwAckOutbox(this.keys.outbox(id), ...digests);
    if (left === 0) await this.redis.srem(this.keys.outboxIndex(), id);
  }

  async outboxDone(id: string): Promise<void> {
    const left = await this.redis.llen(this.keys.outbox(id));
    if (left === 0) await this.redis.srem(this.keys.outboxIndex(), id);
  }

  async pendingOutboxes(limit = 500): Promise<string[]> {
    return this.redis.srandmember(this.keys.outboxIndex(), limit);
  }

  /** Sets (epoch ms) or clears (null) the deadline of a conversation (store/deadlines.ts). */
  async setDeadline(id: string, at: number | null): Promise<void> {
    await this.deadlines.set(id, at);
  }

  /** Conversation ids whose deadline is due at `now`, earliest first. */
  async dueDeadlines(now: number, limit: number): Promise<string[]> {
    return this.deadlines.due(now, limit);
  }
}
