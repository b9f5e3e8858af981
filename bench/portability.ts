/**
 * bench:portability — the ported-numbers table at national scale: load a file of 2 million
 * numbers (`--numbers=`), then the memory it holds per number and the cost of a lookup
 * (docs/performance.md, "Ported numbers"). Run with `node --expose-gc` for the heap figure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PortabilityFile } from '../gateway/smpp/portability-file.js';
import { fmt, option } from './support/harness.js';

const NUMBERS = option('numbers', 2_000_000);
const LOOKUPS = option('lookups', 2_000_000);
const CARRIERS = [
  { id: 'kcell', portabilityNames: ['KCELL', 'ACTIV'] },
  { id: 'beeline', portabilityNames: ['BEELINE'] },
  { id: 'tele2', portabilityNames: ['ALTEL'] },
];
const NAMES = ['KCELL', 'BEELINE', 'ALTEL', 'ACTIV'];
const number = (i: number): string => `770${String((i * 7919) % 100_000_000).padStart(8, '0')}`;

const file = path.join(mkdtempSync(path.join(tmpdir(), 'mnp-bench-')), 'ported.txt');
const lines: string[] = [];
for (let i = 0; i < NUMBERS; i++) lines.push(`${number(i)} ${NAMES[i % NAMES.length]}`);
writeFileSync(file, `${lines.join('\n')}\n`);
lines.length = 0;

const gc = (globalThis as { gc?: () => void }).gc;
/** Heap and array buffers in use after full collections. */
const used = (): number => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = used();
const started = performance.now();
const source = await new PortabilityFile({
  path: file,
  carriers: CARRIERS,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  pollMs: 3_600_000,
}).start();
const loadMs = performance.now() - started;
const table = source.table;
const held = used() - before;
console.log(
  `bench:portability — ${fmt(table.size)} numbers loaded in ${fmt(loadMs)} ms; table ${fmt(table.bytes)} bytes ` +
    `(${(table.bytes / table.size).toFixed(1)} per number); heap + array buffers held after GC ` +
    `${gc ? '' : '(no --expose-gc) '}${fmt(held)} bytes (${(held / table.size).toFixed(1)} per number)`,
);
let hits = 0;
const t0 = performance.now();
for (let i = 0; i < LOOKUPS; i++) if (table.carrierOf(number(i * 3)) !== undefined) hits++;
const perLookupNs = ((performance.now() - t0) * 1e6) / LOOKUPS;
console.log(
  `${fmt(LOOKUPS)} lookups (${fmt(hits)} ported): ${perLookupNs.toFixed(0)} ns each, the number's string built included`,
);
source.close();
