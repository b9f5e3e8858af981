/**
 * examples/outcomes-consumer.mjs, driven end to end: a gateway with the carrier simulator invites,
 * the citizen refuses, and the example consumer receives each outcome once.
 */
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutcomesConsumer } from '../../examples/outcomes-consumer.mjs';
import { outcomeOf, sentOutcome } from '../../gateway/core/outcomes.js';
import { outcomeJobId } from '../../queues/outcomes.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisUrl } from '../support/redis.js';
import { invite, numbers } from '../support/scenario.js';

let t: TestGateway;
let connection: Redis;
let worker: Worker;
const received: Array<{ jobId: string; outcome: string; conversationId: string }> = [];
/** Job ids the consumer throws on once, as a downstream system that is briefly unavailable. */
const failOnce = new Set<string>();

beforeAll(async () => {
  t = await startTestGateway();
  connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  worker = startOutcomesConsumer({
    connection,
    prefix: t.prefixes.queuePrefix,
    onOutcome: (data, jobId) => {
      if (failOnce.delete(jobId)) throw new Error('downstream briefly unavailable');
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
const MEALS = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' };

describe('examples/outcomes-consumer.mjs', () => {
  it('receives sent, delivered and refused of a school-meals invitation, each once', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
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

  it('an outcome the consumer threw on comes again with the same id and data', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
    const id = outcomeJobId(conv.id, 'refused');
    failOnce.add(id);
    await t.sim.nextMessage((m) => m.destination === phone);
    await t.sim.injectReply({ from: phone, text: '3#2' });
    const { outcomes: queue } = t.gateway.core.queues;
    await eventually(
      async () => ((await queue.getJobState(id)) === 'completed' ? true : undefined),
      'the refused outcome completed on its second attempt',
      15_000,
    );
    expect(failOnce.has(id)).toBe(false);
    const refused = received.filter((r) => r.jobId === id);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ conversationId: conv.id, outcome: 'refused' });
  });

  it('an outcome replayed after the consumer completed its job and the job was removed adds no second job', async () => {
    const phone = msisdn();
    const conv = await invite(t, 'school-meals', phone, MEALS);
    await t.sim.nextMessage((m) => m.destination === phone);
    await t.sim.injectReply({ from: phone, text: '3#2' });
    const outcomes = ['delivered', 'refused', 'sent'];
    const ids = outcomes.map((o) => outcomeJobId(conv.id, o));
    const { outcomes: queue } = t.gateway.core.queues;
    await eventually(async () => {
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
      return states.every((s) => s === 'completed') ? true : undefined;
    }, 'the three outcomes completed by the consumer');
    const stored = await t.gateway.core.store.get(conv.id);
    if (!stored) throw new Error('conversation gone');
    // What the keep age does an hour after the consumer completed them.
    for (const id of ids) await queue.remove(id);

    // What a crash between each hand-over and its mark or ack would replay, a day later: the
    // outbox's entry, the sender's retried job, the receipt worker's retried receipt.
    const later = t.clock.now() + 86_400_000;
    const zone = t.gateway.core.calendar.zone;
    await t.gateway.core.outbox.flush(conv.id, {
      entries: [{ t: 'outcome', job: outcomeOf(stored, 'refused', later, zone) }],
      conversation: stored,
    });
    const invitation = { service: stored.service, externalId: stored.externalId, state: 'invited' as const };
    const sms = {
      conversationId: conv.id,
      smsId: '0.0',
      to: phone,
      text: '',
      templateId: 't',
      asksConsent: true,
    };
    await t.gateway.core.outcomes.emit([
      sentOutcome({ ...sms, invitation }, later, zone),
      outcomeOf(stored, 'delivered', later, zone, { stat: 'DELIVRD', err: '000' }),
    ]);

    for (const id of ids) expect(await queue.getJob(id)).toBeUndefined();
    expect(
      received
        .filter((r) => r.conversationId === conv.id)
        .map((r) => r.outcome)
        .sort(),
    ).toEqual(outcomes);
  });
});
