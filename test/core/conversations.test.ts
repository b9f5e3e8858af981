import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { PENDING_CHECK_MS } from '../../gateway/core/conversations.js';
import { outcomeOf } from '../../gateway/core/outcomes.js';
import { createSweeper } from '../../gateway/core/sweeper.js';
import { parseReply } from '../../parsers/reply.js';
import { smsOfJob } from '../../queues/jobs.js';
import {
  createTestCore,
  HALYK,
  homeSchoolingParams,
  KASPI,
  markSent,
  type TestCore,
} from '../support/core.js';

let core: TestCore;
beforeAll(async () => {
  core = await createTestCore();
});
afterAll(async () => {
  await core.close();
});

function reply(id: string, text: string, smscMessageId = 'mo-1') {
  const receivedAt = core.clock.now();
  return core.conversations.apply(
    id,
    { type: 'reply', parsed: parseReply(text), reply: { text, receivedAt, smscMessageId } },
    `reply:${smscMessageId}`,
  );
}

/** A home-schooling offer in Kazakh, committed and handed to `sms-out`. */
async function offer(externalId: string, msisdn: string) {
  const params = homeSchoolingParams();
  const input = { service: 'home-schooling', externalId, msisdn, language: 'kk' as const, params };
  return (await core.conversations.invite(input)).conversation;
}

