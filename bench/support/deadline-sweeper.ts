/**
 * Another sweeping process for bench/deadlines.ts (`--sweepers=N`): the bench's store, queues and
 * clock (argv), started before the measured phase. On `go` (a line on stdin) it sweeps until
 * nothing is due, prints `handled=<n>`, and exits on `stop`, so the bench reads its CPU first.
 *
 *   node --import tsx bench/support/deadline-sweeper.ts <redis url> <clock ms> <batch> <parallel> <in flight>
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { createCore } from '../../gateway/core/runtime.js';
import { createSweeper } from '../../gateway/core/sweeper.js';
import { connectRedis } from '../../store/connection.js';

const [url = '', clockMs, batch, parallel, inFlight] = process.argv.slice(2);
const clock = Number(clockMs);
const redis = connectRedis({ url, clusterNodes: [] });
const log = pino({ level: 'silent' });
const core = await createCore({ redis, log, keyPrefix: 'gw-dl', queuePrefix: 'bull-dl', now: () => clock });
const sweeper = createSweeper({
  core,
  log,
  intervalMs: 0,
  graceMs: 0,
  batch: Number(batch),
  parallel: Number(parallel),
  inFlight: Number(inFlight),
});
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go') {
    let handled = 0;
    for (let n = await sweeper.tick(); n > 0; n = await sweeper.tick()) handled += n;
    console.log(`handled=${handled}`);
  } else if (line === 'stop') break;
}
await sweeper.stop();
await core.close();
redis.disconnect();
