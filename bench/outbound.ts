/**
 * Benchmark, outbound: invitations per second from `conversations.invite()` until every SMS is
 * recorded sent (home-schooling offer: Kazakh, UCS2, multipart), with the bare `smpp` client's
 * rate for as many segments measured in the same run as the reference.
 *
 *   npx tsx bench/outbound.ts [--invitations=3000] [--concurrency=64] [--window=100] [--sink=raw|sim]
 *                             [--warmup=2000] [--split=1]
 *
 * invite() is the whole API path minus HTTP: validation, render, Lua commit, outbox → BullMQ;
 * the sender worker then drains `sms-out` over one bind and writes each SMS's receipt links, sent
 * entry, `sent` outcome and the deadline it starts. By default all in this process; `--split=1`
 * as production's split runs it: invite() in a `GATEWAY_ROLE=api` process (bench/support/inviter.ts)
 * and the sending in this one, a `GATEWAY_ROLE=edge` process. The run ends when the last `sms-out`
 * job has done so, and every receipt link is counted in Redis afterwards. Then the CPU split: as
 * many invitations again with `sms-out` paused (invite() alone), then their sending alone.
 * `BENCH_PROFILE=<dir>` profiles the three phases (of each process).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { bareRun } from '../test/support/peers/bare.js';
import {
  bounded,
  commandStats,
  commandsPer,
  cpuMsSince,
  fmt,
  homeSchoolingParams,
  mainThreadCpuMs,
  msisdn,
  option,
  processCpuMs,
  profiled,
  smsParts,
  redisCpuMs,
  startBenchGateway,
  startRedisServer,
  startSink,
  summary,
  textOption,
} from './support/harness.js';
import type { GatewayHandle } from '../gateway/gateway.js';
import { GATEWAY_NODE_FLAGS } from './support/node-flags.js';
import type { InviteRun, InviteRunDone } from './support/inviter.js';

const INVITATIONS = option('invitations', 3000);
const CONCURRENCY = option('concurrency', 64);
const WINDOW = option('window', 100);
/**
 * Invitations sent before the measured run: the JIT's background compiles count in the process's
 * CPU, so a short warm-up measured them with the steady state; the bare client is warmed by a
 * whole run of its own.
 */
const WARMUP = option('warmup', 2000);
/** invite() in a `GATEWAY_ROLE=api` process of its own, the sending in this `edge` one. */
const SPLIT = option('split', 0) === 1;

const invite = (gateway: GatewayHandle, i: number) =>
  gateway.core.conversations.invite({
    service: 'home-schooling',
    externalId: `out-${i}`,
    msisdn: msisdn(i),
    language: 'kk',
    params: homeSchoolingParams(),
  });

/** Until the sender has finished every `sms-out` job: each SMS's writes done (sent-writes.ts). */
async function drained(gateway: GatewayHandle): Promise<void> {
  const queue = gateway.core.queues.smsOut;
  while ((await queue.getJobCountByTypes('wait', 'active', 'delayed', 'prioritized')) > 0) await sleep(5);
}

/** Receipt links kept in Redis under the bench's prefix: one per part sent. */
async function receiptLinks(admin: Redis): Promise<number> {
  let links = 0;
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', 'gw-outbound:{r:*', 'COUNT', 1000);
    cursor = next;
    for (const key of keys) links += await admin.hlen(key);
  } while (cursor !== '0');
  return links;
}

/** SMS parts one invitation sends, read from its timeline (the renderer's own segmentation). */
async function partsPerInvitation(gateway: GatewayHandle): Promise<number> {
  const { conversation } = await invite(gateway, 1_000_000);
  return smsParts(gateway, conversation.id);
}

const redis = await startRedisServer();
const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
const sink = await startSink(textOption('sink', 'raw'));
const gateway = await startBenchGateway({
  redisUrl: redis.url,
  smppPort: sink.port,
  prefix: 'outbound',
  window: WINDOW,
  role: SPLIT ? 'edge' : 'all',
});
const inviter = SPLIT ? await startInviter(redis.url) : undefined;
let stopping: Promise<void> | undefined;
const stopGateway = (): Promise<void> =>
  (stopping ??= Promise.all([gateway.stop(), inviter?.stop()]).then(() => undefined));

/**
 * A `GATEWAY_ROLE=api` process on the bench's Redis and prefixes, started with the production
 * flags; more from BENCH_API_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp`).
 */