describe('conversation store and outbox on real Redis', () => {
  it('an invitation stores the conversation, queues Appendix 1 and schedules its deadline', async () => {
    const { conversation, created } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'ext-1',
      msisdn: '77011234567',
      language: 'ru',
      params: homeSchoolingParams(),
    });
    expect(created).toBe(true);
    expect(conversation.state).toBe('invited');
    expect(conversation.consentTemplate?.id).toBe('home-schooling.offer-one-bank');
    expect(conversation.consentTemplate?.text).toContain('123 #3#1');
    const set = core.renderer.get('home-schooling.2024-02-16')!;
    expect(conversation.templateSet).toEqual({ id: set.id, sha256: set.sha256 });
    expect(conversation.consentTemplate).toMatchObject({
      wording: 'verbatim',
      set: { id: set.id, sha256: set.sha256 },
    });
    const jobs = (
      await core.queues.smsOut.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])
    ).flatMap(smsOfJob);
    const job = jobs.find((j) => j.conversationId === conversation.id);
    expect(job?.text).toBe(conversation.consentTemplate?.text);
    // The deadline starts once the SMSC accepts the SMS (003 item 10).
    expect(conversation.deadline).toBeNull();
    await markSent(core, conversation.id);
    const sent = await core.conversations.get(conversation.id);
    expect(await core.store.dueDeadlines(sent!.deadline!, 10)).toContain(conversation.id);
    expect((await core.store.listByMsisdn('77011234567')).map((c) => c.id)).toEqual([conversation.id]);
    expect(await core.store.outboxes.pending()).not.toContain(conversation.id);
  });

  it('the same (service, externalId) again answers the same conversation and sends nothing', async () => {
    const input = {
      service: 'home-schooling',
      externalId: 'ext-2',
      msisdn: '77011230002',
      language: 'kk' as const,
      params: homeSchoolingParams(),
    };
    const first = await core.conversations.invite(input);
    const again = await core.conversations.invite(input);
    expect(again.created).toBe(false);
    expect(again.conversation.id).toBe(first.conversation.id);
    const jobs = (
      await core.queues.smsOut.getJobs(['waiting', 'prioritized', 'completed', 'active', 'delayed'])
    ).flatMap(smsOfJob);
    expect(jobs.filter((j) => j.conversationId === first.conversation.id)).toHaveLength(1);
  });

  it('a consent reaches assignments exactly once, even when the reply is applied twice', async () => {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'ext-3',
      msisdn: '77011230003',
      language: 'ru',
      params: homeSchoolingParams(),
    });
    core.clock.advance(60_000);
    const first = await reply(conversation.id, '123#3#1', 'mo-3');
    const second = await reply(conversation.id, '123#3#1', 'mo-3');
    expect(first.status).toBe('applied');
    expect(second.status).toBe('unchanged');
    const job = await core.queues.assignments.getJob(conversation.id);
    expect(job?.data).toMatchObject({
      conversationId: conversation.id,
      bank: KASPI,
      reply: { text: '123#3#1', smscMessageId: 'mo-3' },
    });
    expect(job?.data.consentTemplate.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await core.queues.assignments.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
  });

  it('two different replies racing: only one consent, the other sees the new state', async () => {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'ext-4',
      msisdn: '77011230004',
      language: 'ru',
      params: homeSchoolingParams(),
    });
    const results = await Promise.all([
      reply(conversation.id, '123#3#1', 'a'),
      reply(conversation.id, '123#3#1 рахмет', 'b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    const timeline = await core.store.timeline(conversation.id);
    expect(timeline.filter((e) => e.kind === 'reply' && e.accepted === true)).toHaveLength(1);
    expect(timeline.filter((e) => e.kind === 'transition' && e.to === 'consented')).toHaveLength(1);
  });

  it("the SMSC's acceptance starts the deadline on the conversation as stored, though another step changed it since this process committed it", async () => {
    const conversation = await offer('ext-6', '77011230006');
    // Another process's step: the stored conversation moves on without this one's knowing.
    const stored = (await core.conversations.get(conversation.id))!;
    expect(await core.store.commit(stored.version, { ...stored, helpSent: 1 }, [], [], false)).toBe(true);
    await markSent(core, conversation.id);
    const sent = (await core.conversations.get(conversation.id))!;
    expect(sent).toMatchObject({ helpSent: 1, version: stored.version + 2, deadlineOnSent: null });
    expect(sent.deadline).not.toBeNull();
    expect(await core.store.dueDeadlines(sent.deadline!, 10)).toContain(conversation.id);
  });

  it("a deadline the SMSC's acceptance started goes to the index; lost there, the stage's pending check puts it back before it is due", async () => {
    const conversation = await offer('ext-7', '77011230007');
    const pendingCheck = core.clock.now() + PENDING_CHECK_MS;
    expect(await core.store.dueDeadlines(pendingCheck, 10_000)).toContain(conversation.id);
    await markSent(core, conversation.id);
    const { deadline } = (await core.conversations.get(conversation.id))!;
    expect(await core.store.dueDeadlines(pendingCheck, 10_000)).not.toContain(conversation.id);
    expect(await core.store.dueDeadlines(deadline!, 10_000)).toContain(conversation.id);

    // The index write lost (the process stopped right after the commit): the pending check is left.
    await core.store.setDeadline(conversation.id, pendingCheck);
    const sweeper = createSweeper({ core, log: pino({ level: 'silent' }), intervalMs: 0, graceMs: 0 });
    const at = core.clock.now();
    core.clock.set(pendingCheck);
    try {
      await sweeper.tick();
    } finally {
      core.clock.set(at);
      await sweeper.stop();
    }
    expect(await core.store.dueDeadlines(deadline! - 1, 10_000)).not.toContain(conversation.id);
    expect(await core.store.dueDeadlines(deadline!, 10_000)).toContain(conversation.id);
    expect(await core.conversations.get(conversation.id)).toMatchObject({ state: 'invited', deadline });
  });

  it('a crash between commit and hand-over leaves the outbox to the recovery sweep', async () => {
    const { conversation } = await core.conversations.invite({
      service: 'school-meals',
      externalId: 'ext-5',
      msisdn: '77011230005',
      language: 'kk',
      params: { parentFullName: 'А Б', childFullName: 'В Г' },
    });
    // Simulate the crash: put an entry back as if the flush never happened.
    await core.redis.rpush(
      `${core.keyPrefix}:{c:${conversation.id}}:out`,
      JSON.stringify({ t: 'deadline', at: 42 }),
    );
    await core.redis.sadd(`${core.keyPrefix}:{outbox}`, conversation.id);
    expect(await core.outbox.recover()).toBeGreaterThanOrEqual(1);
    expect(await core.store.outboxes.list(conversation.id)).toEqual([]);
    expect(await core.store.dueDeadlines(42, 10)).toContain(conversation.id);
  });

  it("a crash between a batch's commit and its hand-over leaves the batch's outbox to the recovery sweep", async () => {
    const conversation = await offer('ext-batch-crash', '77011230007');
    const read = (await core.store.get(conversation.id))!;
    const next = { ...read, state: 'expired' as const };
    const job = outcomeOf(next, 'expired', core.clock.now(), core.calendar.zone);
    const sms = {
      t: 'sms' as const,
      smsId: '9.0',
      to: read.msisdn,
      text: 'Мерзімі өтті',
      templateId: 't',
      asksConsent: false,
    };
    const sent = {
      at: core.clock.now(),
      kind: 'sms' as const,
      smsId: sms.smsId,
      templateId: sms.templateId,
      language: 'kk' as const,
      sha256: '0'.repeat(64),
      set: 'home-schooling.2024-02-16',
      text: sms.text,
      parts: 1,
      encoding: 'ucs2' as const,
      status: 'queued' as const,
    };
    // The process stops right after the commit: nothing handed over.
    const [written] = await core.store.commitMany([
      {
        expectedVersion: read.version,
        next,
        timeline: [sent],
        outbox: [sms, { t: 'outcome', job }],
        final: false,
      },
    ]);
    expect(written?.held).not.toBeNull();
    expect(await core.queues.outcomes.getJob(`${conversation.id}.expired`)).toBeUndefined();
    // Young batches are left to the hand-over in flight; an old one is recovered.
    await core.outbox.recover();
    expect(await core.store.outboxes.batchesDue(0, 10)).toEqual([written!.held!.batch]);
    expect(await core.outbox.recover(500, 0)).toBeGreaterThanOrEqual(1);
    expect(await core.store.outboxes.batchesDue(0, 10)).toEqual([]);
    expect((await core.queues.outcomes.getJob(`${conversation.id}.expired`))?.data).toMatchObject({
      outcome: 'expired',
    });
    expect(
      await core.store.outcomes.marked([{ conversationId: conversation.id, outcome: 'expired' }]),
    ).toEqual([true]);
    const queued = await core.queues.smsOut.getJobs(['waiting', 'prioritized']);
    // The outbox kept no text: the SMS goes with the one its timeline entry holds.
    expect(
      queued.flatMap(smsOfJob).filter((s) => s.conversationId === conversation.id && s.smsId === '9.0'),
    ).toEqual([expect.objectContaining({ text: 'Мерзімі өтті' })]);
  });

  it("an SMS left in a conversation's own outbox by a crash goes out with the text its timeline entry keeps", async () => {
    const conversation = await offer('ext-sms-crash', '77011230008');
    const read = (await core.store.get(conversation.id))!;
    const text = 'Мерзімі өтті. Сұрақтар бойынша 1414 нөміріне хабарласыңыз.';
    const sms = {
      t: 'sms' as const,
      smsId: '7.0',
      to: read.msisdn,
      text,
      templateId: 't',
      asksConsent: false,
    };
    const entry = {
      at: core.clock.now(),
      kind: 'sms' as const,
      smsId: '7.0',
      templateId: 't',
      language: 'kk' as const,
      sha256: '0'.repeat(64),
      set: 'home-schooling.2024-02-16',
      text,
      parts: 1,
      encoding: 'ucs2' as const,
      status: 'queued' as const,
    };
    // Committed alone (as on Cluster), and the process stops before the hand-over.
    expect(await core.store.commit(read.version, read, [entry], [sms], false)).toBe(true);
    const [left] = await core.store.outboxes.list(conversation.id);
    expect(left?.raw).not.toContain(text);
    expect(await core.outbox.recover()).toBeGreaterThanOrEqual(1);
    expect(await core.store.outboxes.list(conversation.id)).toEqual([]);
    const queued = await core.queues.smsOut.getJobs(['waiting', 'prioritized']);
    expect(
      queued.flatMap(smsOfJob).filter((s) => s.conversationId === conversation.id && s.smsId === '7.0'),
    ).toEqual([expect.objectContaining({ text, to: read.msisdn })]);
  });

  it('an SMS whose text no timeline entry keeps stays in the outbox, refused as a stored-format error', async () => {
    const conversation = await offer('ext-sms-lost', '77011230009');
    const read = (await core.store.get(conversation.id))!;
    const sms = {
      t: 'sms' as const,
      smsId: '8.0',
      to: read.msisdn,
      text: 'x',
      templateId: 't',
      asksConsent: false,
    };
    expect(await core.store.commit(read.version, read, [], [sms], false)).toBe(true);
    await core.outbox.recover();
    expect(await core.store.outboxes.list(conversation.id)).toHaveLength(1);
    const queued = await core.queues.smsOut.getJobs(['waiting', 'prioritized']);
    expect(
      queued.flatMap(smsOfJob).some((s) => s.conversationId === conversation.id && s.smsId === '8.0'),
    ).toBe(false);
  });

  it('a reply applied by a commit whose answer was lost hands its outbox over when the reply is tried again', async () => {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'ext-lost-answer',
      msisdn: '77011230006',
      language: 'ru',
      params: homeSchoolingParams(),
    });
    await markSent(core, conversation.id);
    expect((await reply(conversation.id, '123#3#1', 'mo-lost')).status).toBe('applied');
    // As if the commit ran but its answer was lost: its consent never handed over, still in the outbox.
    await (await core.queues.assignments.getJob(conversation.id))?.remove();
    await core.redis.rpush(
      `${core.keyPrefix}:{c:${conversation.id}}:out`,
      JSON.stringify({ t: 'assignment' }),
    );
    await core.redis.sadd(`${core.keyPrefix}:{outbox}`, conversation.id);

    expect((await reply(conversation.id, '123#3#1', 'mo-lost')).status).toBe('unchanged');
    expect((await core.queues.assignments.getJob(conversation.id))?.data.conversationId).toBe(
      conversation.id,
    );
    expect(await core.store.outboxes.list(conversation.id)).toEqual([]);
    expect(await core.store.outboxes.pending()).not.toContain(conversation.id);
  });
});

