/**
 * Benchmark, scaling: replies decided by 1, 2, … GATEWAY_ROLE=workers processes on a local Redis
 * Cluster of three masters (test/support/redis-cluster.ts), beside one edge process (this one:
 * binds, deliver_sm, acknowledgements sent). Each round creates its own conversations, has the
 * edge store one reply (`123#3#1`) for each while the `inbound` queue is paused, starts its
 * workers processes, resumes the queue and times until every consent is in `assignments`.
 * CPU per reply: the workers processes (/proc), this process, the three Redis masters and the
 * SMSC peer; `cores_busy_<n>p` is their sum times the rate: the cores the round kept busy, which
 * shows where more processes stop adding throughput (the machine's cores are full).
 *
 *   npx tsx bench/cluster.ts [--conversations=4000] [--processes=3]
 *
 * The figures feed docs/scaling.md: processes and Cluster masters from CPU per unit of work.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { GatewayHandle } from '../gateway/gateway.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import {
  bounded,
  cpuMsSince,
  fmt,
  homeSchoolingParams,
  msisdn,
  option,
  processCpuMs,
  redisCpuMs,
  smsParts,
  startBenchGateway,
  startBenchWorkers,
  startSink,
  summary,
} from './support/harness.js';

const CONVERSATIONS = option('conversations', 4000);
const PROCESSES = option('processes', 3);
const PREFIX = 'cl';
const QUEUE_PREFIX = `{bull-${PREFIX}}`;

const cluster = await startRedisCluster(3);
const masters = cluster.nodes.map((n) => new Redis(n.port, n.host, { maxRetriesPerRequest: null }));
const clusterEnv = { REDIS_CLUSTER_NODES: cluster.spec };
const sink = await startSink('raw');
const gateway = await startBenchGateway({
  redisUrl: 'redis://127.0.0.1:6379',
  smppPort: sink.port,
  prefix: PREFIX,
  queuePrefix: QUEUE_PREFIX,
  role: 'edge',
  env: clusterEnv,
});

const invite = (g: GatewayHandle, i: number) =>
  g.core.conversations.invite({
    service: 'home-schooling',
    externalId: `cl-${i}`,
    msisdn: msisdn(i),
    language: 'kk',
    params: homeSchoolingParams(),
  });

const mastersCpuMs = async (): Promise<number> =>
  (await Promise.all(masters.map((m) => redisCpuMs(m)))).reduce((a, b) => a + b, 0);

const figures: Record<string, number> = {
  conversations_per_round: CONVERSATIONS,
  cores: availableParallelism(),
};
try {
  const { conversation } = await invite(gateway, 9_000_000);
  const parts = await smsParts(gateway, conversation.id);
  await sink.expect(parts);
  const { inbound, assignments } = gateway.core.queues;
  let consents = 0;
  console.log(
    `cluster — 3 masters, ${fmt(CONVERSATIONS)} replies per round, 1 to ${PROCESSES} workers processes`,
  );
  for (let processes = 1; processes <= PROCESSES; processes++) {
    const first = (processes - 1) * CONVERSATIONS;
    const offers = sink.expect(CONVERSATIONS * parts);
    await bounded(CONVERSATIONS, 64, (i) => invite(gateway, first + i));
    await offers;
    await inbound.pause();
    const from = Array.from({ length: CONVERSATIONS }, (_, i) => msisdn(first + i));
    const stored = await sink.inject({ from, text: '123#3#1', rate: 0, window: 100 });
    if (stored.ok !== CONVERSATIONS) throw new Error(`${stored.ok} of ${CONVERSATIONS} replies stored`);
    const workers = await Promise.all(
      Array.from({ length: processes }, () =>
        startBenchWorkers({
          redisUrl: 'redis://127.0.0.1:6379',
          prefix: PREFIX,
          queuePrefix: QUEUE_PREFIX,
          env: clusterEnv,
        }),
      ),
    );
    const workersCpu = workers.map((w) => processCpuMs(w.pid));
    const redisCpu = await mastersCpuMs();
    const sinkCpu = processCpuMs(sink.pid);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await inbound.resume();
    consents += CONVERSATIONS;
    while ((await assignments.count()) < consents) await sleep(5);
    const ms = performance.now() - started;
    const perReply = (total: number) => total / CONVERSATIONS;
    const workersMs = perReply(workers.reduce((n, w, i) => n + processCpuMs(w.pid) - workersCpu[i]!, 0));
    const redisMs = perReply((await mastersCpuMs()) - redisCpu);
    const edgeMs = perReply(cpuMsSince(cpu));
    const sinkMs = perReply(processCpuMs(sink.pid) - sinkCpu);
    const rate = (CONVERSATIONS / ms) * 1000;
    const coresBusy = ((workersMs + redisMs + edgeMs + sinkMs) * rate) / 1000;
    console.log(
      `${processes} workers process(es): ${fmt(CONVERSATIONS)} replies decided in ${fmt(ms)} ms = ${fmt(rate)}/s; ` +
        `CPU per reply: workers ${workersMs.toFixed(3)} ms, edge ${edgeMs.toFixed(3)} ms, 3 masters ${redisMs.toFixed(3)} ms, ` +
        `SMSC peer ${sinkMs.toFixed(3)} ms; ${coresBusy.toFixed(2)} of ${figures.cores} cores busy`,
    );
    figures[`replies_per_s_${processes}p`] = rate;
    figures[`workers_cpu_ms_per_reply_${processes}p`] = workersMs;
    figures[`redis_cpu_ms_per_reply_${processes}p`] = redisMs;
    figures[`edge_cpu_ms_per_reply_${processes}p`] = edgeMs;
    figures[`sink_cpu_ms_per_reply_${processes}p`] = sinkMs;
    figures[`cores_busy_${processes}p`] = coresBusy;
    await Promise.all(workers.map((w) => w.stop()));
  }
  summary(figures);
} finally {
  await gateway.stop();
  await sink.stop();
  for (const m of masters) m.disconnect();
  await cluster.stop();
}
