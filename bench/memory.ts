/**
 * Benchmark, memory: Redis bytes per open conversation — `used_memory` growth over N invitations
 * (sent to the sink, so receipt links exist as in production) and
 * `MEMORY USAGE` of each key family over a sample — and the gateway's RSS under that load.
 * A downstream consumer (a BullMQ worker on `outcomes`, as docs/integration.md describes) takes
 * the outcome jobs, so a conversation is measured at rest once its outcomes are consumed; the
 * bytes of an outcome job still waiting for the consumer are printed apart.
 *
 *   npx tsx bench/memory.ts [--conversations=20000] [--sample=200] [--id-width=0]   (the target's measure: --conversations=100000)
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { InboundProcessor } from '../gateway/core/replies.js';
import type { GatewayHandle } from '../gateway/gateway.js';
import { QUEUES } from '../queues/names.js';
import { OUTCOME_KEEP_SECONDS } from '../queues/outcomes.js';
import { EXTERNAL_ID_BUCKETS } from '../store/external-ids.js';
import { createKeys } from '../store/keys.js';
import { MSISDN_BUCKETS } from '../store/msisdn-index.js';
import { ofKind } from '../store/timeline-entry.js';
import { fnv1a } from '../store/receipts.js';
import {
  bounded,
  fmt,
  homeSchoolingParams,
  msisdn,
  option,
  smsParts,
  startBenchGateway,
  startRedisServer,
  startSink,
  summary,
} from './support/harness.js';

const CONVERSATIONS = option('conversations', 20_000);
const SAMPLE = Math.min(option('sample', 200), CONVERSATIONS);
/**
 * SMSC message ids this many characters long (hex, zero-padded); 0: the sink's counter as it is
 * (≤ 5 characters here). Carriers' ids are often 8–16 characters, and every part's id is in a
 * receipt link and in the conversation's sent entry.
 */
const ID_WIDTH = option('id-width', 0);
/**
 * `--detail=1`: at each phase, the keyspace's own tables (`DEBUG HTSTATS`: their sizes, and
 * whether one is mid-rehash, when both tables count) and the sampled conversation strings'
 * lengths against their `MEMORY USAGE`, to tell a string's size class from the tables' share.
 */
const DETAIL = option('detail', 0) > 0;
const PREFIX = 'memory';
/** Production's prefixes (gateway/core/runtime.ts defaults): this Redis is the bench's own. */
const KEY_PREFIX = 'gw';
const QUEUE_PREFIX = 'bull';
/** The carrier of a gateway configured by SMPP_HOST alone (gateway/config.ts). */
const CARRIER = 'default';
/**
 * The gateway's clock: Tuesday 24 November 2026, 10:00 in Almaty, moving with real time. Inside
 * the default sending window (SEND_WINDOW 09:00–21:00 on working days) every invitation goes out
 * at once; outside it they would wait for the opening and the figure would be that of
 * conversations without their SMS.
 */
const CLOCK_START = Date.UTC(2026, 10, 24, 5, 0);
const started = Date.now();
const now = (): number => CLOCK_START + (Date.now() - started);

const invite = (gateway: GatewayHandle, i: number) =>
  gateway.core.conversations.invite({
    service: 'home-schooling',
    externalId: `mem-${i}`,
    msisdn: msisdn(i),
    language: 'kk',
    params: homeSchoolingParams(),
  });

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function usage(redis: Redis, key: string): Promise<number> {
  return Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
}

/** All keys matching `match` (the buckets of an index) over the conversations: they are shared. */
async function share(redis: Redis, match: string): Promise<number> {
  let total = 0;
  const stream = redis.scanStream({ match, count: 1000 });
  for await (const batch of stream as AsyncIterable<string[]>)
    for (const key of batch) total += await usage(redis, key);
  return total / CONVERSATIONS;
}

let receiptShare = 0;
let deadlineShare = 0;

/** Every conversation's id, in key order (`<prefix>:{c:<id>}`, keys.conversation). */
async function conversationIds(redis: Redis): Promise<string[]> {
  const ids: string[] = [];
  const stream = redis.scanStream({ match: `${KEY_PREFIX}:{c:*}`, count: 1000 });
  for await (const batch of stream as AsyncIterable<string[]>)
    for (const key of batch) ids.push(key.slice(KEY_PREFIX.length + 4, -1));
  return ids.sort();
}

