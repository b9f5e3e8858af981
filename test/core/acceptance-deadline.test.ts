import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentWrites } from '../../gateway/core/sent-writes.js';
import { parseReply } from '../../parsers/reply.js';
import { outcomeJobId } from '../../queues/outcomes.js';
import { smsOfJob, type SmsOutJob } from '../../queues/jobs.js';
import { createTestCore, homeSchoolingParams, type TestCore } from '../support/core.js';

let core: TestCore;
let writes: SentWrites;
beforeAll(async () => {
  core = await createTestCore();
  writes = new SentWrites(core);
});
afterAll(async () => {
  await core.close();
});

/** A home-schooling offer committed by this process, and its SMS as `sms-out` carries it. */
async function offer(externalId: string, msisdn: string): Promise<SmsOutJob> {
  const params = homeSchoolingParams();
  const input = { service: 'home-schooling', externalId, msisdn, language: 'kk' as const, params };
  const { conversation } = await core.conversations.invite(input);
  const jobs = await core.queues.smsOut.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
  const sms = jobs.flatMap(smsOfJob).find((s) => s.conversationId === conversation.id);
  if (!sms) throw new Error(`no SMS queued for ${conversation.id}`);
  return sms;
}

/** The SMSC accepted every part of `sms` now, as the sender records it. */
async function accepted(sms: SmsOutJob): Promise<void> {
  await core.store.sms.claim([sms], 'job-1', 60);
  const parts = [0, 1].map((index) => ({ index, messageId: `${sms.conversationId.slice(-6)}${index}` }));
  await writes.sent(sms, { encoding: 'ucs2', parts, bindId: 'bind-1' });
}

/** The deadline of a 3-working-day stage counted from `at`, as the engine counts it. */
async function expectDeadlineFrom(id: string, at: number) {
  const conv = (await core.conversations.get(id))!;
  expect(conv).toMatchObject({ state: 'invited', deadlineFrom: at, deadlineOnSent: null });
  expect(conv.deadline).toBeGreaterThan(at);
  expect(await core.store.dueDeadlines(conv.deadline! - 1, 10_000)).not.toContain(id);
  expect(await core.store.dueDeadlines(conv.deadline!, 10_000)).toContain(id);
  return conv;
}

describe("the deadline an invitation's acceptance starts", () => {
  it('is indexed with the sent entry and read from it: no step is written for it', async () => {
    const sms = await offer('acc-1', '77011240001');
    const before = (await core.conversations.get(sms.conversationId))!;
    expect(before.deadline).toBeNull();
    core.clock.advance(5_000);
    const at = core.clock.now();
    await accepted(sms);
    const conv = await expectDeadlineFrom(sms.conversationId, at);
    // The stored document is the invitation's own: the deadline comes from the sent entry.
    expect(conv.version).toBe(before.version);
    const job = await core.queues.outcomes.getJob(outcomeJobId(sms.conversationId, 'sent'));
    expect(job?.data).toMatchObject({ conversationId: sms.conversationId, outcome: 'sent' });
  });

  it('a reply after it is decided against that deadline, and its step keeps it', async () => {
    const sms = await offer('acc-2', '77011240002');
    await accepted(sms);
    const before = (await core.conversations.get(sms.conversationId))!;
    core.clock.advance(60_000);
    const text = 'сәлем';
    const reply = { text, receivedAt: core.clock.now(), smscMessageId: 'mo-acc-2' };
    const result = await core.conversations.apply(
      sms.conversationId,
      { type: 'reply', parsed: parseReply(text), reply },
      'reply:mo-acc-2',
    );
    expect(result.status).toBe('applied');
    const after = (await core.conversations.get(sms.conversationId))!;
    expect(after).toMatchObject({
      state: 'invited',
      version: before.version + 1,
      deadline: before.deadline,
      deadlineFrom: before.deadlineFrom,
      deadlineOnSent: null,
    });
    expect(await core.store.dueDeadlines(before.deadline!, 10_000)).toContain(sms.conversationId);
  });

  it('a step written since this process committed the invitation leaves the index to the `sent` step, which still starts it', async () => {
    const sms = await offer('acc-3', '77011240003');
    // Another process's step: the stored conversation moves on without this one's knowing.
    const stored = (await core.conversations.get(sms.conversationId))!;
    expect(await core.store.commit(stored.version, { ...stored, helpSent: 1 }, [], [], false)).toBe(true);
    const at = core.clock.now();
    await accepted(sms);
    const conv = await expectDeadlineFrom(sms.conversationId, at);
    expect(conv.helpSent).toBe(1);
  });

  it("starts nothing where a step moved the stage on before the SMSC's acceptance", async () => {
    const sms = await offer('acc-4', '77011240004');
    const stored = (await core.conversations.get(sms.conversationId))!;
    const { deadlineSms: _sms, ...moved } = stored;
    expect(await core.store.commit(stored.version, { ...moved, deadlineOnSent: null }, [], [], false)).toBe(
      true,
    );
    const pending = await core.store.dueDeadlines(core.clock.now() + 10 * 86_400_000, 10_000);
    await accepted(sms);
    const conv = (await core.conversations.get(sms.conversationId))!;
    expect(conv).toMatchObject({ deadline: null, deadlineOnSent: null });
    expect(await core.store.dueDeadlines(core.clock.now() + 10 * 86_400_000, 10_000)).toEqual(pending);
  });
});
