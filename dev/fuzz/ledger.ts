/**
 * What the gateway stored for the fuzzer's accepted PDUs, read from Redis itself, not from the
 * gateway's logs or metrics: each accepted reply is in a job of the `inbound` queue, alone or in a
 * batch (its data keeps the destination address the fuzzer tagged it with), one per copy the SMSC sent, every copy decided
 * (`completed`) and the reply taken once (the other copies decided `retransmission`); a part of a reply that never completed waits in its reassembly hash; each accepted
 * receipt with a message id is a receipt job. Completed jobs are read as they finish (BullMQ keeps
 * only the newest 10,000 of them), the rest once at the end.
 */
import type { Redis } from 'ioredis';
import { RECEIPT_JOB_NAME, REPLY_BATCH_JOB_NAME, REPLY_JOB_NAME, repliesOfJob } from '../../queues/jobs.js';
import { QUEUES } from '../../queues/names.js';
import { reassemblyRef } from '../../gateway/core/inbound.js';
import { createKeys } from '../../store/keys.js';
import type { AcceptedPart, SmppTally } from './smsc.js';

/** The worker's decision on a copy of a reply it already took (gateway/core/replies.ts). */
const RETRANSMISSION = 'retransmission';

interface JobSeen {
  readonly state: string;
  readonly result?: string;
}

export interface LedgerCounts {
  /** Distinct replies the gateway accepted (status 0), whole or by their parts. */
  readonly repliesAccepted: number;
  /** …of which a job holds them (stored), every copy decided (jobs completed), or none. */
  readonly repliesStored: number;
  readonly repliesDecided: number;
  /** Replies taken by the worker more than once (copies not told as retransmissions): must be 0. */
  readonly repliesTakenTwice: number;
  /** Jobs beyond the first of a reply: the SMSC's copies, each stored, decided `retransmission`. */
  readonly replyCopies: number;
  readonly repliesLost: number;
  /** Reply jobs that failed for good (attempts exhausted). */
  readonly repliesFailed: number;
  /** Parts of replies that never completed, kept for the rest, and those not found. */
  readonly partsWaiting: number;
  readonly partsLost: number;
  readonly receiptsAccepted: number;
  readonly receiptsStored: number;
  readonly receiptsLost: number;
  /** Decisions on the replies, by result (`applied`, `no-open-request`, `ignored-sender`, …). */
  readonly results: ReadonlyMap<string, number>;
  /** The first few tags lost, for a look at them. */
  readonly lostExamples: readonly string[];
}

export class InboundLedger {
  private readonly replies = new Map<string, Map<string, JobSeen>>();
  private readonly receipts = new Map<string, Set<string>>();
  private readonly seen = new Set<string>();
  private since = 0;
  private readonly base: string;

  constructor(
    private readonly redis: Redis,
    queuePrefix: string,
    private readonly keyPrefix: string,
  ) {
    this.base = `${queuePrefix}:${QUEUES.inbound}`;
  }

  /** Reads the jobs completed since the last look. */
  async poll(): Promise<void> {
    const entries = await this.redis.zrangebyscore(
      `${this.base}:completed`,
      Math.max(0, this.since - 5_000),
      '+inf',
      'WITHSCORES',
    );
    const ids: string[] = [];
    for (let i = 0; i < entries.length; i += 2) {
      const id = entries[i] as string;
      this.since = Math.max(this.since, Number(entries[i + 1]));
      if (!this.seen.has(id)) ids.push(id);
    }
    await this.read(ids);
  }

  /**
   * Reads every job the queue holds now, by id (BullMQ numbers them from 1): a job that moves
   * between states while the states are read one after the other cannot be missed this way.
   */
  async sweep(): Promise<void> {
    await this.poll();
    const last = Number((await this.redis.get(`${this.base}:id`)) ?? 0);
    const ids: string[] = [];
    for (let id = 1; id <= last; id++) if (!this.seen.has(String(id))) ids.push(String(id));
    await this.read(ids);
  }

