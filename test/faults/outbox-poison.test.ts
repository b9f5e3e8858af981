/**
 * Outbox entries that can never be handed over (an SMS whose text no timeline entry holds, written
 * here with Redis's own commands the way a lost timeline entry leaves it): the recovery tries them
 * at each run, counts the failures in Redis, and after `SET_ASIDE_AFTER` sets the conversation's
 * outbox aside, counted in `gateway_outbox_dead` and listed for a supervisor, who hands it over
 * again once the cause is fixed. A Redis outage longer than that sets nothing aside. A redis-server
 * of its own: the outage (`min-replicas-to-write`) would cut the other test files.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { SET_ASIDE_AFTER } from '../../gateway/core/outbox.js';
import { deadOutboxListSchema, replayedOutboxSchema } from '../../gateway/http/outboxes.js';
import type { Conversation } from '../../dialogue/conversation.js';
import { createKeys, type Keys } from '../../store/keys.js';
import type { TimelineEntry } from '../../store/timeline-entry.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLog, type CapturedLog, type LogLine } from '../support/log-lines.js';
import { drained, invite, messagesTo, numbers } from '../support/scenario.js';

const msisdn = numbers('782');
let redis: RedisServerHandle;
let admin: Redis;
let captured: CapturedLog;
let t: TestGateway;
let keys: Keys;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  captured = captureLog('warn');
  // No sweeper (tests tick it): each recovery run here is one `recover()`.
  t = await startTestGateway({ env: { REDIS_URL: redis.url }, log: captured.log });
  keys = createKeys(t.prefixes.keyPrefix);
});
afterAll(async () => {
  await t?.stop();
  admin?.disconnect();
  await redis?.stop();
});

/** A conversation invited, its invitation sent, and the timeline entry of that SMS. */
async function invited(): Promise<{
  conv: Conversation;
  phone: string;
  sms: Extract<TimelineEntry, { kind: 'sms' }>;
}> {
  const phone = msisdn();
  const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
  await t.sim.nextMessage((m) => m.destination === phone);
  const sms = (await t.gateway.core.store.timeline(conv.id)).find((e) => e.kind === 'sms');
  if (sms?.kind !== 'sms') throw new Error('the invitation has no SMS entry');
  return { conv, phone, sms };
}

/** A stored outbox SMS entry (no text: the timeline keeps it) of `smsId`, as commit-2.lua writes it. */
function smsEntry(phone: string, smsId: string, templateId: string): string {
  return JSON.stringify({ t: 'sms', smsId, to: phone, templateId, asksConsent: false });
}

/** The entry in the conversation's own outbox, and the conversation in the recovery's index. */
async function leaveInOutbox(id: string, raw: string): Promise<void> {
  await admin.rpush(keys.outbox(id), raw);
  await admin.sadd(keys.outboxIndex(), id);
}

