/**
 * Replies stored in one event-loop turn share one `inbound` job (gateway/core/inbound.ts), and a
 * batch's replies are decided each once (gateway/core/workers.ts): the SMSC's copy in the same
 * batch is a retransmission, and a retried batch changes nothing.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundHandler } from '../../gateway/core/inbound.js';
import type { WholeReply } from '../../gateway/core/ports.js';
import { InboundProcessor } from '../../gateway/core/replies.js';
import { decideBatch, Lanes } from '../../gateway/core/workers.js';
import { parseReply } from '../../parsers/reply.js';
import { REPLY_BATCH_JOB_NAME, REPLY_JOB_NAME, repliesOfJob, type ReplyJob } from '../../queues/jobs.js';
import type { StepCommit } from '../../store/conversations.js';
import { createTestCore, homeSchoolingParams, markSent, type TestCore } from '../support/core.js';

let core: TestCore;
beforeAll(async () => {
  core = await createTestCore();
});
afterAll(async () => {
  await core.close();
});

const log = pino({ level: 'silent' });
const allJobs = () =>
  core.queues.inbound.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);

const deliverSm = (from: string, text: string): WholeReply => ({
  kind: 'reply',
  bindId: 'test',
  from,
  to: '1414',
  payload: Buffer.from(text, 'latin1'),
  encoding: 'gsm7',
  text,
});

async function invited(msisdn: string, externalId: string): Promise<string> {
  const { conversation } = await core.conversations.invite({
    service: 'home-schooling',
    externalId,
    msisdn,
    language: 'ru',
    params: homeSchoolingParams(),
  });
  await markSent(core, conversation.id);
  return conversation.id;
}

describe('replies in batches', () => {
  it('stores the replies of one turn in one job, in the order received, and a lone reply in a job of its own', async () => {
    const handler = createInboundHandler({
      inbound: core.queues.inbound,
      store: core.store,
      log,
      now: core.now,
    });
    const from = ['77015550101', '77015550102', '77015550103'];
    const acks = await Promise.all(from.map((f) => handler(deliverSm(f, '123#3#1'))));
    expect(acks).toEqual(['stored', 'stored', 'stored']);
    expect(await handler(deliverSm('77015550104', '123#3#1'))).toBe('stored');
    const jobs = (await allJobs()).sort((a, b) => Number(a.id) - Number(b.id));
    expect(jobs.map((j) => j.name)).toEqual([REPLY_BATCH_JOB_NAME, REPLY_JOB_NAME]);
    expect(jobs.map((j) => repliesOfJob(j).map((r) => r.from))).toEqual([from, ['77015550104']]);
  });

  it("decides each reply of a batch once: the SMSC's copy in it is a retransmission, and a retried batch changes nothing", async () => {
    const phones = ['77015550201', '77015550202'];
    const ids = await Promise.all(phones.map((p, i) => invited(p, `batch-${i}`)));
    const receivedAt = core.now();
    const reply = (from: string, ref: string): ReplyJob => ({
      from,
      to: '1414',
      text: '123#3#1',
      receivedAt,
      smscMessageId: `mo-${ref}`,
    });
    const batch = [reply(phones[0]!, 'a'), reply(phones[1]!, 'b'), reply(phones[0]!, 'a')];
    const processor = new InboundProcessor(core, log);
    const counted: string[] = [];
    const decide = () => decideBatch(processor, batch, '7', (r) => counted.push(r));

    expect(await decide()).toEqual(['applied', 'applied', 'retransmission']);
    expect(await decide()).toEqual(['unchanged', 'unchanged', 'retransmission']);
    expect(counted).toHaveLength(6);
    for (const id of ids) {
      expect((await core.conversations.get(id))?.state).toBe('consented');
      expect((await core.queues.assignments.getJob(id))?.data.conversationId).toBe(id);
    }
    expect(await core.queues.assignments.count()).toBe(2);
  });

  it('writes the steps of one turn in one call, each by its own compare-and-set: a stale one is decided again, each consent enqueued once', async () => {
    const phones = ['77015550301', '77015550302', '77015550303'];
    const ids = await Promise.all(phones.map((p, i) => invited(p, `turn-${i}`)));
    const reads = await Promise.all(ids.map((id) => core.conversations.get(id)));
    // The first conversation changes after it was read: its step loses the compare-and-set.
    const noise = { text: 'hello', receivedAt: core.now(), smscMessageId: 'mo-noise' };
    const changed = await core.conversations.apply(ids[0]!, {
      type: 'reply',
      parsed: parseReply('hello'),
      reply: noise,
    });
    expect(changed.status).toBe('applied');
    const calls: StepCommit[][] = [];
    const commitMany = core.store.commitMany.bind(core.store);
    core.store.commitMany = (steps) => {
      calls.push([...steps]);
      return commitMany(steps);
    };
    const before = await core.stateCounts.all();
    const consent = (i: number) => ({
      type: 'reply' as const,
      parsed: parseReply('123#3#1'),
      reply: { text: '123#3#1', receivedAt: core.now(), smscMessageId: `mo-turn-${i}` },
    });
    try {
      const results = await Promise.all(
        ids.map((id, i) => core.conversations.apply(id, consent(i), `reply:turn-${i}`, reads[i]!)),
      );
      expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    } finally {
      core.store.commitMany = commitMany;
    }
    // One call for the turn's three steps; the stale one was then written alone.
    expect(calls.map((steps) => steps.map((s) => s.next.id))).toEqual([ids]);
    for (const id of ids) {
      expect((await core.conversations.get(id))?.state).toBe('consented');
      expect((await core.queues.assignments.getJob(id))?.data.conversationId).toBe(id);
    }
    expect(await core.store.outboxes.pending()).toEqual([]);
    const count = (all: Awaited<ReturnType<typeof core.stateCounts.all>>, state: string) =>
      all.find((c) => c.service === 'home-schooling' && c.state === state)?.count ?? 0;
    const after = await core.stateCounts.all();
    expect(count(after, 'consented') - count(before, 'consented')).toBe(3);
    const asked = reads[0]!.state;
    expect(reads.map((r) => r?.state)).toEqual([asked, asked, asked]);
    expect(count(after, asked) - count(before, asked)).toBe(-3);
  });

  it('decides at most as many replies at once as it has lanes, the waiting ones in the order they came', async () => {
    const lanes = new Lanes(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve: () => resolve() };
    });
    const runs = gates.map((gate, i) =>
      lanes.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    for (const gate of gates) {
      await new Promise((resolve) => setImmediate(resolve));
      gate.resolve();
    }
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });
});