/** The receipt index's buckets (store/receipts.ts) with their fields, to put back after a measurement. */
async function saveReceiptLinks(redis: Redis, prefix: string): Promise<Array<[string, Buffer[]]>> {
  const saved: Array<[string, Buffer[]]> = [];
  const stream = redis.scanStream({ match: `${prefix}:{r:*`, count: 1000 });
  // Fields and values as bytes: both may be binary (store/receipts.ts `linkField`, `linkValue`);
  // `hgetallBuffer` would turn the fields into strings.
  for await (const batch of stream as AsyncIterable<string[]>)
    for (const key of batch) saved.push([key, (await redis.callBuffer('HGETALL', key)) as Buffer[]]);
  return saved;
}

/**
 * Every part's delivery receipt (DELIVRD), through the receipt worker's own code
 * (gateway/core/replies.ts `InboundProcessor.receipt`: the receipt index, then the timeline
 * append), as the sink sends none. The parts' ids are those of the SMS's `sent` entry.
 */
async function deliverAll(gateway: GatewayHandle, redis: Redis): Promise<number> {
  const inbound = new InboundProcessor(gateway.core, pino({ level: 'silent' }));
  const ids = await conversationIds(redis);
  let receipts = 0;
  await bounded(ids.length, 64, async (i) => {
    const timeline = await gateway.core.store.timeline(ids[i] as string);
    const sent = timeline.flatMap((e) => (e.kind === 'sms-status' && e.status === 'sent' ? [e] : []));
    for (const messageId of sent.flatMap((e) => e.messageIds ?? [])) {
      // `err:000`, as carriers (and the simulator) write a DELIVRD receipt (SMPP 3.4 Appendix B).
      const job = { smscMessageId: messageId, carrier: CARRIER, status: 'DELIVRD', errorCode: '000' };
      if ((await inbound.receipt({ ...job, receivedAt: now() })) !== 'delivered')
        throw new Error(`receipt of ${messageId} not delivered`);
      receipts++;
    }
  });
  return receipts;
}

/** BullMQ's own keys of a queue (lists, sets, markers); any other key of it is a job's. */
const QUEUE_KEYS =
  /^(wait|active|completed|failed|delayed|paused|prioritized|events|meta|id|marker|stalled|stalled-check|pc|de|limiter|repeat)$/;

/** A key's family: its name with ids left out (`gw:{c:…}`, `bull:outcomes:<job>`). */
function familyOf(key: string): string {
  if (key.startsWith(`${QUEUE_PREFIX}:`)) {
    const [, queue = '', name = ''] = key.split(':');
    return `${QUEUE_PREFIX}:${queue}:${QUEUE_KEYS.test(name) && key.split(':').length === 3 ? name : '<job>'}`;
  }
  return key.replace(/\{([a-z-]+):[^}]*\}/, '{$1:…}').replace(/:[0-9a-z.]+$/, ':…');
}

/** `MEMORY USAGE` of the whole keyspace by family, per conversation, largest first. */
async function byFamily(redis: Redis): Promise<Array<[string, number]>> {
  const totals = new Map<string, number>();
  const stream = redis.scanStream({ count: 1000 });
  for await (const batch of stream as AsyncIterable<string[]>)
    for (const key of batch)
      totals.set(familyOf(key), (totals.get(familyOf(key)) ?? 0) + (await usage(redis, key)));
  return [...totals].map(([k, v]): [string, number] => [k, v / CONVERSATIONS]).sort((a, b) => b[1] - a[1]);
}

/** A bucket hash (externalId claims, MSISDNs), per field it holds. */
async function fieldShare(redis: Redis, bucket: string): Promise<number> {
  return (await usage(redis, bucket)) / Math.max(1, await redis.hlen(bucket));
}

/**
 * Deletes what expires on its own while the conversation stays open (receipt buckets after 4
 * days, sent-SMS records after 7, the sets of SMS awaiting their receipt once the receipt
 * timeout's sweep has read them, after 3): what is left is the steady state of an open
 * conversation.
 */
async function expireSendRecords(redis: Redis, prefix: string): Promise<void> {
  for (const match of [`${prefix}:{r:*`, `${prefix}:{c:*}:sms:*`, `${prefix}:{aw*`]) {
    const stream = redis.scanStream({ match, count: 1000 });
    for await (const batch of stream as AsyncIterable<string[]>) if (batch.length) await redis.del(...batch);
  }
}

