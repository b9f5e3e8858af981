/**
 * What the store writes once the SMSC accepted SMS (the sender's writes of one event-loop turn,
 * gateway/core/sent-writes.ts): each one's sent entry in its timeline, its record deleted (the
 * compact entry marks it sent: store/lua/claim-n.lua) or, where there is no such entry to find,
 * marked sent, its parts' receipt links, its campaign's `sent` count and its entry among the SMS
 * awaiting a final receipt (store/lua/sent-n.lua); and, for a delivery receipt, the SMS and part
 * its id names in its conversation's sent entries.
 */
import { AwaitedReceipts, awaitedHour, awaitedMember, type AwaitedSms } from './awaited-receipts.js';
import type { CampaignStore } from './campaigns.js';
import type { RedisClient } from './connection.js';
import { splitConversation } from './conversation-format.js';
import type { DeadlineIndex } from './deadlines.js';
import type { Keys } from './keys.js';
import type { LinkPlan, ReceiptIndex } from './receipts.js';
import { sentRecord, type SmsRecords } from './sms-record.js';
import { decodeSentEntry, SENT_ENTRY_TAG } from './sent-entry.js';
import { splitEntries, type TimelineCodec } from './timeline-codec.js';
import type { TimelineEntry } from './timeline-entry.js';

/** One sent SMS: its ids, what its record keeps, and its sent timeline entry. */
export interface SentSms {
  readonly conversationId: string;
  readonly smsId: string;
  readonly templateId: string;
  readonly campaign?: string;
  readonly entry: TimelineEntry;
}

/** An invitation that counts in its campaign's `sent` (store/campaigns.ts). */
export interface CountedSms {
  readonly campaign: string;
  readonly conversationId: string;
  readonly smsId: string;
}

/**
 * What the SMS of one turn add to the progress the gateway keeps, written with their records so
 * that a process stopped in between loses none of it: on a single Redis in the same script call;
 * on Cluster right after it, each write idempotent, and written again by a job that finds its SMS
 * sent (`progressAgain`).
 */
export interface SentProgress {
  /** When the SMSC accepted them (epoch ms). */
  readonly at: number;
  /** Invitations that count in their campaign's `sent` counter. */
  readonly counted: readonly CountedSms[];
  /** SMS that now await their final receipt (store/awaited-receipts.ts). */
  readonly awaited: readonly AwaitedSms[];
  /** How long each hour's list of awaited SMS is kept (seconds). */
  readonly awaitedTtlSeconds: number;
}

/**
 * A deadline an acceptance starts (the engine's `sent` step decided from the conversation at
 * `version`): indexed with the SMS's record while the conversation is still at that version.
 */
export interface StartedDeadline {
  /** Which of the SMS recorded (its index among them). */
  readonly sms: number;
  readonly version: number;
  /** Epoch ms. */
  readonly at: number;
}

/** What recording SMS sent found, per SMS and per deadline given. */
export interface SentResult {
  /** The outcomes' bits each SMS's conversation had handed over (its head's); null: none. */
  readonly marked: ReadonlyArray<number | null>;
  /** Whether each deadline went to the index (not where its conversation moved on, nor on Cluster). */
  readonly indexed: readonly boolean[];
}

/** The part of a sent SMS a receipt names (its receipt link names only the conversation). */
export interface SentPart {
  readonly smsId: string;
  /** 0-based. */
  readonly part: number;
  readonly parts: number;
  readonly asksConsent: boolean;
}

