import { afterAll, describe, expect, it } from 'vitest';
import { newConversation, type Conversation } from '../../dialogue/conversation.js';
import { outboxJson, outcomeBit, type OutboxEntry } from '../../store/conversations.js';
import { createKeys } from '../../store/keys.js';
import { redisClient, testPrefix } from '../support/redis.js';
import { testStore } from '../support/store.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const sms = (smsId: string): OutboxEntry => ({
  t: 'sms',
  smsId,
  to: '77010000001',
  text: 'Құрметті азамат! '.repeat(40),
  templateId: 't',
  asksConsent: true,
});

/** A new conversation of no service's particular shape. */
const fresh = (id: string) =>
  newConversation({
    id,
    service: 'home-schooling',
    externalId: id,
    msisdn: '77010000001',
    language: 'ru',
    params: {},
    createdAt: 0,
    campaign: null,
  });

describe('acknowledging handed-over outbox entries', () => {
  it('removes exactly the entries named (equal ones as often as named), then leaves the recovery index', async () => {
    const keys = createKeys(testPrefix('outbox'));
    const store = await testStore(redis, keys);
    const [a, b, deadline] = [
      outboxJson(sms('0.0')),
      outboxJson(sms('0.1')),
      outboxJson({ t: 'deadline', at: 5 }),
    ];
    await redis.rpush(keys.outbox('c1'), a, b, a, deadline);
    await redis.sadd(keys.outboxIndex(), 'c1');

    await store.outboxes.ack('c1', [a, deadline]);
    expect((await store.outboxes.list('c1')).map((e) => e.raw)).toEqual([b, a]);
    expect(await store.outboxes.pending()).toContain('c1');

    await store.outboxes.ack('c1', [a, b, a]);
    expect(await store.outboxes.list('c1')).toEqual([]);
    expect(await store.outboxes.pending()).not.toContain('c1');
  });

  it("marks the outcomes of many conversations in one call, a gone conversation's skipped", async () => {
    const keys = createKeys(testPrefix('marks-many'));
    const store = await testStore(redis, keys);
    for (const id of ['c1', 'c2']) expect(await store.commit(-1, fresh(id), [], [], false)).toBe(true);
    const ref = (conversationId: string, outcome: string) => ({ conversationId, outcome });
    await store.outcomes.mark([
      ref('c1', 'sent'),
      ref('c2', 'sent'),
      ref('gone', 'sent'),
      ref('c2', 'expired'),
    ]);
    expect(
      await store.outcomes.marked([
        ref('c1', 'sent'),
        ref('c1', 'expired'),
        ref('c2', 'sent'),
        ref('c2', 'expired'),
        ref('gone', 'sent'),
      ]),
    ).toEqual([true, false, true, true, false]);
    expect(await redis.exists(keys.conversation('gone'))).toBe(0);
  });

  it("keeps a batch's entries in its own outbox until handed over, then marks each conversation's outcomes with their removal", async () => {
    const keys = createKeys(testPrefix('outbox-batch'));
    const store = await testStore(redis, keys);
    const step = (id: string, outbox: OutboxEntry[]) => ({
      expectedVersion: -1,
      next: fresh(id),
      timeline: [],
      outbox,
      final: false,
    });
    const [c1, c2, c3] = await store.commitMany([
      step('c1', [sms('0.0'), { t: 'deadline', at: 5 }]),
      step('c2', []),
      step('c3', [sms('0.0'), sms('0.1')]),
    ]);
    expect(c1).toMatchObject({ entries: [sms('0.0')], marked: 0, held: { field: 'c1:0' } });
    expect(c2).toEqual({ entries: [], marked: 0, held: null });
    const batch = c1!.held!.batch;
    expect(c3?.held).toEqual({ batch, field: 'c3:0' });
    // Not in the conversations' own outboxes: in the batch's, which recovery finds once it is old.
    expect(await store.outboxes.pending()).toEqual([]);
    expect(await store.outboxes.list('c1')).toEqual([]);
    expect(await store.outboxes.batchesDue(60_000, 10)).toEqual([]);
    expect(await store.outboxes.batchesDue(0, 10)).toEqual([batch]);
    // Stored without the SMS's text: the step's timeline entry keeps it.
    const stored = (entry: OutboxEntry): unknown => JSON.parse(outboxJson(entry));
    expect(stored(sms('0.0'))).not.toHaveProperty('text');
    expect(await store.outboxes.batch(batch)).toEqual(
      expect.arrayContaining([
        { id: 'c1', field: 'c1:0', entries: [stored(sms('0.0'))] },
        { id: 'c3', field: 'c3:0', entries: [stored(sms('0.0')), stored(sms('0.1'))] },
      ]),
    );
    expect(await store.dueDeadlines(5, 10)).toEqual(['c1']);

    const ref = (conversationId: string, outcome: string) => ({ conversationId, outcome });
    await store.outboxes.batchDone(batch, [{ id: 'c1', field: 'c1:0', marks: outcomeBit('expired') }]);
    expect((await store.outboxes.batch(batch)).map((s) => s.id)).toEqual(['c3']);
    expect(await store.outboxes.batchesDue(0, 10)).toEqual([batch]);
    await store.outboxes.batchDone(batch, [{ id: 'c3', field: 'c3:0', marks: 0 }]);
    expect(await store.outboxes.batch(batch)).toEqual([]);
    expect(await store.outboxes.batchesDue(0, 10)).toEqual([]);
    expect(
      await store.outcomes.marked([ref('c1', 'expired'), ref('c1', 'sent'), ref('c3', 'expired')]),
    ).toEqual([true, false, false]);
  });

  it('answers a call sent again after its answer was lost with the steps it wrote, in its own batch', async () => {
    const keys = createKeys(testPrefix('outbox-resent'));
    const client = redisClient();
    try {
      const store = await testStore(client, keys);
      const step = (id: string, expectedVersion: number, outbox: OutboxEntry[]) => ({
        expectedVersion,
        next: fresh(id),
        timeline: [],
        outbox,
        final: false,
      });
      await store.commitMany([step('c1', -1, []), step('c2', -1, [])]);
      // As ioredis does after a reconnection: the call it had no answer to goes again, as it was.
      const once = client.gwCommitMany.bind(client);
      const firstAnswers: unknown[] = [];
      client.gwCommitMany = async (...args: Parameters<typeof once>) => {
        firstAnswers.push(await once(...args));
        return once(...args);
      };
      const [c1, c2, c3] = await store.commitMany([
        step('c1', 0, [sms('1.0')]),
        step('c2', 0, []),
        step('c3', -1, [{ t: 'assignment' }]),
      ]);
      expect(firstAnswers).toEqual([
        [
          [1, 1, 0],
          [1, 1, 0],
          [1, 0, 0],
        ],
      ]);
      // Entries in the batch: written, to hand over. None: nothing to tell it by, decided again.
      expect(c1).toMatchObject({ entries: [sms('1.0')], held: { field: 'c1:1' } });
      expect(c2).toBeNull();
      expect(c3).toMatchObject({ entries: [{ t: 'assignment' }], held: { field: 'c3:0' } });
      expect((await store.get('c1'))?.version).toBe(1);
      // Written once: the second run changed nothing.
      expect((await store.outboxes.batch(c1!.held!.batch)).map((e) => e.field).sort()).toEqual([
        'c1:1',
        'c3:0',
      ]);
      // Another call finding the conversation at that version is a conflict, as ever.
      expect(await store.commitMany([step('c1', 0, [sms('1.0')])])).toEqual([null]);
    } finally {
      client.disconnect();
    }
  });

  it('a second step of one conversation in the same call, decided from the same version, loses to the first, sent again or not', async () => {
    const keys = createKeys(testPrefix('outbox-same-conversation'));
    const client = redisClient();
    try {
      const store = await testStore(client, keys);
      await store.commitMany([
        { expectedVersion: -1, next: fresh('c1'), timeline: [], outbox: [], final: false },
      ]);
      // Two events of one conversation decided in one turn (a reply and an upstream event, say).
      const step = (note: string, outbox: OutboxEntry[]) => ({
        expectedVersion: 0,
        next: { ...fresh('c1'), appliedEvents: [note] },
        timeline: [],
        outbox,
        final: false,
      });
      const steps = [step('reply:1', [sms('1.0')]), step('upstream:1', [{ t: 'assignment' as const }])];
      const [first, second] = await store.commitMany(steps);
      expect(first).toMatchObject({ entries: [sms('1.0')], held: { field: 'c1:1' } });
      // Not written: decided again from a fresh read, never taken as written.
      expect(second).toBeNull();
      expect((await store.get('c1'))?.appliedEvents).toEqual(['reply:1']);

      // The same call sent again after its answer was lost: the first is its own write, the second still not.
      const once = client.gwCommitMany.bind(client);
      client.gwCommitMany = async (...args: Parameters<typeof once>) => {
        await once(...args);
        return once(...args);
      };
      const again = [
        { ...steps[0]!, expectedVersion: 1, next: { ...steps[0]!.next, appliedEvents: ['reply:2'] } },
        { ...steps[1]!, expectedVersion: 1, next: { ...steps[1]!.next, appliedEvents: ['upstream:2'] } },
      ];
      const [resentFirst, resentSecond] = await store.commitMany(again);
      expect(resentFirst).toMatchObject({ held: { field: 'c1:2' } });
      expect(resentSecond).toBeNull();
      expect((await store.get('c1'))?.appliedEvents).toEqual(['reply:2']);
    } finally {
      client.disconnect();
    }
  });

  it('of two identical steps of a new conversation in one call (the same invitation twice in a turn), the second loses', async () => {
    const keys = createKeys(testPrefix('outbox-same-step'));
    const client = redisClient();
    try {
      const store = await testStore(client, keys);
      const step = {
        expectedVersion: -1,
        next: fresh('c1'),
        timeline: [],
        outbox: [{ t: 'assignment' as const }],
        final: false,
      };
      const [first, second] = await store.commitMany([step, step]);
      expect(first).toMatchObject({ held: { field: 'c1:0' } });
      // Not written: its caller answers the conversation the first one created.
      expect(second).toBeNull();
      expect((await store.outboxes.batch(first!.held!.batch)).map((e) => e.field)).toEqual(['c1:0']);
    } finally {
      client.disconnect();
    }
  });

  it('moves the state counts of the written steps only, each count once per call by their sum', async () => {
    const keys = createKeys(testPrefix('outbox-counts'));
    const store = await testStore(redis, keys);
    const step = (id: string, expectedVersion: number, from: string | null, to: string) => ({
      expectedVersion,
      next: { ...fresh(id), state: to as Conversation['state'] },
      timeline: [],
      outbox: [],
      final: false,
      counts: { from, to },
    });
    await store.commitMany([step('c1', -1, null, 'invited'), step('c2', -1, null, 'invited')]);
    const written = await store.commitMany([
      step('c1', 0, 'invited', 'expired'),
      step('c2', 7, 'invited', 'expired'), // stale: not written, counts untouched
      step('c3', -1, null, 'invited'),
      step('c4', -1, null, 'waiting'),
    ]);
    expect(written.map((w) => w !== null)).toEqual([true, false, true, true]);
    const counts = Object.fromEntries(
      (await store.stateCounts.all()).map(({ service, state, count }) => [`${service} ${state}`, count]),
    );
    expect(counts).toEqual({
      'home-schooling invited': 2,
      'home-schooling expired': 1,
      'home-schooling waiting': 1,
    });
  });
});