  private async read(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const pipeline = this.redis.pipeline();
      for (const id of chunk)
        pipeline.hmget(`${this.base}:${id}`, 'name', 'data', 'returnvalue', 'finishedOn', 'failedReason');
      const rows = (await pipeline.exec()) ?? [];
      chunk.forEach((id, j) => {
        const [err, value] = rows[j] ?? [];
        if (err || !Array.isArray(value)) return;
        const [name, data, returnvalue, finishedOn, failedReason] = value as Array<string | null>;
        if (data === null || data === undefined) return;
        const state = finishedOn ? (failedReason ? 'failed' : 'completed') : 'pending';
        if (state === 'completed') this.seen.add(id);
        const job = JSON.parse(data) as { to?: string; smscMessageId?: string };
        if (name === REPLY_JOB_NAME || name === REPLY_BATCH_JOB_NAME) {
          // A batch's reply i is the copy `id.i`, its decision the i-th of the job's results.
          const results = returnvalue ? (JSON.parse(returnvalue) as unknown) : undefined;
          repliesOfJob({ name, data: job }).forEach((reply, i) => {
            const copy = name === REPLY_JOB_NAME ? id : `${id}.${i}`;
            const one = String(Array.isArray(results) ? (results[i] as unknown) : results);
            const jobs = this.replies.get(reply.to) ?? new Map<string, JobSeen>();
            jobs.set(copy, { state, ...(results !== undefined ? { result: one } : {}) });
            this.replies.set(reply.to, jobs);
          });
        } else if (name === RECEIPT_JOB_NAME && job.smscMessageId !== undefined) {
          const jobs = this.receipts.get(job.smscMessageId) ?? new Set<string>();
          jobs.add(id);
          this.receipts.set(job.smscMessageId, jobs);
        }
      });
    }
  }

  /** Replies accepted with a copy not yet decided (for the wait at the end). */
  undecided(tally: SmppTally): number {
    let n = 0;
    for (const tag of this.acceptedTags(tally)) {
      const jobs = this.replies.get(tag);
      if (!jobs || [...jobs.values()].some((j) => j.state !== 'completed')) n++;
    }
    return n;
  }

  /** Tags of whole replies accepted, and of multipart replies whose parts were all accepted (or stored). */
  private acceptedTags(tally: SmppTally): Set<string> {
    const tags = new Set(tally.acceptedReplies.keys());
    const parts = new Map<string, Set<number>>();
    for (const p of tally.acceptedParts) {
      const seqs = parts.get(p.tag) ?? new Set<number>();
      seqs.add(p.seq);
      parts.set(p.tag, seqs);
      if (seqs.size === p.total || this.replies.has(p.tag)) tags.add(p.tag);
    }
    return tags;
  }

  async counts(tally: SmppTally): Promise<LedgerCounts> {
    const tags = this.acceptedTags(tally);
    let stored = 0;
    let decided = 0;
    let twice = 0;
    let failed = 0;
    let copies = 0;
    const lost: string[] = [];
    const results = new Map<string, number>();
    for (const tag of tags) {
      const jobs = [...(this.replies.get(tag)?.values() ?? [])];
      if (jobs.length === 0) {
        lost.push(`${tag} ${tally.acceptedReplies.get(tag)?.toString('hex') ?? '(parts)'}`);
        continue;
      }
      stored++;
      copies += jobs.length - 1;
      if (jobs.some((j) => j.state === 'failed')) failed++;
      if (jobs.some((j) => j.state !== 'completed')) continue;
      decided++;
      // Each copy the SMSC sent is stored; the worker takes one and finds the others retransmissions.
      const taken = jobs.filter((j) => j.result !== RETRANSMISSION);
      // A sender that is not a number is recorded nowhere, copies included: nothing to take twice.
      if (taken.length > 1 && taken.some((j) => j.result !== 'ignored-sender')) twice++;
      const result = taken[0]?.result ?? '(every copy a retransmission)';
      results.set(result, (results.get(result) ?? 0) + 1);
    }
    // Parts of replies that never completed: each must wait in its reassembly hash.
    const keys = createKeys(this.keyPrefix);
    const waiting = tally.acceptedParts.filter((p) => !tags.has(p.tag));
    let partsLost = 0;
    for (let i = 0; i < waiting.length; i += 500) {
      const chunk = waiting.slice(i, i + 500);
      const pipeline = this.redis.pipeline();
      for (const p of chunk)
        pipeline.hexists(keys.replyParts(p.from, `${reassemblyRef(p.concat)}:${p.total}`), String(p.seq));
      const rows = (await pipeline.exec()) ?? [];
      chunk.forEach((p: AcceptedPart, j) => {
        if (rows[j]?.[1] !== 1) {
          partsLost++;
          if (lost.length < 10) lost.push(`${p.tag} part ${p.seq}/${p.total}`);
        }
      });
    }
    const receiptsLost = [...tally.acceptedReceipts.keys()].filter((id) => !this.receipts.has(id));
    return {
      repliesAccepted: tags.size,
      repliesStored: stored,
      repliesDecided: decided,
      repliesTakenTwice: twice,
      replyCopies: copies,
      repliesLost: tags.size - stored,
      repliesFailed: failed,
      partsWaiting: waiting.length - partsLost,
      partsLost,
      receiptsAccepted: tally.acceptedReceipts.size,
      receiptsStored: tally.acceptedReceipts.size - receiptsLost.length,
      receiptsLost: receiptsLost.length,
      results,
      lostExamples: [
        ...lost.slice(0, 10),
        ...receiptsLost.slice(0, 5).map((id) => `${id} ${tally.acceptedReceipts.get(id)?.toString('hex')}`),
      ],
    };
  }
}