async function api(method: 'GET' | 'POST', path: string, key = KEYS.supervisor): Promise<Response> {
  return fetch(`${t.gateway.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

const recover = (): Promise<number> => t.gateway.core.outbox.recover(500, 0);
const linesAbout = (msg: string, id: string): LogLine[] =>
  captured.lines().filter((l) => l.msg === msg && l.conversationId === id);
const FAILED = 'outbox recovery failed; tried again at each run until set aside';
const SET_ASIDE =
  'outbox set aside: its hand-over failed every try; an operator hands it over again once fixed (docs/operations.md)';

describe('an outbox entry that can never be handed over', () => {
  it('is tried, set aside after the limit, counted, listed, and handed over once by a supervisor after the fix', async () => {
    const { conv, phone, sms } = await invited();
    const deadBefore = await metric('gateway_outbox_dead');
    // An SMS whose text no timeline entry holds (GW_STORE_FORMAT at each hand-over).
    await leaveInOutbox(conv.id, smsEntry(phone, 'p.1', sms.templateId));

    // The limit's tries, all within a moment: not set aside yet (the limit is tries and time).
    for (let i = 0; i < SET_ASIDE_AFTER.tries; i++) await recover();
    expect(await t.gateway.core.store.outboxes.pending()).toContain(conv.id);
    expect(await t.gateway.core.store.outboxes.setAsideOf(conv.id)).toBeNull();
    // Logged once as a warning, not once per try.
    expect(linesAbout(FAILED, conv.id)).toHaveLength(1);

    t.clock.advance(SET_ASIDE_AFTER.ms);
    await recover();
    await captured.waitFor((l) => l.msg === SET_ASIDE && l.conversationId === conv.id, 'the error line');
    expect(linesAbout(SET_ASIDE, conv.id)[0]?.level).toBe('error');
    expect(await t.gateway.core.store.outboxes.pending()).not.toContain(conv.id);
    expect(await metric('gateway_outbox_dead')).toBe(deadBefore + 1);
    // Set aside, not deleted: the entry waits in the conversation's outbox.
    expect(await admin.lrange(keys.outbox(conv.id), 0, -1)).toEqual([smsEntry(phone, 'p.1', sms.templateId)]);
    // The recovery leaves it alone now: no more tries, no more lines.
    await recover();
    expect(linesAbout(SET_ASIDE, conv.id)).toHaveLength(1);
    expect(await admin.exists(keys.outboxFailing(conv.id))).toBe(0);

    const listed = await api('GET', '/v1/outboxes/dead');
    expect(listed.status).toBe(200);
    // As the OpenAPI document says.
    const { total, outboxes } = deadOutboxListSchema.parse(await listed.json());
    expect(total).toBe(deadBefore + 1);
    expect(outboxes.find((o) => o.conversationId === conv.id)).toMatchObject({
      tries: SET_ASIDE_AFTER.tries + 1,
      from: 'outbox',
      error: expect.stringMatching(/no timeline entry holds the text of SMS p\.1/) as unknown,
    });
    expect((await api('GET', '/v1/outboxes/dead', KEYS.agent)).status).toBe(403);

    // Replayed before the fix: it fails again, and stays aside.
    expect((await api('POST', `/v1/outboxes/dead/${conv.id}/replay`)).status).toBe(409);
    expect(await t.gateway.core.store.outboxes.setAsideOf(conv.id)).not.toBeNull();

    // The fix: the SMS's timeline entry back.
    await t.gateway.core.store.append(conv.id, { ...sms, smsId: 'p.1' });
    const replayed = await api('POST', `/v1/outboxes/dead/${conv.id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayedOutboxSchema.parse(await replayed.json())).toEqual({
      conversationId: conv.id,
      entries: 1,
      replayed: true,
    });
    await t.sim.nextMessage((m) => m.destination === phone);
    expect(await metric('gateway_outbox_dead')).toBe(deadBefore);
    expect(await admin.llen(keys.outbox(conv.id))).toBe(0);
    expect((await api('POST', `/v1/outboxes/dead/${conv.id}/replay`)).status).toBe(404);
    const audit = (await (await api('GET', '/v1/audit')).json()) as {
      entries: Array<{ action: string; conversationId?: string }>;
    };
    expect(
      audit.entries.filter((e) => e.action === 'outbox-replay' && e.conversationId === conv.id),
    ).toHaveLength(1);

    // Handed over once: another recovery and the queues drained add nothing.
    await recover();
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(2);
  });

  it("a batch's broken step is set aside into its conversation's outbox; the batch's other steps go", async () => {
    const broken = await invited();
    const healthy = await invited();
    const batch = 'poison-batch';
    const healthyField = `${healthy.conv.id}:${healthy.conv.version}`;
    await admin.hset(
      keys.outboxBatch(batch),
      `${broken.conv.id}:${broken.conv.version}`,
      `[${smsEntry(broken.phone, 'p.2', broken.sms.templateId)}]`,
      healthyField,
      JSON.stringify([{ t: 'deadline', at: null }]),
    );
    await admin.zadd(keys.outboxBatches(), 0, batch);

    await recover();
    // The healthy step went at the first run; the broken one waits alone.
    expect(await admin.hkeys(keys.outboxBatch(batch))).toEqual([`${broken.conv.id}:${broken.conv.version}`]);
    for (let i = 1; i < SET_ASIDE_AFTER.tries; i++) await recover();
    t.clock.advance(SET_ASIDE_AFTER.ms);
    await recover();

    expect(await admin.exists(keys.outboxBatch(batch))).toBe(0);
    expect(await admin.zscore(keys.outboxBatches(), batch)).toBeNull();
    expect(await admin.lrange(keys.outbox(broken.conv.id), 0, -1)).toEqual([
      smsEntry(broken.phone, 'p.2', broken.sms.templateId),
    ]);
    expect(await t.gateway.core.store.outboxes.setAsideOf(broken.conv.id)).toMatchObject({
      v: 1,
      from: 'batch',
      tries: SET_ASIDE_AFTER.tries + 1,
    });
    expect(linesAbout(SET_ASIDE, broken.conv.id)).toHaveLength(1);
    expect(await t.gateway.core.store.outboxes.setAsideOf(healthy.conv.id)).toBeNull();
  });

  it('a Redis outage longer than the limit sets no healthy entry aside; it goes once Redis takes writes again', async () => {
    const { conv, phone, sms } = await invited();
    // The invitation's receipt and outcomes in before the outage: only the recovery meets it.
    await drained(t);
    // A healthy entry: an SMS whose timeline entry holds its text.
    await t.gateway.core.store.append(conv.id, { ...sms, smsId: 'h.1' });
    await leaveInOutbox(conv.id, smsEntry(phone, 'h.1', sms.templateId));
    const deadBefore = await metric('gateway_outbox_dead');

    // Every write refused (NOREPLICAS), reads answered: Redis away, as in a failover.
    await admin.config('SET', 'min-replicas-to-write', '1');
    try {
      for (let i = 0; i <= SET_ASIDE_AFTER.tries; i++) {
        await recover();
        t.clock.advance(SET_ASIDE_AFTER.ms / SET_ASIDE_AFTER.tries);
      }
      t.clock.advance(SET_ASIDE_AFTER.ms);
      await recover();
      // Every try failed: the entry is still there.
      expect(await admin.llen(keys.outbox(conv.id))).toBe(1);
    } finally {
      await admin.config('SET', 'min-replicas-to-write', '0');
    }
    expect(await t.gateway.core.store.outboxes.setAsideOf(conv.id)).toBeNull();
    expect(await admin.exists(keys.outboxFailing(conv.id))).toBe(0);
    expect(await metric('gateway_outbox_dead')).toBe(deadBefore);
    expect(linesAbout(FAILED, conv.id)).toEqual([]);

    await recover();
    await t.sim.nextMessage((m) => m.destination === phone);
    expect(await admin.llen(keys.outbox(conv.id))).toBe(0);
    expect(await t.gateway.core.store.outboxes.pending()).not.toContain(conv.id);
    await drained(t);
    expect(messagesTo(t, phone)).toHaveLength(2);
  });
});
