/**
 * `npm run bench`: every benchmark in sequence, each in its own process (its own Redis and sink),
 * then their summary lines together. Sizes: each bench's own defaults, or `BENCH_*` env variables
 * (e.g. `BENCH_MESSAGES=5000`, `BENCH_CONVERSATIONS=100000`). Figures are printed, never asserted.
 *
 *   npx tsx bench/run-all.ts [name ...]    e.g. `npx tsx bench/run-all.ts smpp inbound-split`
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from './support/node-flags.js';

/**
 * name → its file in bench/ and arguments; `inbound-split`: edge and a workers process apart;
 * `outbound-split`: invitations in an api process, their sending in an edge process;
 * `deadlines-10m`: 100,000 due among 10 million deadlines in the index (≈ 1.5 GB of Redis), run
 * only when named.
 */
const BENCHES: Record<string, readonly [file: string, ...args: string[]]> = {
  parser: ['parser'],
  smpp: ['smpp'],
  outbound: ['outbound'],
  'outbound-split': ['outbound', '--split=1'],
  inbound: ['inbound'],
  'inbound-split': ['inbound', '--split=1'],
  memory: ['memory'],
  deadlines: ['deadlines'],
  cluster: ['cluster'],
  'deadlines-10m': ['deadlines', '--deadlines=100000', '--not-due=9900000'],
};
const WHEN_NAMED = new Set(['deadlines-10m']);

/** Runs one bench, echoing its output; resolves with its exit code and last line. */
function run(name: string): Promise<{ code: number; last: string }> {
  const [bench, ...args] = BENCHES[name] as readonly [string, ...string[]];
  const file = fileURLToPath(new URL(`./${bench}.ts`, import.meta.url));
  // The gateway's production flags (package.json `start`, Dockerfile): the benches run it in-process.
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = '';
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    last = lines.filter((l) => l.trim()).pop() ?? last;
  });
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? 1, last: buffered.trim() || last })),
  );
}

const chosen = process.argv.slice(2);
const names =
  chosen.length > 0
    ? Object.keys(BENCHES).filter((b) => chosen.includes(b))
    : Object.keys(BENCHES).filter((b) => !WHEN_NAMED.has(b));
const lines: string[] = [];
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name}.ts`);
  const started = Date.now();
  const { code, last } = await run(name);
  if (code !== 0) failed++;
  lines.push(`${name}: ${code === 0 ? last : `FAILED (exit ${code})`}`);
  console.log(`=== ${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log('\n=== summary');
for (const line of lines) console.log(line);
process.exitCode = failed === 0 ? 0 : 1;
