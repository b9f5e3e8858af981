/**
 * The SMS that asks consent is stored once: its timeline entry refers to the conversation's
 * consent record (store/consent-sms-entry.ts). The legal record and the agent's timeline must
 * still hold every SMS exactly as it was sent, also when a later offer asks consent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReply } from '../../parsers/reply.js';
import { smsOfJob, type SmsOutJob } from '../../queues/jobs.js';
import { CONSENT_SMS_TAG } from '../../store/consent-sms-entry.js';
import { splitConversation } from '../../store/conversation-format.js';
import { ofKind } from '../../store/timeline-entry.js';
import { splitEntries } from '../../store/timeline-codec.js';
import { createTestCore, HALYK, homeSchoolingParams, KASPI, OTBASY, type TestCore } from '../support/core.js';

let core: TestCore;
beforeAll(async () => {
  core = await createTestCore();
});
afterAll(async () => {
  await core.close();
});

function reply(id: string, text: string, smscMessageId: string) {
  const receivedAt = core.clock.now();
  return core.conversations.apply(
    id,
    { type: 'reply', parsed: parseReply(text), reply: { text, receivedAt, smscMessageId } },
    `reply:${smscMessageId}`,
  );
}

/** The SMS handed to `sms-out` for a conversation, in the order its steps queued them. */
async function queued(conversationId: string): Promise<SmsOutJob[]> {
  const jobs = await core.queues.smsOut.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);
  return jobs
    .flatMap(smsOfJob)
    .filter((j) => j.conversationId === conversationId)
    .sort((a, b) => a.smsId.localeCompare(b.smsId, 'en', { numeric: true }));
}

/** The tags of a conversation's stored timeline entries. */
async function storedTags(id: string): Promise<number[]> {
  const value = await core.redis.getBuffer(`${core.keyPrefix}:{c:${id}}`);
  return splitEntries(splitConversation(value!).entries).map((raw) => raw[0]!);
}

describe('the SMS that asks consent, stored once', () => {
  it('gives the assignments job and the agent timeline every SMS exactly as sent, across a second offer', async () => {
    const banks = [KASPI];
    const { conversation } = await core.conversations.invite({
      service: 'home-schooling',
      externalId: 'consent-record-1',
      msisdn: '77011239901',
      language: 'kk',
      params: { ...homeSchoolingParams(banks), integratedBanks: [HALYK, KASPI, OTBASY] },
    });
    // The invitation's SMS entry is stored by reference to the document's consent record.
    expect(await storedTags(conversation.id)).toContain(CONSENT_SMS_TAG);
    const [invitation] = await queued(conversation.id);
    expect(conversation.consentSmsId).toBe(invitation!.smsId);

    // Another bank asked for: a second offer asks consent again and becomes the consent record.
    core.clock.advance(60_000);
    expect((await reply(conversation.id, '123#3#0', 'mo-cr-1')).status).toBe('applied');
    const [, second] = await queued(conversation.id);
    expect(second?.templateId).toBe('home-schooling.offer-several-banks');
    expect(second?.text).not.toBe(invitation!.text);
    const timeline = await core.store.timeline(conversation.id);
    const texts = timeline.filter(ofKind('sms')).map((e) => [e.smsId, e.text]);
    expect(texts).toEqual([
      [invitation!.smsId, invitation!.text],
      [second!.smsId, second!.text],
    ]);
    expect((await core.store.withTimeline(conversation.id))?.timeline).toEqual(timeline);

    core.clock.advance(60_000);
    expect((await reply(conversation.id, '123#3#12', 'mo-cr-2')).status).toBe('applied');
    const job = await core.queues.assignments.getJob(conversation.id);
    expect(job?.data.consentTemplate).toMatchObject({
      id: 'home-schooling.offer-several-banks',
      text: second!.text,
    });
    expect(job?.data.bank).toEqual({ code: KASPI.code, nameKk: KASPI.nameKk, nameRu: KASPI.nameRu });
    // The agent still sees both offers word for word once the conversation has moved on.
    const after = (await core.store.timeline(conversation.id)).filter(ofKind('sms'));
    expect(after.slice(0, 2).map((e) => e.text)).toEqual([invitation!.text, second!.text]);
    expect(after.slice(0, 2)).toEqual(timeline.filter(ofKind('sms')));
  });
});
