/**
 * What every benchmark shares: its own redis-server, the sink SMSC in a child process, a gateway
 * wired to both (the pattern of test/support/gateway.ts, without vitest), sizes from argv/env,
 * and the `name=value …` summary line. Figures are printed, never asserted (STYLE.md, Tests).
 * Longer than 300 lines: what every benchmark shares, in one place.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../gateway/config.js';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { startGateway, type GatewayHandle } from '../../gateway/gateway.js';
import type { InjectPlan, InjectResult } from '../../test/support/peers/inject.js';
import { WORKERS_NODE_FLAGS } from './node-flags.js';

/**
 * A 3-part Kazakh UCS2 text (190 characters; 67 per part, the target's "3-part Kazakh text"):
 * what a proactive-service invitation looks like on the wire.
 */
export const KAZAKH_3_PART =
  'Құрметті Айгүл Сейітқызы! Сізге үйде оқыту бойынша әлеуметтік көмек тағайындалды. ' +
  'Төлемді алу үшін банкті таңдаңыз: 123#3#1 деп жауап беріңіз. Сұрақтар болса 1414 нөміріне ' +
  'хабарласыңыз. eGov';

/** `--name=value` from argv, else env `BENCH_NAME`, else `fallback`. */
export function option(name: string, fallback: number): number {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = flag?.slice(name.length + 3) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

/** `--name=value` as text (e.g. `--sink=sim`). */
export function textOption(name: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag?.slice(name.length + 3) ?? process.env[`BENCH_${name.toUpperCase()}`] ?? fallback;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints the summary line every bench ends with: `name=value …`, numbers rounded sensibly. */
export function summary(figures: Record<string, number | string>): void {
  const show = (v: number | string): string =>
    typeof v === 'number' ? String(Math.abs(v) >= 100 ? Math.round(v) : Number(v.toPrecision(3))) : v;
  console.log(
    Object.entries(figures)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(' '),
  );
}

/** CPU milliseconds (user + system) spent since `start`. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * CPU milliseconds the machine's processes have used so far, on every core (Linux /proc/stat; 0
 * elsewhere): less the bench's own processes, what other work took during a measured phase.
 */
export function machineCpuMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user, nice and system, in clock ticks of 10 ms: the time processes were charged, which the
    // bench's own processes are measured in too (interrupts and the hypervisor's steal are not).
    const busy = (fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0);
    return busy * 10;
  } catch {
    return 0;
  }
}

/** Redis server CPU seconds so far (INFO cpu), to charge the store its share. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** Calls and microseconds of each Redis command so far (INFO commandstats). */
export async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const m of (await redis.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return stats;
}

/**
 * Redis commands per unit of work between two `commandStats` readings: the total, and the
 * commands that took most of Redis's time, e.g. `evalsha 4.0 (31 µs)`.
 */
export function commandsPer(
  before: Map<string, { calls: number; usec: number }>,
  after: Map<string, { calls: number; usec: number }>,
  units: number,
): { calls: number; usec: number; top: string } {
  const diff = [...after].map(([name, a]) => {
    const b = before.get(name) ?? { calls: 0, usec: 0 };
    return { name, calls: (a.calls - b.calls) / units, usec: (a.usec - b.usec) / units };
  });
  const top = diff
    .filter((d) => d.calls > 0)
    .sort((x, y) => y.usec - x.usec)
    .slice(0, process.env.BENCH_COMMANDS === 'all' ? undefined : 8)
    .map((d) => `${d.name} ${d.calls.toFixed(2)} (${d.usec.toFixed(0)} µs)`)
    .join(', ');
  const sum = (f: (d: (typeof diff)[number]) => number) => diff.reduce((n, d) => n + f(d), 0);
  return { calls: sum((d) => d.calls), usec: sum((d) => d.usec), top };
}

/**
 * With `BENCH_PROFILE=<dir>`, records a CPU profile of this process while `work` runs (the
 * measured phase only, not the set-up) into `<dir>/<label>.cpuprofile`, for Chrome DevTools.
 */
export async function profiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return work();
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(`${dir}/${label}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * CPU milliseconds this process's main thread (the event loop, where all JavaScript runs) has used
 * so far, without the GC and compiler threads `process.cpuUsage()` counts too: what one process's
 * rate is capped by (Linux /proc, 10 ms ticks; 0 elsewhere).
 */
export function mainThreadCpuMs(): number {
  return processCpuMs(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`);
}

