/**
 * The whole gateway in-process with three carriers: Kcell/Activ and Beeline on the simulator,
 * Tele2/Altel on the independent Perl SMSC, routed by prefix, with a portability file the test
 * rewrites (docs/smpp.md, "Ported numbers").
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, type GatewayHandle, type StartOptions } from '../../gateway/gateway.js';
import { testClock, type TestClock } from './core.js';
import { KEYS } from './gateway.js';
import { PerlSmsc } from './perl-smsc.js';
import { redisUrl, testPrefix } from './redis.js';

export interface CarriersGateway {
  readonly gateway: GatewayHandle;
  readonly kcell: CarrierSimulator;
  readonly beeline: CarrierSimulator;
  readonly tele2: PerlSmsc;
  readonly clock: TestClock;
  /** Replaces the portability file whole (written aside, then renamed, as an operator's job should). */
  writePorted(lines: readonly string[]): void;
  stop(): Promise<void>;
}

/** Extra fields of each carrier in CARRIERS_FILE. */
export type CarrierExtras = Partial<Record<'kcell' | 'beeline' | 'tele2', Record<string, unknown>>>;

/** Kazakhstan's three mobile carriers: their number ranges and the names the MNP database's export gives them. */
export const KZ_CARRIERS = [
  { id: 'kcell', routes: ['7701', '7702', '7775', '7778'], portabilityNames: ['KCELL', 'ACTIV'] },
  { id: 'beeline', routes: ['7705', '7771', '7776', '7777'], portabilityNames: ['BEELINE', 'KAR-TEL'] },
  { id: 'tele2', routes: ['7700', '7707', '7708', '7747'], portabilityNames: ['TELE2', 'ALTEL'] },
] as const;

/** Replaces `file` whole with `lines`: written aside, then renamed, as an operator's export job should. */
export function replaceLines(file: string, lines: readonly string[]): void {
  writeFileSync(`${file}.tmp`, lines.map((l) => `${l}\n`).join(''));
  renameSync(`${file}.tmp`, file);
}

export async function startCarriersGateway(
  options: {
    extras?: CarrierExtras;
    env?: Record<string, string>;
    ported?: readonly string[];
    start?: Partial<StartOptions>;
  } = {},
): Promise<CarriersGateway> {
  const [kcell, beeline, tele2] = await Promise.all([
    CarrierSimulator.start({ port: 0, receiptDelayMs: 0 }),
    CarrierSimulator.start({ port: 0, receiptDelayMs: 0 }),
    PerlSmsc.start(['--dlr-delay-ms', '0']),
  ]);
  const dir = mkdtempSync(path.join(tmpdir(), 'carriers-'));
  const portabilityFile = path.join(dir, 'ported.txt');
  const writePorted = (lines: readonly string[]): void => replaceLines(portabilityFile, lines);
  writePorted(options.ported ?? []);
  const bind = (port: number) => [{ host: '127.0.0.1', port, systemId: 'gw', password: 'secret' }];
  const carriersFile = path.join(dir, 'carriers.json');
  writeFileSync(
    carriersFile,
    JSON.stringify({
      defaultCarrier: 'beeline',
      carriers: KZ_CARRIERS.map((c) => ({
        ...c,
        binds: bind({ kcell: kcell.port, beeline: beeline.port, tele2: tele2.smppPort }[c.id]),
        ...options.extras?.[c.id],
      })),
    }),
  );
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    HTTP_PORT: '0',
    CARRIERS_FILE: carriersFile,
    PORTABILITY_FILE: portabilityFile,
    API_KEYS: `system:${KEYS.system},agent:${KEYS.agent},supervisor:${KEYS.supervisor}`,
    ...options.env,
  });
  const clock = testClock();
  const prefix = testPrefix('gw');
  const gateway = await startGateway(config, {
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    now: clock.now,
    keyPrefix: `gw-${prefix}`,
    queuePrefix: `{bull-${prefix}}`,
    sweepIntervalMs: 0,
    deadlineGraceMs: 0,
    portabilityPollMs: 50,
    smpp: { overrides: { reconnect: { initialMs: 50, maxMs: 500 }, enquireLinkMs: 5000 } },
    ...options.start,
  });
  await gateway.transport.until((cs) => cs.every((c) => c.ready), 10_000);
  return {
    gateway,
    kcell,
    beeline,
    tele2,
    clock,
    writePorted,
    async stop() {
      await gateway.stop();
      await Promise.all([kcell.stop(), beeline.stop(), tele2.stop()]);
    },
  };
}
