/**
 * An invitation of a campaign that the carrier reports undelivered, so that its conversation ends
 * and leaves the campaign's members, then its job retried (the test stops it once after a write) or
 * the same SMS handed over again in a second job (a crash between the BullMQ add and the outbox ack):
 * either must find it sent and count nothing again (store/sent-records.ts). Shared by the
 * single-Redis and Cluster tests.
 */
import type { Conversation } from '../../dialogue/conversation.js';
import { SMS_JOB_NAME } from '../../queues/jobs.js';
import { expect } from 'vitest';
import { homeSchoolingParams, KASPI } from './core.js';
import { eventually, type TestGateway } from './gateway.js';
import { drained, messagesTo, stateReached } from './scenario.js';

export interface EndedInvitation {
  readonly conversation: Conversation;
  /** The invitation's text as the SMSC received it. */
  readonly text: string;
}

/**
 * Invites `to` in `campaign`; its invitation is reported undelivered and the conversation ends.
 * Resolves once `sent` is handed over (by a retried job where the test stopped the first) and every
 * queue is idle.
 */
export async function endedInvitation(
  t: TestGateway,
  to: string,
  campaign: string,
  externalId: string,
): Promise<EndedInvitation> {
  const { core } = t.gateway;
  const { conversation } = await core.conversations.invite({
    service: 'home-schooling',
    externalId,
    msisdn: to,
    language: 'kk',
    params: homeSchoolingParams([KASPI]),
    campaign,
  });
  const offer = await t.sim.nextMessage((m) => m.destination === to);
  await stateReached(t, conversation.id, 'undeliverable', 15_000);
  await eventually(() => core.queues.outcomes.getJob(`${conversation.id}.sent`), '`sent` handed over');
  await drained(t, 15_000);
  return { conversation, text: offer.text };
}

/** The invitation to `to` went out once and counts once in its campaign's `sent`. */
export async function expectCountedOnce(t: TestGateway, to: string, campaign: string): Promise<void> {
  expect(messagesTo(t, to)).toHaveLength(1);
  expect(await t.gateway.core.store.campaigns.progress(campaign)).toMatchObject({
    sent: 1,
    states: { undeliverable: 1 },
  });
}

/** Hands the invitation's SMS over again in a job of its own; resolves with what the job returned. */
export async function handOverAgain(
  t: TestGateway,
  ended: EndedInvitation,
  campaign: string,
): Promise<string> {
  const { core } = t.gateway;
  const { conversation } = ended;
  const sms = (await core.store.timeline(conversation.id)).find((e) => e.kind === 'sms');
  const again = await core.queues.smsOut.add(SMS_JOB_NAME, {
    conversationId: conversation.id,
    smsId: String(sms?.smsId),
    to: conversation.msisdn,
    text: ended.text,
    templateId: conversation.consentTemplate?.id ?? '',
    asksConsent: true,
    campaign,
  });
  await eventually(async () => (await again.getState()) === 'completed', 'the second job to finish');
  return String((await core.queues.smsOut.getJob(String(again.id)))?.returnvalue);
}
