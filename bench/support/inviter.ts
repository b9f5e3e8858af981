/**
 * A gateway process that takes invitations and sends nothing itself (`GATEWAY_ROLE` from the
 * environment, `api` in bench/outbound.ts `--split=1`), driven by its parent over IPC: each
 * message `{ from, count, concurrency }` runs that many `conversations.invite()` calls, as the
 * HTTP API's handler makes them, and answers with their wall time and this process's CPU.
 * Prints "ready" on IPC once started.
 *
 * Run: fork('bench/support/inviter.ts') with execArgv `--import tsx`.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config.js';
import { startApiProcess } from '../../gateway/gateway.js';
import { bounded, cpuMsSince, homeSchoolingParams, mainThreadCpuMs, msisdn, profiled } from './harness.js';

export interface InviteRun {
  readonly from: number;
  readonly count: number;
  readonly concurrency: number;
  /** BENCH_PROFILE's file name for this run (none: not profiled). */
  readonly profile?: string;
}

export interface InviteRunDone {
  readonly ms: number;
  readonly cpuMs: number;
  readonly mainMs: number;
}

const env = process.env;
const config = loadConfig(env);
const gateway = await startApiProcess(config, {
  log: pino({ level: env.BENCH_LOG_LEVEL ?? 'silent' }),
  ...(env.GW_KEY_PREFIX ? { keyPrefix: env.GW_KEY_PREFIX } : {}),
  ...(env.GW_QUEUE_PREFIX ? { queuePrefix: env.GW_QUEUE_PREFIX } : {}),
  sweepIntervalMs: 0,
});
const { conversations } = gateway.core;

async function run(job: InviteRun): Promise<InviteRunDone> {
  const cpu = process.cpuUsage();
  const main = mainThreadCpuMs();
  const started = performance.now();
  const work = () =>
    bounded(job.count, job.concurrency, (i) =>
      conversations.invite({
        service: 'home-schooling',
        externalId: `out-${job.from + i}`,
        msisdn: msisdn(job.from + i),
        language: 'kk',
        params: homeSchoolingParams(),
      }),
    );
  await (job.profile ? profiled(job.profile, work) : work());
  return { ms: performance.now() - started, cpuMs: cpuMsSince(cpu), mainMs: mainThreadCpuMs() - main };
}

process.on('message', (message: InviteRun | 'stop') => {
  if (message === 'stop') {
    void gateway.stop().then(() => process.exit(0));
    return;
  }
  void run(message).then((done) => process.send?.(done));
});
process.send?.('ready');
