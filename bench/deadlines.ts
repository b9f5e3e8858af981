/**
 * Benchmark, deadlines: N open conversations whose deadlines all fall due at once (the clock is set
 * past them), then `sweeper.tick()` in a loop until nothing is due: deadlines handled per second.
 * `--sweepers` processes sweep together, as every gateway process runs the sweeper: this one and
 * the others (bench/support/deadline-sweeper.ts), each claiming its own due batches; the CPU per
 * deadline is theirs together.
 * A fired deadline may set the next one (a reminder, then the expiry), already due too; the loop
 * handles those as well, so every conversation ends where its service says.
 *
 * `--not-due` adds that many other open conversations whose deadlines are not due (far ahead):
 * entries written straight into the deadline index, as many as a country-wide campaign leaves
 * there, so the sweep meets buckets of that size (docs/scaling.md, the deadline index at 10 million).
 *
 *   npx tsx bench/deadlines.ts [--deadlines=100000] [--batch=1000] [--parallel=64] [--in-flight=2] [--sweepers=2] [--not-due=0]
 *
 * The core runs without the sender (SMS jobs wait in `sms-out`): this measures the sweeper alone.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { connectRedis } from '../store/connection.js';
import type { DeadlineIndex } from '../store/deadlines.js';
import { createKeys } from '../store/keys.js';
import { pino } from 'pino';
import { createCore } from '../gateway/core/runtime.js';
import { createSweeper, SWEEP_DEFAULTS } from '../gateway/core/sweeper.js';
import {
  bounded,
  commandStats,
  processCpuMs,
  commandsPer,
  cpuMsSince,
  fmt,
  homeSchoolingParams,
  msisdn,
  option,
  profiled,
  redisCpuMs,
  startRedisServer,
  summary,
} from './support/harness.js';

const DEADLINES = option('deadlines', 100_000);
// The production sweep's sizes unless given.
const BATCH = option('batch', SWEEP_DEFAULTS.batch);
const PARALLEL = option('parallel', SWEEP_DEFAULTS.parallel);
const IN_FLIGHT = option('in-flight', SWEEP_DEFAULTS.inFlight);
const SWEEPERS = option('sweepers', 2);
const NOT_DUE = option('not-due', 0);

/**
 * `count` deadlines long after the bench's clock, written into the index as `DeadlineIndex.set`
 * would (a field of the id's bucket; the bucket in the index of buckets, scored at or before it), in
 * pipelines.
 */
async function fillIndex(index: DeadlineIndex, redis: Redis, count: number, at: number): Promise<void> {
  const indexKey = createKeys(KEY_PREFIX).deadlineBuckets();
  const buckets = new Map<string, { bucket: number; fields: string[] }>();
  const flush = async () => {
    const pipeline = redis.pipeline();
    for (const [key, { bucket, fields }] of buckets) {
      pipeline.hset(key, ...fields);
      pipeline.zadd(indexKey, 'NX', at, String(bucket));
    }
    buckets.clear();
    await pipeline.exec();
  };
  for (let i = 0; i < count; i++) {
    const id = `nd-${i.toString(36)}`;
    const { bucket, key } = index.bucketOf(id);
    const entry = buckets.get(key) ?? { bucket, fields: [] };
    entry.fields.push(id, String(at));
    buckets.set(key, entry);
    if ((i + 1) % 100_000 === 0) await flush();
  }
  await flush();
}

/** Bytes Redis has read from its clients so far (INFO stats). */
async function redisInputBytes(redis: Redis): Promise<number> {
  return Number(/total_net_input_bytes:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
}

/** Another sweeping process on the bench's Redis and clock, ready to `go`. */
async function startSweeper(url: string, at: number) {
  const { spawn } = await import('node:child_process');
  const file = fileURLToPath(new URL('./support/deadline-sweeper.ts', import.meta.url));
  const args = [url, at, BATCH, PARALLEL, IN_FLIGHT].map(String);
  const child = spawn(process.execPath, [...process.execArgv, file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const next = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const onLine = (line: string) => {
        if (!line.startsWith(prefix)) return;
        lines.off('line', onLine);
        resolve(line.slice(prefix.length));
      };
      lines.on('line', onLine);
      child.once('exit', (code) => reject(new Error(`sweeper process exited with ${code}`)));
    });
  await next('ready');
  return {
    pid: child.pid ?? 0,
    /** Starts sweeping; resolves with how many deadlines it handled. */
    go: async () => {
      const handled = next('handled=');
      child.stdin.write('go\n');
      return Number(await handled);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end('stop\n');
      }),
  };
}

