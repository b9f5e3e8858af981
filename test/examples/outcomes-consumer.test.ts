/**
 * examples/outcomes-consumer.mjs, driven end to end: a gateway with the carrier simulator invites,
 * the citizen refuses, and the example consumer receives each outcome once.
 */
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutcomesConsumer } from '../../examples/outcomes-consumer.mjs';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisUrl } from '../support/redis.js';
import { invite, numbers } from '../support/scenario.js';

let t: TestGateway;
let connection: Redis;
let worker: Worker;
const received: Array<{ jobId: string; outcome: string; conversationId: string }> = [];

beforeAll(async () => {
  t = await startTestGateway();
  connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  worker = startOutcomesConsumer({
    connection,
    prefix: t.prefixes.queuePrefix,
    onOutcome: (data, jobId) => {
      received.push({ jobId, ...data });
    },
  });
});
afterAll(async () => {
  await worker?.close();
  await connection?.quit();
  await t?.stop();
});

const msisdn = numbers('727');

describe('examples/outcomes-consumer.mjs', () => {
  it('receives sent, delivered and refused of a school-meals invitation, each once', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, {
      parentFullName: 'Айгүл Сейітқызы',
      childFullName: 'Арман Серікұлы',
    });
    await t.sim.nextMessage((m) => m.destination === phone);
    await t.sim.injectReply({ from: phone, text: '3#2' });
    const mine = () => received.filter((r) => r.conversationId === conv.id);
    await eventually(
      () => Promise.resolve(mine().length >= 3 ? true : undefined),
      'three outcomes at the consumer',
      15_000,
    );
    expect(
      mine()
        .map((r) => r.outcome)
        .sort(),
    ).toEqual(['delivered', 'refused', 'sent']);
    for (const r of mine()) expect(r.jobId).toBe(`${conv.id}.${r.outcome}`);
  });
});
