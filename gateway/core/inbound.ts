/**
 * From the carrier into Redis: the inbound handler. A reply or receipt is
 * acknowledged `stored` only after it is durably stored as a job in the `inbound`
 * queue; while Redis is unreachable the answer is `try-later` (the SMPP adapter
 * answers ESME_RX_T_APPN) and the SMSC retries (CONTRACT.md, "SMPP behaviour"). A
 * reply's identity is the sender, the bytes, and the handset's own references (its
 * message reference, the concatenation reference) where the carrier relays them;
 * the worker tells a retransmission of a reply it took (the same identity within
 * DUPLICATE_WINDOW_MS) from a citizen's second identical SMS (gateway/core/replies.ts,
 * docs/dialogues.md). A repeated receipt is deduplicated here. The replies stored in one
 * event-loop turn share one job (`replies.v1`), each acknowledged once that job is in Redis.
 */
import { hash as digest } from 'node:crypto';
import type { Queue } from 'bullmq';
import DataLoader from 'dataloader';
import {
  RECEIPT_JOB_NAME,
  REPLY_BATCH_JOB_NAME,
  REPLY_JOB_NAME,
  type ReceiptJob,
  type ReplyJob,
} from '../../queues/jobs.js';
import { decodeText } from '../../sms/encoding.js';
import type { ConversationStore } from '../../store/conversations.js';
import type { Logger } from '../log.js';
import { FairShare } from './fair-share.js';
import type { CoreMetrics } from './metrics.js';
import type {
  DeliveryReceipt,
  InboundAck,
  InboundEvent,
  InboundHandler,
  InboundReply,
  ReplyPart,
} from './ports.js';

/**
 * A carrier retransmits a deliver_sm whose resp it missed within minutes: identical ones received
 * less than this apart are one. A question without a service code waits this long (and a minute)
 * after the number's last reply (docs/dialogues.md), so a retransmission never lands on it.
 */
export const DUPLICATE_WINDOW_MS = 15 * 60_000;
/** Parts of a multipart reply wait this long for the rest (3GPP leaves it to the receiver). */
export const REASSEMBLY_TTL_SECONDS = 30 * 60;
/** If Redis does not answer within this time, answer `try-later` rather than keep the carrier waiting. */
const STORE_TIMEOUT_MS = 3000;

/**
 * Replies per `replies.v1` job: a turn of one bind brings at most its window of deliver_sm (100 by
 * default); beyond a few dozen a batch saves little more and a retried one re-reads more.
 */
export const REPLY_BATCH_MAX = 50;

export interface InboundDeps {
  /** The inbound queue on a fail-fast connection (no offline queue): a down Redis fails at once. */
  readonly inbound: Queue;
  readonly store: ConversationStore;
  readonly log: Logger;
  readonly now: () => number;
  readonly metrics?: CoreMetrics;
  /** Replies of a busy number queue behind everyone's (fair-share.ts); one per process by default. */
  readonly fairShare?: FairShare;
  /** Replies per batch job (default REPLY_BATCH_MAX). */
  readonly batchMax?: number;
}

/** Retries and retention of every `inbound` job (the sender's simulated receipts of test SMS too). */
export const JOB_OPTS = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/**
 * `crypto.hash`, one call with no Hash object: each `createHash` object is a native handle that V8
 * finalizes in the next young-generation pause, and at the target reply rate those finalizers are
 * most of each pause (docs/performance.md, "Reply latency and the young generation").
 */
