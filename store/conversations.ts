/**
 * The conversation store: one string per conversation (its format tag, its version, the packed
 * document, then its timeline entries: docs/storage.md) and its outbox, committed together by a
 * Lua compare-and-set (store/lua/commit-2.lua). One string rather than a hash and a list keeps a
 * conversation within its memory budget (docs/performance.md). The store is the only code that
 * knows Redis: the other stores of the gateway hang off it (`sms`, `replies`, `outboxes`, `campaigns`,
 * `audit`, `people`, `carrierMemory`), and callers see intents, never a client, key or script.
 */
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../dialogue/conversation.js';
import { PersonKeyStore } from './api-keys.js';
import { AwaitedReceipts } from './awaited-receipts.js';
import { checkedConversation } from './checked.js';
import { AuditLog } from './audit.js';
import { CampaignStore } from './campaigns.js';
import { CarrierMemory } from './carriers.js';
import { scriptError, splitConversation } from './conversation-format.js';
import { DeadlineIndex } from './deadlines.js';
import { ExternalIdIndex } from './external-ids.js';
import { HoldIndex } from './holds.js';
import { createKeys, type Keys } from './keys.js';
import { MsisdnIndex } from './msisdn-index.js';
import { outboxJson, OutboxStore, type OutboxEntry } from './outbox.js';
import { OutcomeMarks } from './outcome-marks.js';
import { ReceiptIndex, type LinkPlan } from './receipts.js';
import { redisReady, type RedisClient } from './connection.js';
import { ReplyState } from './replies.js';
import { withScripts } from './scripts.js';
import {
  SentRecords,
  type SentPart,
  type SentProgress,
  type SentResult,
  type SentSms,
  type StartedDeadline,
} from './sent-records.js';
import { acceptedAt } from './sent-entry.js';
import { consentRecord, type ConsentRecord } from './consent-sms-entry.js';
import { SmsRecords } from './sms-record.js';
import { StateCounts, stateCountField } from './state-counts.js';
import { TextCodec, type Dictionaries } from './text-codec.js';
import { splitEntries, TimelineCodec, type StoredEntry } from './timeline-codec.js';
import { sentEntry, type TimelineEntry } from './timeline-entry.js';
import { WorklistStore } from './worklists.js';

export type * from './timeline-entry.js';
export { splitEntries } from './timeline-codec.js';
export { CONVERSATION_V1, newConversationId, outcomeBit, splitConversation } from './conversation-format.js';
export { outboxJson, type OutboxEntry, type StoredOutboxEntry } from './outbox.js';
export type { OutcomeRef } from './outcome-marks.js';
export type { SentPart, SentProgress, SentResult, SentSms, StartedDeadline } from './sent-records.js';

/**
 * The conversation a step was decided from, as far as the store needs it: the consent record its
 * document names (`consentSmsId`, `consentTemplate`), kept in the timeline when the step names
 * another (store/consent-sms-entry.ts).
 */
export type StepBefore = Pick<Conversation, 'consentSmsId' | 'consentTemplate'>;

/** One step of `commitMany`: what `commit` takes, and the state counts it moves. */
export interface StepCommit {
  readonly expectedVersion: number;
  /** The conversation read at `expectedVersion` (none for a new one). */
  readonly before?: StepBefore;
  readonly next: Conversation;
  readonly timeline: readonly TimelineEntry[];
  readonly outbox: readonly OutboxEntry[];
  readonly final: boolean;
  /** The counts to move (`StateCounts.move`): from null (new) or a state, to a state; none when absent. */
  readonly counts?: { readonly from: string | null; readonly to: string };
}

/** A step `commitMany` wrote: its outbox entries left to hand over, its outcomes' marks before it. */
export interface CommittedStep {
  readonly entries: OutboxEntry[];
  /** The bits of the outcomes its conversation had handed over (store/outcome-marks.ts). */
  readonly marked: number;
  /** Where its entries wait in the batch's outbox (`OutboxStore.batchDone`); null when it has none. */
  readonly held: HeldStep | null;
}

/** A step's entries in a batch's outbox (store/lua/commit-many-n.lua). */
export interface HeldStep {
  readonly batch: string;
  readonly field: string;
}

/**
 * The conversation once the SMSC accepted, at `at`, the SMS its stage waits for (the dialogue
 * engine's `deadlineStarted` for that stage's template); undefined when nothing starts.
 */
export type DeadlineStarter = (conv: Conversation, at: number) => Conversation | undefined;

