/**
 * Who may answer, and what the carrier says (CONTRACT.md, "Replies that match no open
 * conversation"): an invitation the carrier could not deliver, and senders that
 * are not phone numbers (several open requests of one number: families.test.ts).
 */
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyJob } from '../../queues/jobs.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { ofKind } from '../../store/timeline-entry.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { drained, invite, messagesTo, numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('705');
const to = (m: string) => (x: { destination: string }) => x.destination === m;

/** The completed inbound job of a reply from `from`, once the worker is done with it. */
const processedReply = (from: string) =>
  eventually(async () => {
    const done = (await t.gateway.core.queues.inbound.getCompleted()) as Array<Job<ReplyJob>>;
    return done.find((j) => j.name === 'reply.v1' && j.data.from === from);
  }, `the reply from ${from} to be processed`);

describe('routing of replies and receipts', () => {
  it('the carrier reports the invitation undelivered: the conversation becomes undeliverable, visible in its timeline', async () => {
    const phone = msisdn();
    t.sim.setFinalState(phone, 'UNDELIV');
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    await t.sim.nextMessage(to(phone));
    // The receipt may overtake the record of the submit_sm_resp; its job is retried until it matches.
    const failed = await stateReached(t, conv.id, 'undeliverable', 15_000);
    expect(failed.deadline).toBeNull();
    const timeline = await t.gateway.core.store.timeline(conv.id);
    expect(timeline).toContainEqual(expect.objectContaining({ kind: 'sms-status', stat: 'UNDELIV' }));
    expect(timeline).toContainEqual(expect.objectContaining({ kind: 'transition', to: 'undeliverable' }));
    // A reply now belongs to no open conversation of that number.
    await t.sim.injectReply({ from: phone, text: '123#3#1' });
    await drained(t, 15_000);
    expect(await t.gateway.core.queues.assignments.getJob(conv.id)).toBeUndefined();
  });

  it("the receipts of a multipart invitation's parts make one delivered entry that names every part", async () => {
    const phone = msisdn();
    const conv = await invite(t, 'home-schooling', phone, homeSchoolingParams([KASPI]));
    const sent = await eventually(async () => {
      const timeline = await t.gateway.core.store.timeline(conv.id);
      return timeline.filter(ofKind('sms-status')).find((e) => e.status === 'sent');
    }, 'the invitation to be sent');
    const parts = sent.messageIds?.length ?? 0;
    expect(parts).toBeGreaterThan(1);
    const delivered = await eventually(async () => {
      const timeline = await t.gateway.core.store.timeline(conv.id);
      const entries = timeline.filter(ofKind('sms-status')).filter((e) => e.status === 'delivered');
      return entries.length === 1 && entries[0]?.partList?.length === parts && entries;
    }, `the ${parts} receipts to be in the timeline`);
    expect(delivered[0]).toMatchObject({ smsId: sent.smsId, parts, stat: 'DELIVRD', err: '000' });
  });

  it('a reply from an alphanumeric sender or a short code is acknowledged to the SMSC and never answered', async () => {
    for (const sender of ['EGOV', '1414']) {
      expect((await t.sim.injectReply({ from: sender, text: '123#3#1' })).statuses).toEqual([0]);
      expect((await processedReply(sender)).returnvalue).toBe('ignored-sender');
    }
    await drained(t);
    expect(messagesTo(t, 'EGOV')).toEqual([]);
    expect(messagesTo(t, '1414')).toEqual([]);
  });
});
