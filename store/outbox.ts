/**
 * A conversation's outbox (transactional outbox): the side effects a step commits with it
 * (store/lua/commit-2.lua), handed to BullMQ afterwards (gateway/core/outbox.ts) and removed once
 * handed over. A conversation with entries left is in the recovery index until its outbox is empty.
 */
import { hash } from 'node:crypto';
import type { OutcomeJob } from '../queues/outcomes.js';
import type { State } from '../services/schema.js';
import { checkedJson, OUTBOX_BATCH_ENTRIES, OUTBOX_ENTRY, OUTBOX_SET_ASIDE } from './checked.js';
import type { RedisClient } from './connection.js';
import { scriptError } from './conversation-format.js';
import type { Keys } from './keys.js';

/** An SMS committed with a step, handed to `sms-out` afterwards. */
export interface SmsEntry {
  readonly t: 'sms';
  readonly smsId: string;
  readonly to: string;
  readonly text: string;
  readonly templateId: string;
  readonly asksConsent: boolean;
  readonly campaign?: string;
  /** The stage's deadline starts when the SMSC accepts this SMS. */
  readonly startsDeadline?: boolean;
  /** The stage waiting for it, as the step committed the conversation (queues/jobs.ts `smsOutJob`). */
  readonly deadlineStage?: DeadlineStage;
  /** Held for the sending window until this instant (epoch ms). */
  readonly notBefore?: number;
  /** A notice the citizen did not ask for: its validity ends with the sending window. */
  readonly notice?: boolean;
  /** The conversation's first SMS: its acceptance is the `sent` outcome. */
  readonly invitation?: { readonly service: string; readonly externalId: string; readonly state: State };
}

/** The stage whose deadline an SMS's acceptance starts, and the conversation's version its step wrote. */
export interface DeadlineStage {
  readonly service: string;
  readonly stage: string;
  readonly version: number;
}

/** A side effect committed with a step and handed to BullMQ afterwards. */
export type OutboxEntry =
  | SmsEntry
  /** The conversation waits to be sent until `at` (null: it waits no more). */
  | { readonly t: 'wait'; readonly at: number | null }
  | { readonly t: 'assignment' }
  /** One outcome for the `outcomes` queue, committed with the transition that made it. */
  | { readonly t: 'outcome'; readonly job: OutcomeJob }
  | { readonly t: 'deadline'; readonly at: number | null }
  | { readonly t: 'index' }
  /** An SMS an earlier step committed that is never to be sent (its record marked so, if unclaimed). */
  | { readonly t: 'unsend'; readonly smsId: string };

/**
 * An outbox entry as stored (docs/storage.md): an SMS without its text, which the step's timeline
 * entry of the same `smsId` keeps, exactly as sent, in the same commit. The text goes to Redis once
 * more, in the `sms-out` job, instead of twice more; a recovery reads it from the timeline.
 */
export type StoredOutboxEntry = Exclude<OutboxEntry, SmsEntry> | Omit<SmsEntry, 'text'>;

/** How an outbox entry is stored (`StoredOutboxEntry`): the flush removes an entry by this exact string. */
export function outboxJson(entry: OutboxEntry): string {
  if (entry.t !== 'sms') return JSON.stringify(entry);
  const { text: _sent, ...stored } = entry;
  return JSON.stringify(stored);
}

/**
 * Why a conversation's outbox was set aside (`outboxDead`, docs/storage.md): its hand-over failed
 * every try of the recovery sweep for a reason other than Redis being away.
 */
export interface SetAside {
  readonly v: 1;
  /** Epoch ms of the first failure counted. */
  readonly since: number;
  /** Epoch ms it was set aside. */
  readonly at: number;
  readonly tries: number;
  /** The last failure's message. */
  readonly error: string;
  /** Where its entries waited: its own outbox, or a batch's step (moved to its own outbox). */
  readonly from: 'outbox' | 'batch';
}

/** A step of a batch's outbox as stored: its conversation, its field and its entries' JSON array. */
export interface BatchStep {
  readonly id: string;
  readonly field: string;
  readonly raw: string;
}

/** A failed hand-over is kept counted this long after the last (ms). */
const FAILING_TTL_MS = 86_400_000;

/** The longest error message kept with a failure. */
const ERROR_KEPT = 500;

/** How `ack` names an entry: the SHA-1 of its stored JSON. */
const digest = (raw: string): string =>
  // One-shot `hash`: no native Hash object for the next young-generation pause to finalize.
  hash('sha1', raw, 'hex');

