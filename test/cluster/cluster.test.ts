import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignStore } from '../../store/campaigns.js';
import { endedInvitation, expectCountedOnce, handOverAgain } from '../support/campaign-sent.js';
import { homeSchoolingParams, HALYK, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster.js';
import { missing, redisCli } from '../support/requires.js';
import { deadlineRuns, drained, messagesTo, stateReached } from '../support/scenario.js';

let cluster: RedisClusterHandle;
let t: TestGateway;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
  t = await startTestGateway({ env: { REDIS_CLUSTER_NODES: cluster.spec } });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await cluster?.stop();
});

describe.skipIf(missing(redisCli))('Redis Cluster (three masters)', () => {
  it('runs the home-schooling dialogue: invitation, reply, consent exactly once, deadline index', async () => {
    expect(t.gateway.core.store.isCluster).toBe(true);
    const to = '77015550001';
    const { conversation } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'cluster-1',
      msisdn: to,
      language: 'kk',
      params: homeSchoolingParams([HALYK, KASPI]),
    });
    const offer = await t.sim.nextMessage((m) => m.destination === to);
    expect(offer.text).toBe(conversation.consentTemplate?.text);
    // The deadline runs from the SMSC's acceptance of the offer (003, item 10).
    const { deadline } = await deadlineRuns(t, conversation.id);
    expect(await t.gateway.core.store.dueDeadlines(deadline, 10)).toContain(conversation.id);
    const result = await t.sim.injectReply({ from: to, text: '123#3#12', duplicate: 2 });
    expect(result.statuses).toEqual([0, 0]);
    const job = await eventually(
      () => t.gateway.core.queues.assignments.getJob(conversation.id),
      'assignment on Cluster',
    );
    expect(job.data.bank).toEqual(KASPI);
    const ack = await t.sim.nextMessage((m) => m.destination === to);
    expect(ack.text).toContain('Kaspi Bank');
    const timeline = await t.gateway.core.store.timeline(conversation.id);
    expect(timeline.filter((e) => e.kind === 'reply')).toHaveLength(1);

    // The offer, sent, keeps no record: a second hand-over of it finds it sent in the timeline
    // (store/lua/claim-n.lua, one call per SMS: its record and conversation share a slot).
    const { store } = t.gateway.core;
    const offerSms = timeline.find((e) => e.kind === 'sms');
    const smsId = String(offerSms?.smsId);
    await eventually(
      async () =>
        (await store.timeline(conversation.id)).some(
          (e) => e.kind === 'sms-status' && e.smsId === smsId && e.status === 'sent',
        ),
      'the offer recorded as sent',
    );
    const sms = { conversationId: conversation.id, smsId };
    expect(await store.sms.read(sms)).toEqual({ state: 'none' });
    expect(await store.sms.claim([sms], 'again', 60)).toEqual([
      { state: 'sent', templateId: null, campaign: null },
    ]);
  });

  it('counts an invitation in its campaign and lists it as awaiting its receipt once, also when the process stopped while writing them', async () => {
    const to = '77015550003';
    const campaign = 'cluster-cut';
    const { campaigns } = t.gateway.core.store;
    let cut = 0;
    // The process stops after the SMS is recorded sent, as it writes the campaign's count (in
    // another slot): the job is retried.
    campaigns.countSent = async function (...args) {
      if (cut === 0) {
        cut += 1;
        throw new Error('stopped while writing the progress');
      }
      return CampaignStore.prototype.countSent.apply(this, args);
    };
    try {
      const { conversation } = await t.gateway.core.conversations.invite({
        service: 'home-schooling',
        externalId: 'cluster-3',
        msisdn: to,
        language: 'kk',
        params: homeSchoolingParams([KASPI]),
        campaign,
      });
      await t.sim.nextMessage((m) => m.destination === to);
      await eventually(
        () => t.gateway.core.queues.outcomes.getJob(`${conversation.id}.sent`),
        '`sent` handed over by the retried job',
      );
      await drained(t, 15_000);
      expect(cut).toBe(1);
      expect(messagesTo(t, to)).toHaveLength(1);
      expect((await campaigns.progress(campaign))?.sent).toBe(1);
      const sent = (await t.gateway.core.store.timeline(conversation.id)).find(
        (e) => e.kind === 'sms-status' && e.status === 'sent',
      );
      if (sent?.kind !== 'sms-status') throw new Error('no sent entry');
      const { sms } = await t.gateway.core.awaitedReceipts.page(Math.floor(sent.at / 3600_000), '0', 1000);
      expect(sms.filter((s) => s.conversationId === conversation.id)).toEqual([
        { conversationId: conversation.id, smsId: sent.smsId },
      ]);
    } finally {
      delete (campaigns as { countSent?: unknown }).countSent;
    }
  });

  it("counts an invitation once when its job is retried after the count, its conversation ended and gone from the campaign's members", async () => {
    const to = '77015550004';
    const campaign = 'cluster-ended';
    const { core } = t.gateway;
    const { campaigns } = core.store;
    t.sim.setFinalState(to, 'UNDELIV');
    let cut = 0;
    // The process stops right after the count, before it forgets the count owed; the job is retried
    // only once the UNDELIV receipt has ended the conversation (its member gone).
    campaigns.countSent = async function (...args) {
      const counted = await CampaignStore.prototype.countSent.apply(this, args);
      if (cut === 0) {
        cut += 1;
        await stateReached(t, args[1].id, 'undeliverable', 15_000);
        throw new Error('stopped after writing the count');
      }
      return counted;
    };
    try {
      await endedInvitation(t, to, campaign, 'cluster-4');
      expect(cut).toBe(1);
      await expectCountedOnce(t, to, campaign);
    } finally {
      delete (campaigns as { countSent?: unknown }).countSent;
    }
  });

  it('counts an invitation once when a second job holding it finds it sent after its conversation ended', async () => {
    const to = '77015550005';
    const campaign = 'cluster-again';
    t.sim.setFinalState(to, 'UNDELIV');
    const ended = await endedInvitation(t, to, campaign, 'cluster-5');
    await expectCountedOnce(t, to, campaign);
    expect(await handOverAgain(t, ended, campaign)).toMatch(/skipped 1/);
    await expectCountedOnce(t, to, campaign);
  });

  it('fires due deadlines: a sweep claims them in the {deadlines} slot and commits each alone', async () => {
    const to = '77015550002';
    const { conversation } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'cluster-2',
      msisdn: to,
      language: 'ru',
      params: homeSchoolingParams([KASPI]),
    });
    await t.sim.nextMessage((m) => m.destination === to);
    const { deadline } = await deadlineRuns(t, conversation.id);
    t.clock.set(deadline + 60_000);
    expect(await t.gateway.sweeper.tick()).toBeGreaterThanOrEqual(1);
    const { core } = t.gateway;
    expect((await core.conversations.get(conversation.id))?.state).toBe('expired');
    expect((await core.queues.outcomes.getJob(`${conversation.id}.expired`))?.data).toMatchObject({
      outcome: 'expired',
    });
    // Claimed, then cleared by the commit's outbox: nothing left for the next sweep.
    expect(await core.store.dueDeadlines(deadline + 366 * 86_400_000, 10)).not.toContain(conversation.id);
    await t.gateway.sweeper.tick();
    const states = (await core.store.timeline(conversation.id))
      .filter((e) => e.kind === 'transition')
      .map((e) => e.to);
    expect(states).toEqual(['invited', 'expired']);
  });
});