/**
 * The figures `--detail` prints at a phase (see DETAIL): over every conversation string, not a
 * sample (the sink's ids, and so the sent entries, grow with the run).
 */
async function detail(redis: Redis, phase: string): Promise<void> {
  if (!DETAIL) return;
  const stats = String(await redis.call('DEBUG', 'HTSTATS', '0'));
  const tables = [...stats.matchAll(/table size: (\d+)\D+number of elements: (\d+)/g)].map(
    (m) => `${m[1]}/${m[2]}`,
  );
  const keyspace = /db0:(\S+)/.exec(await redis.info('keyspace'))?.[1] ?? '';
  const keys = createKeys(KEY_PREFIX);
  const ids = await conversationIds(redis);
  const lengths: number[] = [];
  const usages: number[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(i, i + 1000)) {
      pipeline.strlen(keys.conversation(id));
      pipeline.call('MEMORY', 'USAGE', keys.conversation(id), 'SAMPLES', '0');
    }
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([, v], j) => (j % 2 ? usages : lengths).push(Number(v)));
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const histogram = (xs: number[], width: number): string => {
    const counts = new Map<number, number>();
    for (const x of xs)
      counts.set(Math.floor(x / width) * width, (counts.get(Math.floor(x / width) * width) ?? 0) + 1);
    return [...counts]
      .sort((a, b) => a[0] - b[0])
      .map(([x, n]) => `${x}:${n}`)
      .join(' ');
  };
  console.log(
    `  [${phase}] used_memory ${fmt(await usedMemory(redis))}; ${keyspace}; tables (size/elements, main then expires${stats.includes('Rehashing') || tables.length > 2 ? ', REHASHING' : ''}): ${tables.join(' ')}`,
  );
  console.log(
    `  [${phase}] ${fmt(ids.length)} conversation strings: length ${fmt(mean(lengths))} (${Math.min(...lengths)}–${Math.max(...lengths)}; by 4: ${histogram(lengths, 4)}), MEMORY USAGE ${fmt(mean(usages))} (${histogram(usages, 1)})`,
  );
}

/** Before this age the bench's "steady state" is reached (the sent-SMS records' 7 days). */
const STEADY_AFTER_SECONDS = 7 * 86_400;

/**
 * Downstream takes every outcome job waiting (a worker that completes each, as
 * examples/outcomes-consumer.mjs does), then time passes the keep age of completed jobs
 * (queues/outcomes.ts), as it has by the steady state: BullMQ's own removal by age is what
 * `clean` does here. Returns how many jobs were consumed.
 */
