/**
 * A campaign's `sent` counts each invitation SMS once (store/lua/sent-n.lua counts it in the call
 * that records it sent; docs/reliability.md): not again when its job is retried after that call, nor
 * when a second job holding the same SMS finds it sent, even once its conversation has ended and left
 * the campaign's members. Single Redis; test/cluster/cluster.test.ts runs the same on Cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../store/conversations.js';
import { endedInvitation, expectCountedOnce, handOverAgain } from '../support/campaign-sent.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { numbers, stateReached } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const msisdn = numbers('792');

describe("a campaign's sent count", () => {
  it('counts an invitation once when its job, stopped right after the sent write, is retried after its conversation ended', async () => {
    const to = msisdn();
    const campaign = 'once-retried';
    const { store } = t.gateway.core;
    t.sim.setFinalState(to, 'UNDELIV');
    let cut = 0;
    // The process stops once the SMS is recorded sent (and counted); the job is retried only once
    // the UNDELIV receipt has ended the conversation.
    store.recordSentMany = async function (...args) {
      const written = await ConversationStore.prototype.recordSentMany.apply(this, args);
      const [records] = args;
      const mine = records.find((r) => r.campaign === campaign);
      if (cut === 0 && mine) {
        cut += 1;
        await stateReached(t, mine.conversationId, 'undeliverable', 15_000);
        throw new Error('stopped after the sent write');
      }
      return written;
    };
    try {
      await endedInvitation(t, to, campaign, 'once-1');
      expect(cut).toBe(1);
      await expectCountedOnce(t, to, campaign);
    } finally {
      delete (store as { recordSentMany?: unknown }).recordSentMany;
    }
  });

  it('counts an invitation once when a second job holding it finds it sent after its conversation ended', async () => {
    const to = msisdn();
    const campaign = 'once-again';
    t.sim.setFinalState(to, 'UNDELIV');
    const ended = await endedInvitation(t, to, campaign, 'once-2');
    await expectCountedOnce(t, to, campaign);
    expect(await handOverAgain(t, ended, campaign)).toMatch(/skipped 1/);
    await expectCountedOnce(t, to, campaign);
  });
});
