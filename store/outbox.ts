/**
 * A conversation's outbox (transactional outbox): the side effects a step commits with it
 * (store/lua/commit-2.lua), handed to BullMQ afterwards (gateway/core/outbox.ts) and removed once
 * handed over. A conversation with entries left is in the recovery index until its outbox is empty.
 */
import { hash } from 'node:crypto';
import type { OutcomeJob } from '../queues/outcomes.js';
import type { State } from '../services/schema.js';
import { checkedJson, OUTBOX_BATCH_ENTRIES, OUTBOX_ENTRY } from './checked.js';
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
  | { readonly t: 'index' };

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

/** How `ack` names an entry: the SHA-1 of its stored JSON. */
const digest = (raw: string): string =>
  // One-shot `hash`: no native Hash object for the next young-generation pause to finalize.
  hash('sha1', raw, 'hex');

export class OutboxStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Pick<
      Keys,
      'outbox' | 'outboxIndex' | 'outboxBatch' | 'outboxBatches' | 'conversation'
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
    const fields = await this.redis.hgetall(this.keys.outboxBatch(batch));
    return Object.entries(fields).map(([field, raw]) => ({
      id: field.slice(0, field.lastIndexOf(':')),
      field,
      entries: checkedJson<StoredOutboxEntry[]>('outbox batch entry', OUTBOX_BATCH_ENTRIES, raw),
    }));
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