export class SentRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly parts: {
      readonly receipts: ReceiptIndex;
      readonly sms: SmsRecords;
      readonly campaigns: CampaignStore;
      readonly deadlines: DeadlineIndex;
    },
    private readonly timeline: TimelineCodec,
  ) {}

  /**
   * Records `items` sent, each record kept `ttlSeconds` where it is kept, with `links` and
   * `progress`. One script call on a single Redis, where keys of many conversations, campaigns and
   * hours may share one. On Cluster, where they lie in many slots, one call per SMS (its two keys
   * share the conversation's slot), the links by themselves before, the progress after
   * (`progressAgain`). `deadlines`: those the acceptances start, indexed in the same call on a
   * single Redis; on Cluster the index lies in another slot, and none is.
   */
  async record(
    items: readonly SentSms[],
    ttlSeconds: number,
    links: LinkPlan,
    progress?: SentProgress,
    deadlines: readonly StartedDeadline[] = [],
  ): Promise<SentResult> {
    if (this.redis.isCluster) {
      // Each invitation's count owed first, in its conversation's slot: from its sent write on, a job
      // that finds the SMS sent counts it only while it is owed (`countOwed`).
      const hour = awaitedHour(progress?.at ?? 0);
      await Promise.all([
        this.parts.receipts.write(links),
        ...(progress?.counted ?? []).map((c) =>
          this.redis.set(
            this.keys.campaignSentOwed(c.conversationId, c.smsId),
            String(hour),
            'EX',
            OWED_TTL_SECONDS,
          ),
        ),
      ]);
      const each = await Promise.all(
        items.map((i) => this.send([i], ttlSeconds, { slots: [], ttl: links.ttl }, undefined, [])),
      );
      if (progress) await this.progressOnCluster(progress, hour);
      return { marked: each.map((r) => r[0] ?? null), indexed: deadlines.map(() => false) };
    }
    const results = await this.send(items, ttlSeconds, links, progress, deadlines);
    return {
      marked: items.map((_, i) => results[i] ?? null),
      indexed: deadlines.map((_, j) => results[items.length + j] === 1),
    };
  }

  /**
   * On Cluster, the progress of SMS recorded sent, written after their records and again by a job
   * that finds one sent (a process may have stopped in between): each invitation counted once
   * (`countOwed`), each SMS listed among those awaiting a receipt (a second entry is skipped by the
   * sweep: store/awaited-receipts.ts). On a single Redis nothing: `record` wrote it with the records.
   */
  async progressAgain(progress: SentProgress): Promise<void> {
    if (!this.redis.isCluster) return;
    await this.progressOnCluster(progress, null);
  }

  private async progressOnCluster(
    { at, counted, awaited, awaitedTtlSeconds }: SentProgress,
    hour: number | null,
  ): Promise<void> {
    await Promise.all([
      new AwaitedReceipts(this.redis, this.keys, awaitedTtlSeconds).add(awaited, at),
      ...counted.map((c) => this.countOwed(c, hour, at)),
    ]);
  }

  /**
   * An invitation's `sent` count on Cluster, where it lies in another slot than the SMS's record:
   * owed from just before the sent write (`record`, the epoch hour it was written in) until counted.
   * The count is kept in that hour's set of the campaign (store/lua/campaign-sent-2.lua), so a
   * process stopped between the count and forgetting it owed, or two jobs at once, count it once;
   * once it is no longer owed, a job that finds the SMS sent counts nothing, however late, even with
   * the conversation ended and gone from the campaign's members. `hour`: the caller wrote it owed
   * (null: read it).
   */
  private async countOwed(c: CountedSms, hour: number | null, at: number): Promise<void> {
    const owed = this.keys.campaignSentOwed(c.conversationId, c.smsId);
    const first = hour ?? (await this.redis.get(owed).then((v) => (v === null ? null : Number(v))));
    if (first === null) return;
    await this.parts.campaigns.countSent(
      c.campaign,
      { id: c.conversationId, smsId: c.smsId, hour: first, ttlSeconds: countedFor(first, at) },
      at,
    );
    await this.redis.del(owed);
  }

  /**
   * The SMS and part of `conversationId` whose SMSC id is `id` (lower-case, as the receipt index
   * stores it): from its sent entry, which lists every part's id in order, the latest such entry
   * first. The compact sent entries are read without unpacking; the packed documents only when none
   * holds it.
   * Undefined when the conversation is gone; null when no sent entry holds the id (yet: on
   * Cluster the links are written before the entries).
   */
  async sentPart(conversationId: string, id: string): Promise<SentPart | null | undefined> {
    const value = await this.redis.getBuffer(this.keys.conversation(conversationId));
    if (!value) return undefined;
    const entries = splitEntries(splitConversation(value).entries).reverse();
    for (const compact of [true, false]) {
      for (const raw of entries) {
        if ((raw[0] === SENT_ENTRY_TAG) !== compact) continue;
        const decoded = compact ? [decodeSentEntry(raw)] : (await this.timeline.decodePacked(raw)).reverse();
        for (const entry of decoded) {
          if (entry?.kind !== 'sms-status' || entry.status !== 'sent' || !entry.messageIds) continue;
          const part = entry.messageIds.findIndex((m) => m.trim().toLowerCase() === id);
          if (part < 0) continue;
          const { smsId, messageIds, asksConsent } = entry;
          return { smsId, part, parts: messageIds.length, asksConsent: asksConsent === true };
        }
      }
    }
    return null;
  }

  /**
   * store/lua/sent-n.lua: the keys of each SMS, of each link, then of the progress; the values in
   * one argument.
   */
  private async send(
    items: readonly SentSms[],
    ttlSeconds: number,
    links: LinkPlan,
    progress: SentProgress | undefined,
    deadlines: readonly StartedDeadline[],
  ): Promise<Array<number | null>> {
    const keys: string[] = [];
    for (const i of items) keys.push(this.keys.conversation(i.conversationId), this.parts.sms.key(i));
    for (const [key] of links.slots) keys.push(key);
    const awaited = progress?.awaited ?? [];
    const hour = progress ? awaitedHour(progress.at) : 0;
    if (awaited.length > 0) keys.push(this.keys.awaitingReceipt(hour), this.keys.awaitingHours());
    const buckets = deadlines.map((d) =>
      this.parts.deadlines.bucketOf((items[d.sms] as SentSms).conversationId),
    );
    if (deadlines.length > 0) keys.push(this.keys.deadlineBuckets(), ...buckets.map((b) => b.key));
    const campaigns = new Map<string, number>();
    for (const { campaign } of progress?.counted ?? [])
      campaigns.set(campaign, (campaigns.get(campaign) ?? 0) + 1);
    if (campaigns.size > 0)
      keys.push(this.keys.campaigns(), ...[...campaigns.keys()].map((id) => this.keys.campaign(id)));
    const values: Array<Buffer | string> = [];
    const add = (value: Buffer | string) => values.push(value);
    // The parts of one SMS share their link's value (`ReceiptIndex.plan`): sent once, with their count.
    for (let j = 0; j < links.slots.length;) {
      const value = (links.slots[j] as LinkPlan['slots'][number])[2];
      let end = j + 1;
      while (end < links.slots.length && links.slots[end]?.[2] === value) end++;
      add(value);
      add(String(end - j));
      for (; j < end; j++) add((links.slots[j] as LinkPlan['slots'][number])[1]);
    }
    for (const i of items) {
      add(sentRecord(i.templateId, i.campaign));
      add(this.timeline.encode(i.entry));
    }
    for (const sms of awaited) add(awaitedMember(sms));
    deadlines.forEach((d, j) => {
      for (const value of [d.sms + 1, d.version, d.at, buckets[j]?.bucket ?? 0]) add(String(value));
      add((items[d.sms] as SentSms).conversationId);
    });
    const results = await this.redis.gwSent(
      keys.length,
      ...keys,
      items.length,
      ttlSeconds,
      links.ttl,
      lengthPrefixed(values),
      links.slots.length,
      awaited.length,
      hour,
      progress?.awaitedTtlSeconds ?? 0,
      progress?.at ?? 0,
      deadlines.length,
      ...[...campaigns].flat(),
    );
    return results.map((r) => (r < 0 ? null : r));
  }
}

/**
 * How long an invitation's count stays owed at most (`countOwed`): a job retried later than that
 * after its process stopped between the SMS's sent write and its count leaves it uncounted.
 */
const OWED_TTL_SECONDS = 2 * 86_400;

/**
 * How long from `at` (epoch ms, the gateway's clock) the set of an hour's counted invitations is
 * kept: until a day after the last of them can be owed. Relative, so that Redis's clock need not agree.
 */
function countedFor(hour: number, at: number): number {
  return Math.max(60, Math.ceil(((hour + 1) * 3600_000 - at) / 1000) + OWED_TTL_SECONDS + 86_400);
}

/** The values each after its length (4 bytes, big-endian), UTF-8 for text, in one Buffer. */
function lengthPrefixed(values: ReadonlyArray<Buffer | string>): Buffer {
  let length = 0;
  for (const v of values) length += 4 + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const v of values) {
    const n = typeof v === 'string' ? out.write(v, at + 4) : v.copy(out, at + 4);
    out.writeUInt32BE(n, at);
    at += 4 + n;
  }
  return out;
}
