// A downstream consumer of the gateway's `outcomes` queue (docs/integration.md), in plain Node
// with BullMQ. Run beside a gateway (`npm run demo` prints its REDIS_URL):
//
//   REDIS_URL=redis://127.0.0.1:6379 node examples/outcomes-consumer.mjs
//
// Each outcome is printed as one JSON line. The job is acknowledged when the handler returns;
// a handler that throws makes BullMQ retry the job (15 attempts over about 23 hours), with the
// same id and data.
// An outcome with `test: true` is of a test key's conversation (docs/integration.md, "Test keys"):
// no citizen was written to; act on it only in a test environment.
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * Starts a worker on `outcomes`. `onOutcome(data, jobId)` is called once per outcome (again only
 * if it threw): make it idempotent by the job id, `<conversationId>.<outcome>`.
 */
export function startOutcomesConsumer({ connection, prefix = 'bull', onOutcome }) {
  const worker = new Worker(
    'outcomes',
    async (job) => {
      if (job.name !== 'outcome.v1') throw new Error(`unknown job ${job.name}: upgrade this consumer`);
      await onOutcome(job.data, job.id);
    },
    { connection, prefix, concurrency: 4 },
  );
  worker.on('error', (err) => console.error('outcomes consumer:', err.message));
  return worker;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: null,
  });
  const worker = startOutcomesConsumer({
    connection,
    prefix: process.env.BULLMQ_PREFIX ?? 'bull',
    onOutcome: (data, jobId) => console.log(JSON.stringify({ jobId, ...data })),
  });
  process.on('SIGINT', () => void worker.close().then(() => connection.quit()));
}