describe('a reply too long for a timeline entry', () => {
  it('is stored cut, and still decided, rather than refused for good', async () => {
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'ext-long',
      msisdn: '77011230099',
      language: 'ru',
      params: homeSchoolingParams(),
    });
    // Random letters do not compress: far beyond the 64 KiB a stored entry may take.
    const text = Array.from(randomBytes(150_000), (b) => String.fromCharCode(0x430 + (b % 32))).join('');
    const result = await reply(conversation.id, text, 'mo-long');
    expect(result.status).toBe('applied');
    const entry = (await core.store.timeline(conversation.id)).find((e) => e.kind === 'reply');
    expect(String(entry?.text)).toMatch(/\[150000 characters, cut for storage\]$/);
  });

  it("Appendix 3 lists each integrated bank's link after its name; a link that is not https is refused naming it", async () => {
    const halyk = { ...HALYK, link: 'https://halykbank.kz/open-account' };
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'ext-links',
      msisdn: '77011230071',
      language: 'kk',
      params: { ...homeSchoolingParams([]), integratedBanks: [halyk, KASPI] },
    });
    expect(conversation.state).toBe('awaiting_account');
    const sms = (await core.store.timeline(conversation.id)).find((e) => e.kind === 'sms');
    expect(sms?.text).toContain(
      'сілтемелерді пайдаланыңыз:\n1. Halyk Bank https://halykbank.kz/open-account\n2. Kaspi Bank\n',
    );
    const refused = await core.conversations
      .invite({
        service: 'home-schooling',
        externalId: 'ext-links-2',
        msisdn: '77011230072',
        language: 'ru',
        params: { ...homeSchoolingParams([]), integratedBanks: [{ ...HALYK, link: 'http://halykbank.kz' }] },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toMatchObject({
      code: 'GW_VALIDATION_FAILED',
      details: [{ path: 'params.integratedBanks.0.link', message: 'must be an https:// URL' }],
    });
  });
});
