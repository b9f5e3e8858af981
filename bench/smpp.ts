/**
 * `bench:smpp`: segments per second of the gateway's outbound path (BullMQ `sms-out` →
 * sender worker → encode/segment → window → sink SMSC) and of a bare `smpp` client with the same
 * window against the same sink, in one run; last line ends with `ratio=<gateway/bare>`.
 *
 *   npx tsx bench/smpp.ts [--messages=20000] [--runs=3] [--warmup=1] [--window=100] [--sink=raw|sim]
 *
 * The sink runs in its own process and times first → last submit_sm for both clients alike.
 * SMS are handed over while the queue is paused (in batch jobs, as a campaign's are), so the
 * figure is the drain rate of a full queue. A third run per round gives the same SMS straight to
 * the session layer (`transport.submit`, no queue, no Redis): where the gateway's cost lies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { QUEUES } from '../queues/names.js';
import { SmsHandOver } from '../gateway/core/sms-handover.js';
import type { SmsOutJob } from '../queues/jobs.js';
import { segment } from '../sms/encoding.js';
import { bareRun } from '../test/support/peers/bare.js';
import {
  runFigures,
  fmt,
  KAZAKH_3_PART,
  median,
  msisdn,
  option,
  redisCpuMs,
  startBenchGateway,
  startRedisServer,
  startSink,
  summary,
  textOption,
  type Run,
  type Sink,
} from './support/harness.js';

const MESSAGES = option('messages', 20000);
/** Ported numbers in a PORTABILITY_FILE the gateway routes through (0: none), half of the bench's numbers among them. */
const PORTED = option('ported', 0);
const RUNS = option('runs', 3);
/**
 * Rounds run first and not counted: V8 optimises the gateway's (larger) code over the first
 * tens of thousands of segments, and a gateway runs for days, so the figure is the warm one.
 */
const WARMUP = option('warmup', 1);
const WINDOW = option('window', 100);
const PARTS = segment(KAZAKH_3_PART).parts.length;
const ENV = PORTED > 0 ? { PORTABILITY_FILE: portedFile(PORTED) } : undefined;

/** `count` numbers, every other one of the 7701… range the bench sends to, all on the one carrier. */
function portedFile(count: number): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mnp-smpp-')), 'ported.txt');
  const lines = Array.from({ length: count }, (_, i) => `${msisdn(2 * i)} default`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
const SEGMENTS = MESSAGES * PARTS;

async function gatewayRun(sink: Sink, redisUrl: string, admin: Redis, run: number): Promise<Run> {
  const prefix = `smpp-${run}-${Date.now().toString(36)}`;
  const gateway = await startBenchGateway({
    redisUrl,
    smppPort: sink.port,
    prefix,
    window: WINDOW,
    ...(ENV ? { env: ENV } : {}),
  });
  const queue = new Queue(QUEUES.smsOut, { connection: admin, prefix: `bull-${prefix}` });
  await queue.pause();
  // The gateway's own hand-over (gateway/core/sms-handover.ts), as a campaign's invitations take.
  const handOver = new SmsHandOver(queue);
  for (let i = 0; i < MESSAGES; i += 1000) {
    const sms = Array.from({ length: Math.min(1000, MESSAGES - i) }, (_, k): SmsOutJob => ({
      conversationId: `bench${i + k}`,
      smsId: '0.0',
      to: msisdn(i + k),
      text: KAZAKH_3_PART,
      templateId: 'bench',
      asksConsent: false,
    }));
    await handOver.addAll(sms);
  }
  const done = sink.expect(SEGMENTS);
  const cpu = process.cpuUsage();
  const redisCpu = await redisCpuMs(admin);
  const started = performance.now();
  await queue.resume();
  const result = await done;
  const figures = runFigures(
    result,
    { cpu, started, segments: SEGMENTS },
    (await redisCpuMs(admin)) - redisCpu,
  );
  await queue.close();
  await gateway.stop();
  return figures;
}

/**
 * The session layer alone (gateway/smpp: segment, encode, window, submit) without the queue:
 * the same SMS given to `transport.submit` 150 at a time. Not a target figure: it shows how
 * the gateway's cost splits between the SMPP layer and the durable queue path.
 */
async function transportRun(sink: Sink, redisUrl: string, run: number): Promise<Run> {
  const prefix = `smpp-t-${run}-${Date.now().toString(36)}`;
  const gateway = await startBenchGateway({
    redisUrl,
    smppPort: sink.port,
    prefix,
    window: WINDOW,
    ...(ENV ? { env: ENV } : {}),
  });
  const done = sink.expect(SEGMENTS);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < MESSAGES; i = next++)
      await gateway.transport.submit({ to: msisdn(i), text: KAZAKH_3_PART });
  };
  await Promise.all(Array.from({ length: 150 }, lane));
  const result = await done;
  const figures = runFigures(result, { cpu, started, segments: SEGMENTS });
  await gateway.stop();
  return figures;
}

function show(label: string, r: Run): void {
  console.log(
    `${label}: ${fmt(r.rate)} segments/s (${fmt(r.wallMs)} ms wall), CPU per 1,000 segments: ` +
      `client ${r.cpuPer1k.toFixed(0)} ms, redis ${r.redisCpuPer1k.toFixed(0)} ms, sink ${r.sinkCpuPer1k.toFixed(0)} ms`,
  );
}

const redis = await startRedisServer();
const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
const sink = await startSink(textOption('sink', 'raw'));
console.log(
  `bench:smpp — ${MESSAGES} messages × ${PARTS} UCS2 parts, window ${WINDOW}, TPS unlimited, sink=${sink.kind}, ${RUNS} run(s) after ${WARMUP} warm-up round(s)` +
    (PORTED > 0 ? `, ${PORTED} ported numbers in PORTABILITY_FILE` : ''),
);
const gateway: Run[] = [];
const bare: Run[] = [];
const transport: Run[] = [];
try {
  for (let run = 1 - WARMUP; run <= RUNS; run++) {
    const label = run > 0 ? `run ${run}` : 'warm-up';
    const keep = (runs: Run[], r: Run) => void (run > 0 && runs.push(r));
    const g = await gatewayRun(sink, redis.url, admin, run);
    show(`${label} gateway`, g);
    keep(gateway, g);
    const b = await bareRun(sink, MESSAGES, WINDOW);
    show(`${label} bare   `, b);
    keep(bare, b);
    const t = await transportRun(sink, redis.url, run);
    show(`${label} smpp layer only (no queue)`, t);
    keep(transport, t);
  }
} finally {
  await sink.stop();
  admin.disconnect();
  await redis.stop();
}
const pick = (runs: Run[], key: keyof Run): number => median(runs.map((r) => r[key]));
summary({
  sink: sink.kind,
  window: WINDOW,
  segments: SEGMENTS,
  gateway_segments_per_s: pick(gateway, 'rate'),
  bare_segments_per_s: pick(bare, 'rate'),
  gateway_cpu_ms_per_1k: pick(gateway, 'cpuPer1k'),
  gateway_redis_cpu_ms_per_1k: pick(gateway, 'redisCpuPer1k'),
  bare_cpu_ms_per_1k: pick(bare, 'cpuPer1k'),
  smpp_layer_segments_per_s: pick(transport, 'rate'),
  smpp_layer_cpu_ms_per_1k: pick(transport, 'cpuPer1k'),
  ratio_smpp_layer: pick(transport, 'rate') / pick(bare, 'rate'),
  ratio: pick(gateway, 'rate') / pick(bare, 'rate'),
});