/** CPU milliseconds (user + system) another process has used so far (Linux /proc; 0 elsewhere). */
export function processCpuMs(pid: number, path = `/proc/${pid}/stat`): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** One measured outbound run: segments/s at the sink, CPU ms per 1,000 segments of client, Redis, sink. */
export interface Run {
  readonly rate: number;
  readonly wallMs: number;
  readonly cpuPer1k: number;
  readonly redisCpuPer1k: number;
  readonly sinkCpuPer1k: number;
}

/**
 * The figures of one run: the sink's rate (first to last submit_sm) and the CPU per 1,000
 * segments of this process since `cpu`, of the sink, and of Redis (`redisCpuMs`, its ms used).
 */
export function runFigures(
  result: { readonly submits: number; readonly ms: number; readonly cpuMs: number },
  since: { readonly cpu: NodeJS.CpuUsage; readonly started: number; readonly segments: number },
  redisCpuMs = 0,
): Run {
  const per1k = (ms: number): number => (ms / since.segments) * 1000;
  return {
    rate: (result.submits / result.ms) * 1000,
    wallMs: performance.now() - since.started,
    cpuPer1k: per1k(cpuMsSince(since.cpu)),
    redisCpuPer1k: per1k(redisCpuMs),
    sinkCpuPer1k: per1k(result.cpuMs),
  };
}

/** The sink SMSC in its child process. */
export interface Sink {
  readonly port: number;
  /** The sink's process, for its CPU (`processCpuMs`). */
  readonly pid: number;
  readonly kind: string;
  /**
   * Resolves once `submits` more submit_sm than all earlier `expect`s named have arrived (counted
   * from the start, so late parts of an earlier phase count there): the span from this phase's
   * first submit to the last, and the sink's CPU meanwhile.
   */
  expect(submits: number): Promise<{ submits: number; ms: number; cpuMs: number }>;
  inject(plan: InjectPlan): Promise<InjectResult>;
  stop(): Promise<void>;
}

async function reply<T>(child: ChildProcess, type: string): Promise<T> {
  for (;;) {
    const [message] = (await once(child, 'message')) as [{ type: string } & T];
    if (message.type === type) return message;
  }
}

