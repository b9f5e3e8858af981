/**
 * The portability data file (PORTABILITY_FILE): loaded at start-up, reloaded when it changes
 * (its size, mtime or inode), validated line by line (portability.ts). A file with bad lines
 * loads without them, counted, the first few line numbers logged and exported; an operator no
 * carrier claims, or a file that cannot be read, keeps the table in force and is logged and
 * counted: the gateway never stops for it (docs/smpp.md, "Ported numbers").
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import readline from 'node:readline';
import { Counter, Gauge, type Registry } from 'prom-client';
import { logCode } from '../../common/errors.js';
import type { Logger } from './logger.js';
import { operatorNames, PortabilityBuilder, PortabilityTable, type LoadReport } from './portability.js';

export interface PortabilityFileOptions {
  readonly path: string;
  readonly carriers: ReadonlyArray<{
    readonly id: string;
    readonly portabilityNames?: readonly string[] | undefined;
  }>;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** How often the file is checked for a change. Default 10 s. */
  readonly pollMs?: number;
  readonly now?: () => number;
}

interface Loaded {
  readonly table: PortabilityTable;
  readonly report: LoadReport;
  /** File mtime (epoch ms) of the data in force. */
  readonly mtimeMs: number;
  readonly loadedAt: number;
}

const signature = (s: { size: number; mtimeMs: number; ino: number }): string =>
  `${s.size}:${s.mtimeMs}:${s.ino}`;

export class PortabilityFile {
  private loaded: Loaded | undefined;
  private seen = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private readonly metrics: ReturnType<typeof portabilityMetrics> | undefined;
  private readonly now: () => number;
  private readonly operators: ReadonlyMap<string, string>;

  constructor(private readonly options: PortabilityFileOptions) {
    this.now = options.now ?? Date.now;
    this.operators = operatorNames(options.carriers);
    this.metrics = options.registry && portabilityMetrics(options.registry, () => this.loaded, this.now);
  }

  /** The table in force (empty until a load succeeds). */
  get table(): PortabilityTable {
    return this.loaded?.table ?? PortabilityTable.EMPTY;
  }

  /** The last successful load's report, if any. */
  get report(): LoadReport | undefined {
    return this.loaded?.report;
  }

  /** Load now when the file changed since the last attempt; resolves true when a new table is in force. */
  reload(): Promise<boolean> {
    this.running ??= this.attempt().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Load once, then check every `pollMs` for a change. */
  async start(): Promise<this> {
    await this.reload();
    const tick = (): void => {
      void this.reload().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.options.pollMs ?? 10_000).unref();
      });
    };
    this.timer = setTimeout(tick, this.options.pollMs ?? 10_000).unref();
    return this;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async attempt(): Promise<boolean> {
    const { path, logger } = this.options;
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      if (this.seen === 'missing') return false; // logged once until it is back
      this.seen = 'missing';
      return this.failed(`cannot read: ${(err as Error).message}`, 'unreadable');
    }
    const sig = signature(info);
    if (sig === this.seen) return false;
    this.seen = sig;
    const builder = new PortabilityBuilder(this.operators);
    try {
      const lines = readline.createInterface({ input: createReadStream(path), crlfDelay: Infinity });
      for await (const line of lines) builder.add(line);
    } catch (err) {
      return this.failed((err as Error).message, 'invalid');
    }
    const { table, report } = builder.build();
    this.loaded = { table, report, mtimeMs: info.mtimeMs, loadedAt: this.now() };
    this.metrics?.reloads.inc({ result: 'loaded' });
    this.metrics?.rejectedLine.reset();
    for (const line of report.rejectedLines) this.metrics?.rejectedLine.set({ line: String(line) }, 1);
    const fields = { path, numbers: report.numbers, rejected: report.rejected };
    if (report.rejected > 0)
      logger.warn(
        { ...fields, firstRejectedLines: report.rejectedLines },
        'portability file loaded without its bad lines',
      );
    else logger.info(fields, 'portability file loaded');
    return true;
  }

  private failed(reason: string, result: 'unreadable' | 'invalid'): false {
    this.metrics?.reloads.inc({ result });
    this.options.logger.error(
      {
        ...logCode('GW_PORTABILITY_FILE_INVALID'),
        path: this.options.path,
        reason,
        numbers: this.table.size,
      },
      'portability file not loaded; the table in force stays',
    );
    return false;
  }
}

function portabilityMetrics(registry: Registry, loaded: () => Loaded | undefined, now: () => number) {
  const gauge = (name: string, help: string, read: (l: Loaded) => number): Gauge =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const l = loaded();
        this.set(l ? read(l) : 0);
      },
    });
  gauge('gateway_portability_numbers', 'ported numbers in the table in force', (l) => l.table.size);
  gauge('gateway_portability_bytes', 'memory the table in force holds', (l) => l.table.bytes);
  gauge(
    'gateway_portability_file_age_seconds',
    'age of the portability data in force (now - its file mtime)',
    (l) => (now() - l.mtimeMs) / 1000,
  );
  gauge(
    'gateway_portability_loaded_timestamp_seconds',
    'when the table in force was loaded (Unix time)',
    (l) => l.loadedAt / 1000,
  );
  gauge(
    'gateway_portability_rejected_lines',
    'lines of the file in force that were rejected (not a number, no operator, listed twice)',
    (l) => l.report.rejected,
  );
  return {
    rejectedLine: new Gauge({
      name: 'gateway_portability_rejected_line',
      help: 'the first rejected line numbers of the file in force (1 per line)',
      labelNames: ['line'],
      registers: [registry],
    }),
    reloads: new Counter({
      name: 'gateway_portability_reloads_total',
      help: 'portability file loads: loaded, invalid (an unknown operator), unreadable',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
