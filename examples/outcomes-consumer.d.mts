// Types of the example, for TypeScript consumers and the test that drives it.
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

export interface Outcome {
  readonly v: 1;
  readonly conversationId: string;
  readonly service: string;
  readonly externalId: string;
  readonly state: string;
  readonly outcome: string;
  readonly at: string;
  readonly [field: string]: unknown;
}

export function startOutcomesConsumer(options: {
  connection: Redis;
  prefix?: string;
  onOutcome: (data: Outcome, jobId: string) => void | Promise<void>;
}): Worker;