/** A batch step's entries (its stored JSON array), checked. */
export function stepEntries(raw: string): StoredOutboxEntry[] {
  return checkedJson<StoredOutboxEntry[]>('outbox batch entry', OUTBOX_BATCH_ENTRIES, raw);
}

/**
 * A batch step's entries as a conversation's outbox stores them, one JSON each, as they were
 * written (checked or not: one that no longer parses is kept for the operator); a value that is
 * not a JSON array is kept whole, as one entry.
 */
function stepEntriesJson(raw: string): string[] {
  try {
    const value: unknown = JSON.parse(raw);
    if (Array.isArray(value)) return value.map((v) => JSON.stringify(v));
  } catch {
    // Not JSON at all: kept whole.
  }
  return [raw];
}

export class OutboxStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<
      Keys,
      | 'outbox'
      | 'outboxIndex'
      | 'outboxBatch'
      | 'outboxBatches'
      | 'conversation'
      | 'outboxFailing'
      | 'outboxDead'
    >,
  ) {}

  /**
   * Steps of a batch (store `commitMany`) handed over: their fields leave the batch's outbox and
   * the outcomes just handed to the `outcomes` queue are marked in each step's conversation
   * (`marks`: the bits of store/outcome-marks.ts, 0 none), in one call (store/lua/batch-done-n.lua).
   */
  async batchDone(
    batch: string,
    steps: ReadonlyArray<{ readonly id: string; readonly field: string; readonly marks: number }>,
  ): Promise<void> {
    if (steps.length === 0) return;
    const keys = [this.keys.outboxBatches(), this.keys.outboxBatch(batch)];
    const args: Array<string | number> = [batch];
    for (const { id, field, marks } of steps) {
      keys.push(this.keys.conversation(id));
      args.push(field, marks);
    }
    await this.redis.gwBatchDone(keys.length, ...keys, ...args).catch(scriptError);
  }

  /**
   * Batches written at least `ageMs` ago (Redis's clock) with entries left: a process stopped
   * between their commit and their hand-over. At most `limit`, oldest first.
   */
  async batchesDue(ageMs: number, limit: number): Promise<string[]> {
    return this.redis.gwBatchesDue(this.keys.outboxBatches(), ageMs, limit);
  }

  /** A batch's steps left to hand over: each step's conversation, field and entries, checked. */
  async batch(batch: string): Promise<Array<{ id: string; field: string; entries: StoredOutboxEntry[] }>> {
    return (await this.batchSteps(batch)).map(({ id, field, raw }) => ({
      id,
      field,
      entries: stepEntries(raw),
    }));
  }

  /** A batch's steps left to hand over, unchecked: each is checked on its own (`stepEntries`). */
  async batchSteps(batch: string): Promise<BatchStep[]> {
    const fields = await this.redis.hgetall(this.keys.outboxBatch(batch));
    return Object.entries(fields).map(([field, raw]) => ({
      id: field.slice(0, field.lastIndexOf(':')),
      field,
      raw,
    }));
  }

  /**
   * One more failed hand-over of `item` (a conversation id, or `<batch>/<field>`), counted in
   * Redis so every sweeping process sees the same: how many in a row, and since when.
   */
  async failed(item: string, now: number, error: string): Promise<{ tries: number; since: number }> {
    const key = this.keys.outboxFailing(item);
    const replies = await this.redis
      .multi()
      .hsetnx(key, 'v', 1)
      .hsetnx(key, 'since', now)
      .hincrby(key, 'tries', 1)
      .hset(key, 'error', error.slice(0, ERROR_KEPT))
      .pexpire(key, FAILING_TTL_MS)
      .hmget(key, 'since', 'tries')
      .exec();
    const last = replies?.at(-1);
    if (!last || last[0]) throw last?.[0] ?? new Error('the failure count was not read');
    const [since, tries] = last[1] as Array<string | null>;
    return { since: Number(since), tries: Number(tries) };
  }

  /** `item` handed over: its failures are forgotten. */
  async handedOver(item: string): Promise<void> {
    await this.redis.del(this.keys.outboxFailing(item));
  }

  /**
   * Sets a conversation's outbox aside: it leaves the recovery index (its entries stay in its
   * outbox) and `why` is kept in `outboxDead`. A batch's step (`step`, single Redis only: batches
   * are) moves to the conversation's own outbox first, in the same transaction.
   */
  async setAside(
    id: string,
    why: SetAside,
    step?: { batch: string; field: string; raw: string },
  ): Promise<void> {
    const tx = this.redis.multi();
    if (step) {
      const entries = stepEntriesJson(step.raw);
      if (entries.length > 0) tx.rpush(this.keys.outbox(id), ...entries);
      tx.hdel(this.keys.outboxBatch(step.batch), step.field);
    }
    tx.hset(this.keys.outboxDead(), id, JSON.stringify({ ...why, error: why.error.slice(0, ERROR_KEPT) }));
    tx.srem(this.keys.outboxIndex(), id);
    tx.del(this.keys.outboxFailing(step ? `${step.batch}/${step.field}` : id));
    const replies = await tx.exec();
    const failed = replies?.find(([err]) => err)?.[0];
    if (failed) throw failed;
    // The batch leaves the recovery's index once empty (batch-done-n.lua with no step).
    if (step)
      await this.redis.gwBatchDone(
        2,
        this.keys.outboxBatches(),
        this.keys.outboxBatch(step.batch),
        step.batch,
      );
  }

  /** The outboxes set aside: how many, and at most `limit` of them with why. */
  async setAsideList(limit = 500): Promise<{ total: number; items: Array<SetAside & { id: string }> }> {
    const key = this.keys.outboxDead();
    const [total, flat] = await Promise.all([
      this.redis.hlen(key),
      this.redis.hrandfield(key, limit, 'WITHVALUES') as Promise<string[]>,
    ]);
    const items: Array<SetAside & { id: string }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      items.push({
        id: flat[i] as string,
        ...checkedJson<SetAside>('outbox set aside', OUTBOX_SET_ASIDE, flat[i + 1] as string),
      });
    items.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    return { total, items };
  }

  /** Why a conversation's outbox was set aside; null if it was not. */
  async setAsideOf(id: string): Promise<SetAside | null> {
    const raw = await this.redis.hget(this.keys.outboxDead(), id);
    return raw === null ? null : checkedJson<SetAside>('outbox set aside', OUTBOX_SET_ASIDE, raw);
  }

  /** How many outboxes are set aside (`gateway_outbox_dead`). */
  async setAsideCount(): Promise<number> {
    return this.redis.hlen(this.keys.outboxDead());
  }

  /** A conversation's outbox set aside was handed over: it is no longer. */
  async revived(id: string): Promise<void> {
    await this.redis.hdel(this.keys.outboxDead(), id);
  }

  /** Puts a conversation in the recovery index before its entries are committed. */
  async index(id: string): Promise<void> {
    await this.redis.sadd(this.keys.outboxIndex(), id);
  }

  /** The outbox of a conversation: each entry checked, with its stored JSON (`ack` names it). */
  async list(id: string): Promise<Array<{ readonly raw: string; readonly entry: StoredOutboxEntry }>> {
    const raws = await this.redis.lrange(this.keys.outbox(id), 0, -1);
    return raws.map((raw) => ({
      raw,
      entry: checkedJson<StoredOutboxEntry>('outbox entry', OUTBOX_ENTRY, raw),
    }));
  }

  /**
   * Removes handled entries (named by the SHA-1 of their exact JSON: store/lua/ack-outbox-n.lua)
   * and, when none is left, the conversation from the recovery index: one call on a single Redis;
   * on Cluster, where the index lies in another slot, one more only when the outbox is empty.
   */
  async ack(id: string, raws: readonly string[]): Promise<void> {
    const digests = raws.map(digest);
    const outbox = this.keys.outbox(id);
    if (!this.redis.isCluster) {
      await this.redis.gwAckOutbox(2, outbox, this.keys.outboxIndex(), id, ...digests);
      return;
    }
    const left = await this.redis.gwAckOutbox(1, outbox, id, ...digests);
    if (left === 0) await this.redis.srem(this.keys.outboxIndex(), id);
  }

  /** Takes the conversation out of the recovery index if its outbox is empty. */
  async done(id: string): Promise<void> {
    const left = await this.redis.llen(this.keys.outbox(id));
    if (left === 0) await this.redis.srem(this.keys.outboxIndex(), id);
  }

  /** Conversations with entries left (a crash between a commit and its hand-over), at random. */
  async pending(limit = 500): Promise<string[]> {
    return this.redis.srandmember(this.keys.outboxIndex(), limit);
  }
}