/** Forks test/support/peers/sink.ts (`raw` = bare smpp server, `sim` = CarrierSimulator). */
export async function startSink(kind = 'raw', options: { idWidth?: number } = {}): Promise<Sink> {
  const child = fork(new URL('../../test/support/peers/sink.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SINK: kind, SINK_ID_WIDTH: String(options.idWidth ?? 0) },
  });
  const { port } = await reply<{ port: number }>(child, 'ready');
  let total = 0;
  return {
    port,
    pid: child.pid ?? 0,
    kind,
    expect(submits) {
      const done = reply<{ submits: number; ms: number; cpuMs: number }>(child, 'done');
      total += submits;
      child.send({ type: 'expect', submits: total });
      return done;
    },
    async inject(plan) {
      const done = reply<InjectResult & { error?: string }>(child, 'injected');
      child.send({ type: 'inject', ...plan });
      const result = await done;
      if (result.error) throw new Error(result.error);
      return result;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

export { startRedisServer, type RedisServerHandle };

export interface BenchGatewayOptions {
  readonly redisUrl: string;
  readonly smppPort: number;
  /** Key/queue prefix of this run (`gw-<prefix>`, `bull-<prefix>`). */
  readonly prefix: string;
  /** The key prefix itself, e.g. production's `gw` on a Redis of the bench's own. */
  readonly keyPrefix?: string;
  /** The queue prefix itself, e.g. production's `bull`. */
  readonly queuePrefix?: string;
  /** SMPP_WINDOW. Default 100. */
  readonly window?: number;
  /**
   * SMPP_TPS. Default "unlimited": a rate no run reaches, set on the loaded configuration since the
   * environment takes at most 10,000 a bind.
   */
  readonly tps?: number;
  readonly now?: () => number;
  /** More configuration, e.g. PORTABILITY_FILE. */
  readonly env?: Record<string, string>;
  /** GATEWAY_ROLE: `edge` leaves reply processing to a `workers` process (startBenchWorkers). */
  readonly role?: 'all' | 'edge';
}

/** A whole gateway in this process against the bench's Redis and sink (test/support/gateway.ts). */
export async function startBenchGateway(options: BenchGatewayOptions): Promise<GatewayHandle> {
  const loaded = loadConfig({
    REDIS_URL: options.redisUrl,
    HTTP_PORT: '0',
    SMPP_HOST: '127.0.0.1',
    SMPP_PORT: String(options.smppPort),
    SMPP_SYSTEM_ID: 'gw',
    SMPP_PASSWORD: 'secret',
    SMPP_WINDOW: String(options.window ?? 100),
    SMPP_TPS: String(options.tps ?? 10_000),
    API_KEYS: 'system:bench-system-key-0123456789',
    GATEWAY_ROLE: options.role ?? 'all',
    // Invitations go out at once whatever the hour and day of the run (CONTRACT.md, SEND_WINDOW).
    SEND_WINDOW: 'always',
    ...options.env,
  });
  const config =
    options.tps === undefined
      ? { ...loaded, carriers: loaded.carriers.map((c) => ({ ...c, tps: 1_000_000 })) }
      : loaded;
  const gateway = await startGateway(config, {
    log: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }),
    keyPrefix: options.keyPrefix ?? `gw-${options.prefix}`,
    queuePrefix: options.queuePrefix ?? `bull-${options.prefix}`,
    sweepIntervalMs: 0,
    ...(options.now ? { now: options.now } : {}),
    smpp: { overrides: { reconnect: { initialMs: 50, maxMs: 500 } } },
  });
  await gateway.transport.until((carriers) => carriers.every((c) => c.ready), 10_000);
  return gateway;
}

/** Home-schooling invitation params (as test/support/core.ts): 2 banks, so the offer is multipart UCS2. */
export function homeSchoolingParams(): Record<string, unknown> {
  const kaspi = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' };
  const halyk = { code: 'HSBK', nameKk: 'Halyk Bank', nameRu: 'Народный банк (Halyk)' };
  const otbasy = { code: 'HCSK', nameKk: 'Отбасы банк', nameRu: 'Отбасы банк' };
  return {
    fullName: 'Айгүл Сейітқызы',
    serviceCode: '123',
    banks: [kaspi],
    integratedBanks: [halyk, kaspi, otbasy],
  };
}

/** SMS parts a conversation has sent so far, read from its timeline (the renderer's segmentation). */
export async function smsParts(gateway: GatewayHandle, conversationId: string): Promise<number> {
  const timeline = await gateway.core.store.timeline(conversationId);
  return timeline.reduce((n, e) => n + (e.kind === 'sms' ? Number(e.parts ?? 0) : 0), 0);
}

/** The i-th benchmark MSISDN (7XXXXXXXXXX). */
export function msisdn(i: number): string {
  return `7701${String(i).padStart(7, '0')}`;
}

/** Runs `work` over 0..count-1 with at most `limit` in flight. */
export async function bounded(count: number, limit: number, work: (i: number) => Promise<unknown>) {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/**
 * A GATEWAY_ROLE=workers process (reply processing, deadlines) on the bench's Redis and prefix,
 * started as production would run it beside an `edge` process. Resolves once it is ready.
 */
export async function startBenchWorkers(options: {
  redisUrl: string;
  prefix: string;
  /** The queue prefix itself (`{bull-x}` on Cluster); default `bull-<prefix>`. */
  queuePrefix?: string;
  /** More configuration, e.g. REDIS_CLUSTER_NODES. */
  env?: Record<string, string>;
}): Promise<{ readonly pid: number; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  // The production flags of a workers process (node-flags.ts); more from
  // BENCH_WORKERS_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp`: a profile of the workers process).
  const extra = process.env.BENCH_WORKERS_NODE_FLAGS?.split(' ').filter((f) => f !== '') ?? [];
  const child = spawn(
    process.execPath,
    [...WORKERS_NODE_FLAGS, ...extra, '--import', 'tsx', 'test/faults/gateway-process.ts'],
    {
      env: {
        ...process.env,
        GATEWAY_ROLE: 'workers',
        SEND_WINDOW: 'always',
        REDIS_URL: options.redisUrl,
        HTTP_PORT: '0',
        API_KEYS: 'system:bench-system-key-0123456789',
        GW_KEY_PREFIX: `gw-${options.prefix}`,
        GW_QUEUE_PREFIX: options.queuePrefix ?? `bull-${options.prefix}`,
        GW_SWEEP_INTERVAL_MS: '1000',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`workers process exited with ${code}`)));
  });
  return {
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