export interface StoreOptions {
  /** Seconds a conversation is kept after it ends (RETENTION_DAYS). */
  readonly retentionSeconds: number;
  /** Packs stored documents and timeline entries (store/text-codec.ts). */
  readonly codec: TextCodec;
  /**
   * How a stage's deadline starts once its SMS is accepted (the core's engine): the sender writes
   * the acceptance (the sent entry, store/lua/sent-n.lua) and the deadline's index, not a step,
   * and every read of the conversation starts the deadline from that entry until a step writes
   * it. Without it (store tests) a conversation is read as its document stands.
   */
  readonly startDeadline?: DeadlineStarter;
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
  /** The side effects committed with each step, until they are handed over. */
  readonly outboxes: OutboxStore;
  /** The outcomes each conversation has handed to the `outcomes` queue. */
  readonly outcomes: OutcomeMarks;
  private readonly externalIds: ExternalIdIndex;
  private readonly msisdns: MsisdnIndex;
  private readonly timelineCodec: TimelineCodec;
  private readonly sent: SentRecords;

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
    this.outboxes = new OutboxStore(redis, keys);
    this.outcomes = new OutcomeMarks(redis, keys);
    this.sent = new SentRecords(redis, keys, this, this.timelineCodec);
  }

  /**
   * The store of one gateway: its keys under `keyPrefix`, documents packed with `dictionaries`
   * (stored in Redis once, gateway/core/dictionary.ts builds them).
   */
  static async open(
    redis: RedisClient,
    options: Omit<StoreOptions, 'codec'> & { keyPrefix: string; dictionaries: Dictionaries },
  ): Promise<ConversationStore> {
    const { keyPrefix, dictionaries, ...rest } = options;
    const keys = createKeys(keyPrefix);
    const codec = await TextCodec.create(redis, keys, dictionaries);
    return new ConversationStore(redis, keys, { ...rest, codec });
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

  /** Whether Redis answers a PING within `timeoutMs` (a connection can stay open to a Redis that answers nothing). */
  answering(timeoutMs: number): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  /** Whether the client is a Redis Cluster (operations, tests). */
  get isCluster(): boolean {
    return this.redis.isCluster;
  }

  async get(id: string): Promise<Conversation | null> {
    const value = await this.rawValue(id);
    return value ? this.conversation(value) : null;
  }

  async getMany(ids: readonly string[]): Promise<Conversation[]> {
    return (await this.getAll(ids)).filter((c): c is Conversation => c !== null);
  }

  /** Each of `ids`' conversations in order, null where there is none, read in one round trip. */
  async getAll(ids: readonly string[]): Promise<Array<Conversation | null>> {
    const values = await this.rawValues(ids);
    return Promise.all(values.map((v) => (v ? this.conversation(v) : Promise.resolve(null))));
  }

  /**
   * Several stored strings in one command (MGET): the sweeper's batch of due conversations, a
   * number's conversations. On Cluster their keys lie in many slots and nodes, so one GET each.
   */
  private async rawValues(ids: readonly string[]): Promise<Array<Buffer | null>> {
    if (ids.length < 2 || this.redis.isCluster) return Promise.all(ids.map((id) => this.rawValue(id)));
    return this.redis.mgetBuffer(ids.map((id) => this.keys.conversation(id)));
  }

  /** The stored conversation string (store/lua/commit-2.lua). */
  private async rawValue(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.conversation(id));
  }

  private async readDoc(raw: Buffer): Promise<Conversation> {
    return checkedConversation(await this.options.codec.unpack(raw));
  }

  /** A stored conversation's timeline, its SMS stored by reference read from its document's consent record. */
  private async readTimeline(doc: Buffer, entries: Buffer, conv?: Conversation): Promise<TimelineEntry[]> {
    const consent = TimelineCodec.refersToConsent(entries)
      ? consentOf(conv ?? (await this.readDoc(doc)))
      : undefined;
    return this.timelineCodec.decodeAll(entries, consent);
  }

  /** A stored conversation string's conversation, its deadline started where its SMS was accepted. */
  private async conversation(value: Buffer): Promise<Conversation> {
    const { doc, entries } = splitConversation(value);
    return this.withDeadlineStarted(await this.readDoc(doc), entries);
  }

  /**
   * The conversation with its stage's deadline started, when the document still waits for an SMS
   * (`deadlineSms`) whose sent entry the timeline holds: what the engine's `sent` step would write.
   */
  private withDeadlineStarted(conv: Conversation, entries: Buffer): Conversation {
    const start = this.options.startDeadline;
    if (!conv.deadlineOnSent || conv.deadlineSms === undefined || !start) return conv;
    const at = acceptedAt(splitEntries(entries), conv.deadlineSms);
    return at === undefined ? conv : (start(conv, at) ?? conv);
  }

  /** A conversation's document, packed with the dictionary of its consent SMS's text. */
  private write(conv: Conversation): Buffer {
    return this.options.codec.pack(JSON.stringify(conv), conv.consentTemplate?.id);
  }

  /**
   * A step's timeline entries as stored (several may share one packed document): the SMS whose
   * text is the consent record of `next` stored by reference to it, and the record `before` named
   * kept when `next` names another (store/consent-sms-entry.ts).
   */
  private entries(values: readonly TimelineEntry[], next?: Conversation, before?: StepBefore): Buffer[] {
    const consent = next && consentOf(next);
    const left = before && consentOf(before);
    const stored: StoredEntry[] = left && left.smsId !== consent?.smsId ? [left, ...values] : [...values];
    return this.timelineCodec.encodeAll(stored, consent);
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
   * Commits a step if the stored version is still `expectedVersion` (-1 for a new conversation),
   * `before` the conversation read at that version. Returns false on conflict: re-read and decide
   * again.
   */
  async commit(
    expectedVersion: number,
    next: Conversation,
    timeline: readonly TimelineEntry[],
    outbox: readonly OutboxEntry[],
    final: boolean,
    before?: StepBefore,
  ): Promise<boolean> {
    const id = next.id;
    if (outbox.length > 0) await this.outboxes.index(id);
    const doc = this.write({ ...next, version: expectedVersion + 1 });
    const ttl = final ? this.options.retentionSeconds : 0;
    const entries = this.entries(timeline, next, before);
    const [ok] = await this.redis
      .gwCommit(
        this.keys.conversation(id),
        this.keys.outbox(id),
        expectedVersion,
        doc,
        ttl,
        entries.length,
        ...entries,
        ...outbox.map(outboxJson),
      )
      .catch(scriptError);
    return ok === 1;
  }

  /** Whether `commitMany` commits many steps in one call (a single Redis, not Cluster). */
  get commitsInBatches(): boolean {
    return !this.redis.isCluster;
  }

  /**
   * Commits the steps of many conversations in one call, each by its own compare-and-set
   * (store/lua/commit-many-n.lua); single Redis only (`commitsInBatches`). A step's deadline
   * entries are applied to the deadline index and its counts moved in the same call, so they are
   * not in its outbox; its other entries wait in the batch's outbox (`held`) until handed over. Per step: the outbox entries left to hand over and the outcomes its
   * conversation has marked handed over (`OutcomeMarks`' bits, read by the commit), or null when
   * it was not written (the conversation changed since it was read): decide that one again.
   */
  async commitMany(steps: readonly StepCommit[]): Promise<Array<CommittedStep | null>> {
    if (steps.length === 0) return [];
    const batch = randomBytes(9).toString('base64url');
    const keys: string[] = [
      this.keys.outboxBatches(),
      this.keys.deadlineBuckets(),
      this.keys.stateCounts(),
      this.keys.outboxBatch(batch),
    ];
    const args: Array<string | number | Buffer> = [steps.length, batch];
    const handed: OutboxEntry[][] = [];
    for (const step of steps) {
      const id = step.next.id;
      const { bucket, key } = this.deadlines.bucketOf(id);
      keys.push(this.keys.conversation(id), this.keys.outbox(id), key);
      const deadlines = step.outbox.filter((e) => e.t === 'deadline');
      const outbox = step.outbox.filter((e) => e.t !== 'deadline');
      const at = deadlines.at(-1)?.at;
      const counts = step.counts;
      const moved = counts && counts.from !== counts.to;
      const entries = this.entries(step.timeline, step.next, step.before);
      args.push(
        step.expectedVersion,
        this.write({ ...step.next, version: step.expectedVersion + 1 }),
        step.final ? this.options.retentionSeconds : 0,
        entries.length,
        outbox.length,
        deadlines.length === 0 ? '-' : at === null || at === undefined ? '' : String(at),
        bucket,
        moved && counts.from !== null ? stateCountField(step.next.service, counts.from) : '',
        moved ? stateCountField(step.next.service, counts.to) : '',
        id,
        ...entries,
        ...outbox.map(outboxJson),
      );
      handed.push(outbox);
    }
    const results = await this.redis.gwCommitMany(keys.length, ...keys, ...args).catch(scriptError);
    return results.map(([ok, version, marked], i) => {
      if (ok !== 1) return null;
      const entries = handed[i] ?? [];
      const held = entries.length > 0 ? { batch, field: `${steps[i]?.next.id}:${version}` } : null;
      return { entries, marked: marked ?? 0, held };
    });
  }

  /** Appends to the timeline of an existing conversation (delivery statuses); false if it is gone. */
  async append(id: string, ...entries: TimelineEntry[]): Promise<boolean> {
    if (entries.length === 0) return true;
    const ok = await this.redis
      .gwAppend(this.keys.conversation(id), ...this.entries(entries))
      .catch(scriptError);
    return ok === 1;
  }

  /**
   * The SMSC accepted these SMS (the sender's writes of one event-loop turn): their sent entries,
   * records and receipt links, with the campaigns' counts and the SMS awaiting receipts they add
   * (store/sent-records.ts), records kept `ttlSeconds` where kept; with the deadlines their
   * acceptance starts in the deadline index, each while its conversation has not moved on. Per SMS
   * the outcomes its conversation has marked handed over, and which deadlines were indexed.
   */
  async recordSentMany(
    items: readonly SentSms[],
    ttlSeconds: number,
    links: LinkPlan,
    progress?: SentProgress,
    deadlines?: readonly StartedDeadline[],
  ): Promise<SentResult> {
    return this.sent.record(items, ttlSeconds, links, progress, deadlines);
  }

  /**
   * A job found SMS `smsId` of `conversationId` sent: on Cluster, where its progress follows its
   * record, that progress written again, idempotently (store/sent-records.ts `progressAgain`), at
   * the time of its sent entry (`now` when the conversation is gone, then with nothing awaited).
   * Nothing on a single Redis, where the record's own script call wrote it.
   */
  async sentProgressAgain(
    sms: { readonly conversationId: string; readonly smsId: string; readonly campaign?: string },
    now: number,
    awaitedTtlSeconds: number,
  ): Promise<void> {
    if (!this.redis.isCluster) return;
    const { conversationId, smsId, campaign } = sms;
    const timeline = conversationId === 'none' ? [] : await this.timeline(conversationId);
    const entry = sentEntry(timeline, smsId);
    await this.sent.progressAgain({
      at: entry?.at ?? now,
      counted: campaign !== undefined ? [{ campaign, conversationId, smsId }] : [],
      awaited: entry ? [{ conversationId, smsId }] : [],
      awaitedTtlSeconds,
    });
  }

  /** The sent SMS and part of a conversation an SMSC id names (store/sent-records.ts). */
  async sentPart(conversationId: string, id: string): Promise<SentPart | null | undefined> {
    return this.sent.sentPart(conversationId, id);
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    const value = await this.rawValue(id);
    if (!value) return [];
    const { doc, entries } = splitConversation(value);
    return this.readTimeline(doc, entries);
  }

  /** The conversation and its timeline from one read. */
  async withTimeline(id: string): Promise<{ conversation: Conversation; timeline: TimelineEntry[] } | null> {
    const value = await this.rawValue(id);
    if (!value) return null;
    const { doc, entries } = splitConversation(value);
    const conversation = await this.readDoc(doc);
    const timeline = await this.readTimeline(doc, entries, conversation);
    return { conversation: this.withDeadlineStarted(conversation, entries), timeline };
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
    // Newest first; the invitations of one batch share a millisecond, and their ids, taken in
    // order (conversations.ts `idTime`), tell which came later.
    return convs
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit);
  }

  async indexMsisdn(conv: Conversation): Promise<void> {
    await this.msisdns.add(conv.msisdn, conv.id, conv.createdAt);
  }

  /** Sets (epoch ms) or clears (null) the deadline of a conversation (store/deadlines.ts). */
  async setDeadline(id: string, at: number | null): Promise<void> {
    await this.deadlines.set(id, at);
  }

  /** Conversation ids whose deadline is due at `now`, earliest first. */
  async dueDeadlines(now: number, limit: number): Promise<string[]> {
    return this.deadlines.due(now, limit);
  }

  /**
   * Claims due deadlines for one sweep: no other sweeping process takes them before `leaseUntil`,
   * when those not fired by then fall due again (store/deadlines.ts `claim`).
   */
  async claimDueDeadlines(now: number, limit: number, leaseUntil: number): Promise<string[]> {
    return this.deadlines.claim(now, limit, leaseUntil);
  }
}

/** The consent record a conversation's document names, if any (store/consent-sms-entry.ts). */
function consentOf(conv: StepBefore): ConsentRecord | undefined {
  const { consentSmsId, consentTemplate } = conv;
  return consentSmsId !== undefined && consentTemplate
    ? consentRecord(consentSmsId, consentTemplate)
    : undefined;
}