async function startInviter(redisUrl: string) {
  const extra = process.env.BENCH_API_NODE_FLAGS?.split(' ').filter((f) => f !== '') ?? [];
  const child = fork(new URL('./support/inviter.ts', import.meta.url), [], {
    execArgv: [...GATEWAY_NODE_FLAGS, ...extra, '--import', 'tsx'],
    env: {
      ...process.env,
      GATEWAY_ROLE: 'api',
      SEND_WINDOW: 'always',
      REDIS_URL: redisUrl,
      HTTP_PORT: '0',
      API_KEYS: 'system:bench-system-key-0123456789',
      GW_KEY_PREFIX: 'gw-outbound',
      GW_QUEUE_PREFIX: 'bull-outbound',
    },
  });
  await once(child, 'message');
  return {
    pid: child.pid ?? 0,
    async run(job: InviteRun): Promise<InviteRunDone> {
      child.send(job);
      const [done] = (await once(child, 'message')) as [InviteRunDone];
      return done;
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null) return;
      child.send('stop');
      await once(child, 'exit');
    },
  };
}

/** `count` invitations from number `from`, `CONCURRENCY` at a time, in whichever process invites. */
async function invitations(from: number, count: number, profile?: string): Promise<InviteRunDone> {
  if (inviter) return inviter.run({ from, count, concurrency: CONCURRENCY, ...(profile ? { profile } : {}) });
  const cpu = process.cpuUsage();
  const main = mainThreadCpuMs();
  const started = performance.now();
  const work = () => bounded(count, CONCURRENCY, (i) => invite(gateway, from + i));
  await (profile ? profiled(profile, work) : work());
  return { ms: performance.now() - started, cpuMs: cpuMsSince(cpu), mainMs: mainThreadCpuMs() - main };
}

