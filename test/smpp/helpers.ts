/** Shared set-up for the SMPP integration tests: a bind against a peer, with a recording logger. */
import { Registry } from 'prom-client';
import { SmppBind } from '../../gateway/smpp/bind.js';
import { bindConfig, type BindConfigInput } from '../../gateway/smpp/config.js';
import type { Logger } from '../../gateway/smpp/logger.js';
import { createSmppMetrics } from '../../gateway/smpp/metrics.js';

export interface Recorded {
  readonly level: string;
  readonly obj: object;
  readonly msg: string;
}

/** A pino-shaped logger that keeps every line for assertions. */
export function recordingLogger(): Logger & { lines: Recorded[] } {
  const lines: Recorded[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A started bind to 127.0.0.1:`port` with test-friendly timings; close it in afterEach. */
export function testBind(port: number, overrides: Partial<BindConfigInput> = {}) {
  const logger = recordingLogger();
  const registry = new Registry();
  const config = bindConfig({
    id: 'test-1',
    host: '127.0.0.1',
    port,
    systemId: 'gw',
    password: 'secret',
    reconnect: { initialMs: 20, maxMs: 200 },
    closeTimeoutMs: 2000,
    tps: 0,
    ...overrides,
  });
  const bind = new SmppBind(config, { logger, metrics: createSmppMetrics(registry) });
  return { bind: bind.start(), logger, registry };
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Metric value from the registry's JSON (undefined if absent). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  // Histograms list their _count/_sum/_bucket series under the base name, each with its metricName.
  const values = (await registry.getMetricsAsJSON()).flatMap((m) =>
    m.values.map((v) => ({ ...v, series: (v as { metricName?: string }).metricName ?? m.name })),
  );
  const value = values.find(
    (v) =>
      v.series === name &&
      Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return value?.value;
}