async function consumeOutcomes(gateway: GatewayHandle, url: string): Promise<number> {
  const queue = gateway.core.queues.outcomes;
  const waiting = await queue.getWaitingCount();
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const worker = new Worker(QUEUES.outcomes, () => Promise.resolve(), {
    connection,
    prefix: QUEUE_PREFIX,
    concurrency: 64,
  });
  try {
    for (;;) {
      const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
      if (Object.values(counts).every((n) => n === 0)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await worker.close();
    connection.disconnect();
  }
  if (OUTCOME_KEEP_SECONDS < STEADY_AFTER_SECONDS)
    while ((await queue.clean(0, 10_000, 'completed')).length > 0);
  return waiting;
}

/** Bytes per key family for one conversation; shared keys (sorted sets, sets) as an even share. */
async function breakdown(gateway: GatewayHandle, redis: Redis, id: string): Promise<Record<string, number>> {
  const keys = createKeys(KEY_PREFIX);
  const conv = await gateway.core.store.get(id);
  if (!conv) throw new Error(`conversation ${id} is gone`);
  const timeline = await gateway.core.store.timeline(id);
  const sms = timeline.filter(ofKind('sms'));
  const bull = `${QUEUE_PREFIX}:sms-out`;
  const shared = async (key: string): Promise<number> => (await usage(redis, key)) / CONVERSATIONS;
  const sum = async (list: string[]): Promise<number> =>
    (await Promise.all(list.map((k) => usage(redis, k)))).reduce((a, b) => a + b, 0);
  return {
    conversation: await usage(redis, keys.conversation(id)),
    conversation_value: await redis.strlen(keys.conversation(id)),
    timeline_sms_text: sms.reduce((n, e) => n + Buffer.byteLength(e.text), 0),
    // A number's sorted set (a number with many conversations), or its share of
    // the MSISDN bucket its field is in (store/msisdn-index.ts).
    by_msisdn:
      (await usage(redis, keys.byMsisdn(conv.msisdn))) +
      (await fieldShare(redis, keys.msisdnBucket(fnv1a(conv.msisdn) % MSISDN_BUCKETS))),
    external_id_share: await fieldShare(
      redis,
      keys.externalIds(conv.service, fnv1a(conv.externalId) % EXTERNAL_ID_BUCKETS),
    ),
    deadline_share: deadlineShare,
    sms_parts: await sum(sms.map((e) => keys.smsParts(id, e.smsId))),
    receipt_links_share: receiptShare,
    bullmq_sms_job: await sum(sms.map((e) => `${bull}:${id}.${e.smsId}`)),
    bullmq_completed_share: await shared(`${bull}:completed`),
  };
}

const redisServer = await startRedisServer(DETAIL ? { args: ['--enable-debug-command', 'local'] } : {});
const admin = new Redis(redisServer.url);
const sink = await startSink('raw', { idWidth: ID_WIDTH });
const gateway = await startBenchGateway({
  ...{ redisUrl: redisServer.url, smppPort: sink.port, prefix: PREFIX },
  ...{ keyPrefix: KEY_PREFIX, queuePrefix: QUEUE_PREFIX, now },
});
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
try {
  const { conversation } = await invite(gateway, 0);
  if (conversation.state === 'waiting')
    throw new Error('the invitation waits: the clock is outside SEND_WINDOW');
  const parts = await smsParts(gateway, conversation.id);
  await sink.expect(parts);
  const before = await usedMemory(admin);
  const offers = sink.expect((CONVERSATIONS - 1) * parts);
  await bounded(CONVERSATIONS - 1, 64, (i) => invite(gateway, i + 1));
  await offers;
  // Let the sender record the last parts and the sweeps of BullMQ settle.
  await new Promise((r) => setTimeout(r, 500));
  const perConversationOf = async () => ((await usedMemory(admin)) - before) / (CONVERSATIONS - 1);
  const grown = (await usedMemory(admin)) - before;
  const perConversation = grown / (CONVERSATIONS - 1);
  console.log(
    `memory — ${fmt(CONVERSATIONS)} open home-schooling conversations (${parts} UCS2 parts each, sent; SMSC ids ${ID_WIDTH ? `of ${ID_WIDTH} characters` : 'as the sink counts'})`,
  );
  console.log(
    `used_memory grew ${fmt(grown)} bytes: ${fmt(perConversation)} bytes per conversation, its \`sent\` outcome job waiting for the consumer`,
  );

  receiptShare = await share(admin, `${KEY_PREFIX}:{r:*`);
  // The deadline index: its buckets and the index of buckets.
  deadlineShare = await share(admin, `${KEY_PREFIX}:{deadlines}*`);
  // Spread over the run: the sink's ids, and so the sent entries, grow as it goes.
  const every = await conversationIds(admin);
  const ids = Array.from(
    { length: SAMPLE },
    (_, i) => every[Math.floor((i * every.length) / SAMPLE)] as string,
  );
  await detail(admin, 'after sending');
  const totals: Record<string, number> = {};
  for (const id of ids) {
    for (const [k, v] of Object.entries(await breakdown(gateway, admin, id)))
      totals[k] = (totals[k] ?? 0) + v;
  }
  const mean = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / ids.length]));
  const { timeline_sms_text: text = 0, conversation_value: doc = 0, ...families } = mean;
  const sampled = Object.values(families).reduce((a, b) => a + b, 0);
  console.log(`MEMORY USAGE over ${ids.length} sampled conversations (mean bytes each):`);
  for (const [k, v] of Object.entries(families).sort((a, b) => b[1] - a[1]))
    console.log(`  ${k.padEnd(24)} ${fmt(v).padStart(7)}`);
  console.log(`  ${'sum'.padEnd(24)} ${fmt(sampled).padStart(7)}`);
  console.log(`  (the timeline holds the SMS text: ${fmt(text)} bytes of UTF-8 per conversation)`);
  console.log(`  (the conversation string, doc and timeline: ${fmt(doc)} bytes)`);
  console.log('MEMORY USAGE of every key by family (bytes per conversation, above 5):');
  for (const [family, bytes] of await byFamily(admin))
    if (bytes > 5) console.log(`  ${family.padEnd(36)} ${fmt(bytes).padStart(7)}`);

  const waitingAt = await usedMemory(admin);
  const sentJobs = await consumeOutcomes(gateway, redisServer.url);
  const atRest = await perConversationOf();
  const perJob = (waitingAt - (await usedMemory(admin))) / Math.max(1, sentJobs);
  await detail(admin, 'at rest');
  console.log(
    `at rest, the outcomes consumed (receipt links, sent-SMS records and awaited receipts still there: 4, 7 and 3 days): ${fmt(atRest)} bytes per conversation`,
  );
  console.log(
    `  an outcome job waiting for the consumer: ${fmt(perJob)} bytes (${fmt(sentJobs)} \`sent\` jobs)`,
  );
  console.log('MEMORY USAGE of every key by family at rest (bytes per conversation, above 5):');
  for (const [family, bytes] of await byFamily(admin))
    if (bytes > 5) console.log(`  ${family.padEnd(36)} ${fmt(bytes).padStart(7)}`);
  // Receipts need the links, which expire (4 days) before the conversation is steady: keep them
  // aside for the steady state, put them back for the receipts, then let them expire again.
  const links = await saveReceiptLinks(admin, KEY_PREFIX);
  await expireSendRecords(admin, KEY_PREFIX);
  const steady = await perConversationOf();
  await detail(admin, 'steady');
  console.log(
    `steady state (receipt links, sent-SMS records and awaited receipts gone): ${fmt(steady)} bytes per conversation`,
  );
  for (const [key, fields] of links) await admin.hset(key, fields);
  const delivered = await deliverAll(gateway, admin);
  await expireSendRecords(admin, KEY_PREFIX);
  const withReceiptsWaiting = await perConversationOf();
  const deliveredJobs = await consumeOutcomes(gateway, redisServer.url);
  const withReceipts = await perConversationOf();
  await detail(admin, 'steady with receipts');
  console.log(
    'MEMORY USAGE of every key by family, steady with the receipts (bytes per conversation, above 5):',
  );
  for (const [family, bytes] of await byFamily(admin))
    if (bytes > 5) console.log(`  ${family.padEnd(36)} ${fmt(bytes).padStart(7)}`);
  const lengths = await Promise.all(ids.map((id) => admin.strlen(createKeys(KEY_PREFIX).conversation(id))));
  console.log(
    `  (the conversation string with the receipts: ${fmt(lengths.reduce((a, b) => a + b, 0) / lengths.length)} bytes on average, ${Math.min(...lengths)}–${Math.max(...lengths)})`,
  );
  const sample = await gateway.core.store.timeline(ids[0] as string);
  console.log(
    `  and once every part's delivery receipt is in the timeline: ${fmt(withReceipts)} bytes ` +
      `per conversation, its \`delivered\` outcome consumed; ${fmt(withReceiptsWaiting)} while ` +
      `${fmt(deliveredJobs)} \`delivered\` jobs waited (${fmt(delivered)} receipts; its last entry: ` +
      `${JSON.stringify(sample.at(-1))})`,
  );
  const rss = process.memoryUsage().rss;
  console.log(`gateway RSS: ${fmt(rss / 2 ** 20)} MiB now, ${fmt(peakRss / 2 ** 20)} MiB peak under load`);
  summary({
    conversations: CONVERSATIONS,
    sms_id_width: ID_WIDTH,
    used_memory_per_conversation: perConversation,
    at_rest_per_conversation: atRest,
    outcome_job_waiting_bytes: perJob,
    steady_state_per_conversation: steady,
    steady_state_with_receipts_per_conversation: withReceipts,
    steady_state_with_delivered_waiting_per_conversation: withReceiptsWaiting,
    sampled_bytes_per_conversation: sampled,
    ...Object.fromEntries(Object.entries(families).map(([k, v]) => [`${k}_bytes`, v])),
    timeline_sms_text_bytes: text,
    conversation_value_bytes: doc,
    gateway_rss_mib: rss / 2 ** 20,
    gateway_peak_rss_mib: peakRss / 2 ** 20,
  });
} finally {
  clearInterval(rssTimer);
  await gateway.stop();
  await sink.stop();
  admin.disconnect();
  await redisServer.stop();
}
