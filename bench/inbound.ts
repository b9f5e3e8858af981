/**
 * Benchmark, inbound: citizen replies from deliver_sm to stored job + deliver_sm_resp, timed at the
 * SMSC (the sink process sends the deliver_sm and times each resp), at a fixed offered rate and
 * at saturation. Replies decided per second are measured over the saturated phase alone, after
 * every reply of the fixed phase is decided and answered: from its first deliver_sm until each
 * of its consents is a job in `assignments` and each acknowledgement SMS is at the SMSC, with the
 * CPU and Redis commands of that span per reply. (Timed from the fixed phase's start, the rate
 * could never pass the fixed phase's offered 1,000/s by much.)
 *
 *   npx tsx bench/inbound.ts [--conversations=30000] [--rate=1000] [--fixed=10000] [--window=100]
 *
 * Every reply (`123#3#1`) targets a real open conversation created first through invite().
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { GatewayHandle } from '../gateway/gateway.js';
import type { InjectResult } from '../test/support/peers/inject.js';
import {
  bounded,
  commandStats,
  commandsPer,
  cpuMsSince,
  machineCpuMs,
  fmt,
  homeSchoolingParams,
  msisdn,
  option,
  processCpuMs,
  profiled,
  redisCpuMs,
  smsParts,
  startBenchGateway,
  startBenchWorkers,
  startRedisServer,
  startSink,
  summary,
  type Sink,
} from './support/harness.js';

const CONVERSATIONS = option('conversations', 30_000);
const RATE = option('rate', 1000);
/**
 * Replies at the fixed rate: 10 s at 1,000/s. Over a shorter run the p99 is a handful of
 * replies, and one young-generation pause with the replies queued behind it decides it
 * (docs/performance.md).
 */
const FIXED = Math.min(option('fixed', 10_000), CONVERSATIONS - 1);
const WINDOW = option('window', 100);
/** --split=1: replies are decided in a GATEWAY_ROLE=workers process beside the edge (docs/scaling.md). */
const SPLIT = option('split', 0) === 1;

const invite = (gateway: GatewayHandle, i: number) =>
  gateway.core.conversations.invite({
    service: 'home-schooling',
    externalId: `in-${i}`,
    msisdn: msisdn(i),
    language: 'kk',
    params: homeSchoolingParams(),
  });

/**
 * Creates the conversations and waits until every offer is at the sink; returns parts per offer
 * and the first conversation's id.
 */
async function createConversations(
  gateway: GatewayHandle,
  sink: Sink,
): Promise<{ parts: number; first: string }> {
  const started = performance.now();
  const { conversation } = await invite(gateway, 0);
  const parts = await smsParts(gateway, conversation.id);
  const offers = sink.expect(CONVERSATIONS * parts);
  await bounded(CONVERSATIONS - 1, 64, (i) => invite(gateway, i + 1));
  await offers;
  console.log(
    `${fmt(CONVERSATIONS)} open conversations created and offered (${parts} parts each) in ${fmt(performance.now() - started)} ms`,
  );
  return { parts, first: conversation.id };
}