let clock = Date.UTC(2026, 10, 24, 6, 0);
const redisServer = await startRedisServer();
// The gateway's own connection settings (store/connection.ts).
const redis = connectRedis({ url: redisServer.url, clusterNodes: [] });
const admin = new Redis(redisServer.url);
const log = pino({ level: 'silent' });
const KEY_PREFIX = 'gw-dl';
const core = await createCore({
  redis,
  log,
  keyPrefix: KEY_PREFIX,
  queuePrefix: 'bull-dl',
  now: () => clock,
});
const sweeper = createSweeper({
  core,
  log,
  intervalMs: 0,
  graceMs: 0,
  batch: BATCH,
  parallel: PARALLEL,
  inFlight: IN_FLIGHT,
});
try {
  if (NOT_DUE > 0) {
    const filled = performance.now();
    // Past the year the clock moves ahead below: never due in this run.
    await fillIndex(core.store.deadlines, admin, NOT_DUE, clock + 800 * 86_400_000);
    console.log(
      `${fmt(NOT_DUE)} deadlines not due written into the index in ${fmt(performance.now() - filled)} ms`,
    );
  }
  const created = performance.now();
  const ids: string[] = [];
  await bounded(DEADLINES, 64, async (i) => {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: `dl-${i}`,
      msisdn: msisdn(i),
      language: 'ru',
      params: homeSchoolingParams(),
    });
    ids.push(conversation.id);
  });
  // The offer's deadline runs from the SMSC's acceptance (003, item 10): accepted now, as the
  // sender would record it (gateway/core/sent-writes.ts), so each deadline is a real one.
  const stages = core.services.get('home-schooling')?.stages ?? {};
  await bounded(ids.length, 64, async (n) => {
    const conv = await core.store.get(ids[n]!);
    const templateId = stages[conv?.deadlineOnSent ?? '']?.send;
    if (!conv || !templateId) throw new Error(`conversation ${ids[n]} waits for no SMS`);
    await core.conversations.apply(conv.id, { type: 'sent', templateId, at: clock }, `sent:${templateId}`);
  });
  const due = (await core.store.deadlines.count()) - NOT_DUE;
  console.log(
    `deadlines — ${fmt(DEADLINES)} conversations created in ${fmt(performance.now() - created)} ms`,
  );
  console.log(`${fmt(due)} deadlines set; clock moved a year ahead: all due at once`);
  clock += 366 * 86_400_000;
  const others = await Promise.all(
    Array.from({ length: Math.max(0, SWEEPERS - 1) }, () => startSweeper(redisServer.url, clock)),
  );

  const stats = await commandStats(admin);
  const bytesIn = await redisInputBytes(admin);
  const othersCpu = others.map((o) => processCpuMs(o.pid));
  const cpu = process.cpuUsage();
  const redisCpu = await redisCpuMs(admin);
  const started = performance.now();
  let handled = 0;
  let ticks = 0;
  let firstPassMs = 0;
  let byOthers = 0;
  await profiled('deadlines', async () => {
    const theirs = Promise.all(others.map((o) => o.go()));
    for (let n = await sweeper.tick(); n > 0; n = await sweeper.tick()) {
      handled += n;
      ticks++;
    }
    byOthers = (await theirs).reduce((a, b) => a + b, 0);
    firstPassMs = performance.now() - started;
    // What the others fired may have set further deadlines, due at once as well.
    for (let n = await sweeper.tick(); n > 0; n = await sweeper.tick()) {
      handled += n;
      ticks++;
    }
  });
  const ms = performance.now() - started;
  const byThis = handled;
  handled += byOthers;
  const left = (await core.store.deadlines.count()) - NOT_DUE;
  const cpuMs = cpuMsSince(cpu) + others.reduce((sum, o, i) => sum + processCpuMs(o.pid) - othersCpu[i]!, 0);
  await Promise.all(others.map((o) => o.stop()));
  const redisMs = (await redisCpuMs(admin)) - redisCpu;
  const commands = commandsPer(stats, await commandStats(admin), handled);
  const bytes = (await redisInputBytes(admin)) - bytesIn;
  console.log(
    `${fmt(handled)} deadlines handled in ${ticks} ticks, ${fmt(ms)} ms: ${fmt((handled / ms) * 1000)}/s ` +
      `(first ${fmt(due)} in ${fmt(firstPassMs)} ms; ${SWEEPERS} sweeping processes, this one ${fmt(byThis)}); ` +
      `${left} left in the index`,
  );
  console.log(
    `CPU per deadline: sweeping processes ${(cpuMs / handled).toFixed(3)} ms, redis ${(redisMs / handled).toFixed(3)} ms`,
  );
  console.log(
    `Redis commands per deadline: ${commands.calls.toFixed(1)}, ${fmt(bytes / handled)} bytes sent to it; most time: ${commands.top}`,
  );
  summary({
    conversations: DEADLINES,
    not_due: NOT_DUE,
    deadlines_due: due,
    deadlines_handled: handled,
    deadlines_per_s: (handled / ms) * 1000,
    first_pass_ms: firstPassMs,
    ticks,
    sweepers: SWEEPERS,
    left,
    cpu_ms_per_deadline: cpuMs / handled,
    redis_cpu_ms_per_deadline: redisMs / handled,
    redis_commands_per_deadline: commands.calls,
    redis_bytes_in_per_deadline: bytes / handled,
  });
} finally {
  await sweeper.stop();
  await core.close();
  redis.disconnect();
  admin.disconnect();
  await redisServer.stop();
}