/** CPU ms of the inviting process apart (0 in one process: counted with this one). */
const inviterCpuMs = (): number => (inviter ? processCpuMs(inviter.pid) : 0);
try {
  const parts = await partsPerInvitation(gateway);
  await sink.expect(parts);
  // Warm the JIT and the connections, so the measured run is the steady state.
  const warm = sink.expect(WARMUP * parts);
  await invitations(2_000_000, WARMUP);
  await warm;
  await drained(gateway);
  console.log(
    `outbound — ${INVITATIONS} home-schooling invitations (${parts} UCS2 parts each), ` +
      `${CONCURRENCY} invite() calls at a time, window ${WINDOW}, TPS unlimited, sink=${sink.kind}, ` +
      (SPLIT ? 'invite() in an api process, sending in an edge process' : 'one process'),
  );

  const done = sink.expect(INVITATIONS * parts);
  const sinkCpu = done.then((r) => r.cpuMs);
  const stats = await commandStats(admin);
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  const inviterCpu = inviterCpuMs();
  const redisCpu = await redisCpuMs(admin);
  const started = performance.now();
  let accepted: InviteRunDone | undefined;
  await profiled(SPLIT ? 'outbound-edge' : 'outbound', async () => {
    accepted = await invitations(0, INVITATIONS, SPLIT ? 'outbound-api' : undefined);
    await done;
    await drained(gateway);
  });
  const acceptedMs = accepted?.ms ?? 0;
  const totalMs = performance.now() - started;
  // This process's CPU, and in --split=1 the api process's beside it.
  const senderMs = cpuMsSince(cpu);
  const apiMs = inviterCpuMs() - inviterCpu;
  const cpuMs = senderMs + apiMs;
  const mainMs = mainThreadCpuMs() - mainCpu + (SPLIT ? (accepted?.mainMs ?? 0) : 0);
  const redisMs = (await redisCpuMs(admin)) - redisCpu;
  const commands = commandsPer(stats, await commandStats(admin), INVITATIONS);
  const perS = (INVITATIONS / totalMs) * 1000;
  console.log(`invite() accepted all in ${fmt(acceptedMs)} ms: ${fmt((INVITATIONS / acceptedMs) * 1000)}/s`);
  console.log(`invite() → every SMS recorded sent: ${fmt(totalMs)} ms: ${fmt(perS)} invitations/s`);
  console.log(
    `CPU per invitation: gateway ${(cpuMs / INVITATIONS).toFixed(2)} ms, redis ${(redisMs / INVITATIONS).toFixed(2)} ms; ` +
      `${commands.calls.toFixed(1)} Redis commands per invitation: ${commands.top}`,
  );
  const sinkMs = (await sinkCpu) / INVITATIONS;

  // The same work in two phases, for the CPU split: invitations committed while `sms-out` is
  // paused (the API's share), then sent and recorded (the sender's share), each timed alone.
  const smsOut = gateway.core.queues.smsOut;
  await smsOut.pause();
  const apiCpu = process.cpuUsage();
  const apiInviterCpu = inviterCpuMs();
  const apiRedis = await redisCpuMs(admin);
  await invitations(3_000_000, INVITATIONS, 'outbound-invite');
  const inviteMs = (cpuMsSince(apiCpu) + inviterCpuMs() - apiInviterCpu) / INVITATIONS;
  const apiRedisMs = ((await redisCpuMs(admin)) - apiRedis) / INVITATIONS;
  const sent = sink.expect(INVITATIONS * parts);
  const sendCpu = process.cpuUsage();
  const sendRedis = await redisCpuMs(admin);
  const sendPhase = await profiled('outbound-send', async () => {
    await smsOut.resume();
    const phase = await sent;
    await drained(gateway);
    return phase;
  });
  const sendMs = cpuMsSince(sendCpu) / INVITATIONS;
  const sendRedisMs = ((await redisCpuMs(admin)) - sendRedis) / INVITATIONS;
  const sendRate = (sendPhase.submits / sendPhase.ms) * 1000;
  console.log(
    `split: invite() alone ${apiMs.toFixed(2)} ms + redis ${apiRedisMs.toFixed(2)} ms per invitation; ` +
      `sending alone ${sendMs.toFixed(2)} ms + redis ${sendRedisMs.toFixed(2)} ms, ${fmt(sendRate)} segments/s; ` +
      `sink ${sinkMs.toFixed(3)} ms`,
  );

  await stopGateway();
  const links = await receiptLinks(admin);
  const sentParts = (2 * INVITATIONS + WARMUP + 1) * parts;
  console.log(`receipt links in Redis: ${fmt(links)} of ${fmt(sentParts)} parts sent`);

  // As many segments as the gateway sent (3-part messages), warmed like the gateway: a cold run
  // of a few thousand messages gave the bare client half its rate.
  const bareMessages = Math.ceil((INVITATIONS * parts) / 3);
  await bareRun(sink, bareMessages, WINDOW);
  const bare = await bareRun(sink, bareMessages, WINDOW);
  console.log(
    `bare smpp client: ${fmt(bare.rate)} segments/s (${fmt(bareMessages)} 3-part messages), CPU per ` +
      `${parts} segments: client ${((bare.cpuPer1k * parts) / 1000).toFixed(3)} ms, sink ${((bare.sinkCpuPer1k * parts) / 1000).toFixed(3)} ms`,
  );
  console.log(
    'ratio_segments: the whole invitation (render, commit, indices, outbox, send, receipt links) against bare sends; ' +
      'the send path alone is bench:smpp',
  );
  summary({
    parts,
    invitations: INVITATIONS,
    processes: SPLIT ? 2 : 1,
    invite_accept_per_s: (INVITATIONS / acceptedMs) * 1000,
    invitations_per_s: perS,
    segments_per_s: perS * parts,
    gateway_cpu_ms_per_invitation: cpuMs / INVITATIONS,
    gateway_main_thread_cpu_ms_per_invitation: mainMs / INVITATIONS,
    ...(SPLIT
      ? { api_cpu_ms_per_invitation: apiMs / INVITATIONS, edge_cpu_ms_per_invitation: senderMs / INVITATIONS }
      : {}),
    redis_cpu_ms_per_invitation: redisMs / INVITATIONS,
    redis_commands_per_invitation: commands.calls,
    sink_cpu_ms_per_invitation: sinkMs,
    invite_cpu_ms_per_invitation: inviteMs,
    invite_redis_cpu_ms_per_invitation: apiRedisMs,
    send_cpu_ms_per_invitation: sendMs,
    send_redis_cpu_ms_per_invitation: sendRedisMs,
    send_alone_segments_per_s: sendRate,
    receipt_links_missing: sentParts - links,
    bare_segments_per_s: bare.rate,
    bare_cpu_ms_per_10_segments: bare.cpuPer1k / 100,
    bare_sink_cpu_ms_per_10_segments: bare.sinkCpuPer1k / 100,
    ratio_segments: (perS * parts) / bare.rate,
  });
} finally {
  await stopGateway();
  await sink.stop();
  admin.disconnect();
  await redis.stop();
}