/** Waits until `count` consents are jobs in `assignments` (nothing consumes that queue here). */
async function consentsIn(gateway: GatewayHandle, count: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await gateway.core.queues.assignments.count()) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} consents after ${timeoutMs} ms`);
    await sleep(10);
  }
}

function show(label: string, r: InjectResult): void {
  console.log(
    `${label}: ${r.ok}/${r.sent} acknowledged (${r.refused} refused) in ${fmt(r.elapsedMs)} ms = ` +
      `${fmt((r.sent / r.elapsedMs) * 1000)} replies/s; deliver_sm → resp p50 ${r.p50.toFixed(2)} ms, ` +
      `p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms`,
  );
}

const redis = await startRedisServer();
const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
const sink = await startSink('raw');
const gateway = await startBenchGateway({
  redisUrl: redis.url,
  smppPort: sink.port,
  prefix: 'inbound',
  role: SPLIT ? 'edge' : 'all',
});
const workers = SPLIT ? await startBenchWorkers({ redisUrl: redis.url, prefix: 'inbound' }) : undefined;
try {
  // The offers go out first so that their sending does not overlap the measurement.
  const offer = await createConversations(gateway, sink);
  const from = Array.from({ length: CONVERSATIONS }, (_, i) => msisdn(i));
  const text = '123#3#1';
  const measured = CONVERSATIONS - FIXED;
  console.log(
    `inbound — ${fmt(CONVERSATIONS)} replies "${text}", window ${WINDOW}, sink=${sink.kind}, ` +
      (SPLIT ? 'edge + workers processes' : 'one process'),
  );

  const fixed = await sink.inject({ from: from.slice(0, FIXED), text, rate: RATE, window: WINDOW });
  show(`fixed ${RATE}/s`, fixed);
  await consentsIn(gateway, FIXED);
  // Each consent is acknowledged by SMS: its parts, from the first conversation's timeline.
  const ackParts = (await smsParts(gateway, offer.first)) - offer.parts;
  await sink.expect(FIXED * ackParts);

  const stats = await commandStats(admin);
  const redisCpu = await redisCpuMs(admin);
  const cpu = process.cpuUsage();
  const workersCpu = workers ? processCpuMs(workers.pid) : 0;
  const sinkCpu = processCpuMs(sink.pid);
  const machineCpu = machineCpuMs();
  const started = performance.now();
  const { saturated, decidedMs } = await profiled('inbound', async () => {
    const acks = sink.expect(measured * ackParts);
    const result = await sink.inject({ from: from.slice(FIXED), text, rate: 0, window: WINDOW });
    await consentsIn(gateway, CONVERSATIONS);
    const ms = performance.now() - started;
    await acks;
    return { saturated: result, decidedMs: ms };
  });
  const allMs = performance.now() - started;
  show('saturation', saturated);
  // CPU per reply from the first deliver_sm of the phase to the last consent and acknowledgement.
  const perReply = (ms: number) => ms / measured;
  const gatewayMs = perReply(cpuMsSince(cpu));
  const workersMs = workers ? perReply(processCpuMs(workers.pid) - workersCpu) : 0;
  const redisMs = perReply((await redisCpuMs(admin)) - redisCpu);
  const sinkMs = perReply(processCpuMs(sink.pid) - sinkCpu);
  // Cores the rest of the machine used meanwhile (other processes, the kernel's own threads).
  const othersCores = Math.max(
    0,
    (machineCpuMs() - machineCpu - measured * (gatewayMs + workersMs + redisMs + sinkMs)) / allMs,
  );
  const commands = commandsPer(stats, await commandStats(admin), measured);
  console.log(
    `${fmt(measured)} replies at saturation: every consent in assignments ${fmt(decidedMs)} ms after the first deliver_sm, ` +
      `every acknowledgement (${ackParts} part${ackParts === 1 ? '' : 's'}) at the SMSC after ${fmt(allMs)} ms`,
  );
  console.log(
    `CPU per reply: ${SPLIT ? `edge ${gatewayMs.toFixed(3)} ms, workers ${workersMs.toFixed(3)} ms` : `gateway ${gatewayMs.toFixed(3)} ms`}` +
      `, redis ${redisMs.toFixed(3)} ms, SMSC peer ${sinkMs.toFixed(3)} ms; ${commands.calls.toFixed(1)} Redis commands per reply: ${commands.top}`,
  );
  summary({
    conversations: CONVERSATIONS,
    processes: SPLIT ? 2 : 1,
    fixed_rate: RATE,
    fixed_p50_ms: fixed.p50,
    fixed_p99_ms: fixed.p99,
    saturation_replies_per_s: (saturated.sent / saturated.elapsedMs) * 1000,
    saturation_p50_ms: saturated.p50,
    saturation_p99_ms: saturated.p99,
    refused: fixed.refused + saturated.refused,
    consents_all_in_ms: decidedMs,
    consents_per_s: (measured / decidedMs) * 1000,
    acknowledged_all_in_ms: allMs,
    gateway_cpu_ms_per_reply: gatewayMs,
    workers_cpu_ms_per_reply: workersMs,
    redis_cpu_ms_per_reply: redisMs,
    sink_cpu_ms_per_reply: sinkMs,
    redis_commands_per_reply: commands.calls,
    others_cores: othersCores,
  });
} finally {
  await workers?.stop();
  await gateway.stop();
  await sink.stop();
  admin.disconnect();
  await redis.stop();
}