function hash(...parts: Array<string | number>): string {
  return digest('sha256', parts.join('\u0000'), 'hex').slice(0, 32);
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What names a multipart reply's parts while they wait for each other (with the sender and total). */
export function reassemblyRef(concat: Pick<ReplyPart, 'scheme' | 'reference'>): string {
  return `${concat.scheme}:${concat.reference}`;
}

/**
 * The ordinary replies of one event-loop turn in one `inbound` job: a lone reply keeps a job of its
 * own (`reply.v1`). Each `add` resolves once the job holding its reply is in Redis.
 */
function replyBatches(inbound: Queue, batchMax: number): DataLoader<ReplyJob, true> {
  return new DataLoader<ReplyJob, true>(
    async (replies) => {
      const [first] = replies;
      if (replies.length === 1 && first) await inbound.add(REPLY_JOB_NAME, first, JOB_OPTS);
      else await inbound.add(REPLY_BATCH_JOB_NAME, { replies }, JOB_OPTS);
      return replies.map(() => true as const);
    },
    {
      cache: false,
      maxBatchSize: batchMax,
      // After the I/O callbacks of this turn: the deliver_sm read from the socket together.
      batchScheduleFn: (callback) => setImmediate(callback),
    },
  );
}

export function createInboundHandler(deps: InboundDeps): InboundHandler {
  const fairShare = deps.fairShare ?? new FairShare();
  const batches = replyBatches(deps.inbound, deps.batchMax ?? REPLY_BATCH_MAX);
  async function storeReceipt(event: DeliveryReceipt): Promise<void> {
    const data: ReceiptJob = {
      smscMessageId: event.messageId,
      ...(event.carrier !== undefined ? { carrier: event.carrier } : {}),
      status: event.stat ?? 'UNKNOWN',
      ...(event.err !== undefined ? { errorCode: event.err } : {}),
      receivedAt: deps.now(),
    };
    await deps.inbound.add(RECEIPT_JOB_NAME, data, {
      ...JOB_OPTS,
      // Per carrier: SMSC message ids are unique per SMSC only (two carriers' counters meet).
      deduplication: {
        id: `dlr.${hash(event.carrier ?? '', event.messageId, data.status)}`,
        ttl: DUPLICATE_WINDOW_MS,
      },
    });
  }

  async function storeReply(event: InboundReply): Promise<void> {
    let bytesHex = event.payload.toString('hex');
    let text: string;
    // A multipart SMS's concatenation reference is the handset's too: a new SMS, a new one.
    const concatRef = event.concat ? reassemblyRef(event.concat) : '';
    if (event.concat === undefined) text = event.text;
    else {
      const { part, total } = event.concat;
      if (part < 1 || part > total) throw new Error(`part ${part} of ${total} is out of range`);
      const parts = await deps.store.replies.reassemble(
        event.from,
        concatRef,
        part,
        total,
        bytesHex,
        REASSEMBLY_TTL_SECONDS,
      );
      if (!parts) {
        deps.metrics?.replyParts.inc({ outcome: 'stored' });
        return;
      }
      deps.metrics?.replyParts.inc({ outcome: 'stored' });
      deps.metrics?.replyParts.inc({ outcome: 'completed' });
      bytesHex = parts.join('');
      // Decoded once joined: a UCS2 surrogate pair split between parts stays whole.
      text = decodeText(event.encoding, Buffer.from(bytesHex, 'hex'));
    }
    // The handset's message reference, when the SMSC relays it, makes a citizen's second identical
    // answer a new SMS at once; without it, the time it arrived tells (replies.ts).
    const id = hash(event.from, event.to, event.encoding, bytesHex, event.messageReference ?? '', concatRef);
    const data: ReplyJob = {
      from: event.from,
      to: event.to,
      text,
      receivedAt: deps.now(),
      smscMessageId: `mo-${id}`,
      ...(event.carrier !== undefined ? { carrier: event.carrier } : {}),
    };
    const priority = fairShare.priority(event.from, data.receivedAt);
    // Every copy is stored: which copy counts is decided on the gateway's clock, with the number's
    // turn (store/lua/reply-seen-2.lua), not by a key's expiry in Redis.
    // A busy number's surplus keeps a job of its own, with its priority.
    if (priority !== undefined) await deps.inbound.add(REPLY_JOB_NAME, data, { ...JOB_OPTS, priority });
    else await batches.load(data);
  }

  return async (event: InboundEvent): Promise<InboundAck> => {
    try {
      await withTimeout(event.kind === 'receipt' ? storeReceipt(event) : storeReply(event), STORE_TIMEOUT_MS);
      deps.metrics?.stored.inc({ kind: event.kind });
      return 'stored';
    } catch (err) {
      deps.metrics?.temporaryErrors.inc({ kind: event.kind });
      deps.log.warn(
        { err: (err as Error).message, kind: event.kind },
        'could not store an inbound event; answering try-later so the carrier sends it again',
      );
      return 'try-later';
    }
  };
}
