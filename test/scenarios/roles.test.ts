/**
 * GATEWAY_ROLE: an `edge` process holds the binds and acknowledges replies once stored; a
 * `workers` process decides them; an `api` process takes invitations and leaves their SMS to the
 * edge's binds. Nothing is decided on the edge, and nothing is lost between.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { REPLY_JOB_NAME } from '../../queues/jobs.js';
import { startApiProcess, startWorkerProcess, type WorkerProcessHandle } from '../../gateway/gateway.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisUrl } from '../support/redis.js';

let t: TestGateway;
let workers: WorkerProcessHandle | undefined;
let apiProcess: WorkerProcessHandle | undefined;
beforeAll(async () => {
  t = await startTestGateway({ env: { GATEWAY_ROLE: 'edge' } });
});
afterAll(async () => {
  await apiProcess?.stop();
  await workers?.stop();
  await t?.stop();
});

describe('edge and workers processes', () => {
  it('the edge stores and acknowledges a reply without deciding it; the workers process decides it', async () => {
    const to = '77015557001';
    const { conversation } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'roles-1',
      msisdn: to,
      language: 'ru',
      params: homeSchoolingParams([KASPI]),
    });
    await t.sim.nextMessage((m) => m.destination === to);
    expect((await t.sim.injectReply({ from: to, text: '123#3#1' })).statuses).toEqual([0]);
    // Stored, not decided: the reply waits in `inbound` (beside the offer's receipts).
    const waiting = await t.gateway.core.queues.inbound.getWaiting();
    expect(waiting.filter((j) => j.name === REPLY_JOB_NAME).map((j) => String(j.data.text))).toEqual([
      '123#3#1',
    ]);
    expect((await t.gateway.core.conversations.get(conversation.id))?.state).toBe('invited');

    const config = loadConfig({
      REDIS_URL: redisUrl(),
      HTTP_PORT: '0',
      API_KEYS: `agent:${KEYS.agent}`,
      GATEWAY_ROLE: 'workers',
    });
    workers = await startWorkerProcess(config, {
      log: pino({ level: 'silent' }),
      ...t.prefixes,
      now: t.clock.now,
      sweepIntervalMs: 0,
      deadlineGraceMs: 0,
    });
    const job = await eventually(
      () => t.gateway.core.queues.assignments.getJob(conversation.id),
      'the consent',
    );
    expect(job.data.bank).toEqual(KASPI);
    // The acknowledgement SMS leaves through the edge's binds.
    expect((await t.sim.nextMessage((m) => m.destination === to)).text).toContain('Kaspi Bank');
    expect((await fetch(`${workers.httpUrl}/readyz`)).status).toBe(200);
  });
});

describe('an api process beside the edge', () => {
  it("takes an invitation over HTTP without a bind; the edge sends its SMS and starts the deadline from the SMSC's acceptance without a step", async () => {
    const config = loadConfig({
      REDIS_URL: redisUrl(),
      HTTP_PORT: '0',
      API_KEYS: `system:${KEYS.system}`,
      GATEWAY_ROLE: 'api',
    });
    apiProcess = await startApiProcess(config, {
      log: pino({ level: 'silent' }),
      ...t.prefixes,
      now: t.clock.now,
      sweepIntervalMs: 0,
    });
    // Ready with Redis alone: it holds no bind.
    expect((await fetch(`${apiProcess.httpUrl}/readyz`)).status).toBe(200);
    const to = '77015557002';
    const res = await fetch(`${apiProcess.httpUrl}/v1/invitations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.system}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        service: 'home-schooling',
        externalId: 'roles-api-1',
        msisdn: to,
        language: 'ru',
        params: homeSchoolingParams([KASPI]),
      }),
    });
    expect(res.status).toBe(202);
    const { conversationId } = (await res.json()) as { conversationId: string };
    // The version its commit wrote (the edge may already be sending its SMS: no more is asserted here).
    const committed = await apiProcess.core.conversations.get(conversationId);
    expect(committed?.state).toBe('invited');
    // The offer leaves through the edge's bind, and its acceptance starts the stage's deadline.
    expect((await t.sim.nextMessage((m) => m.destination === to)).text).toContain('Kaspi Bank');
    const started = await eventually(async () => {
      const conv = await t.gateway.core.conversations.get(conversationId);
      return conv?.deadline != null && conv;
    }, "the deadline the offer's acceptance starts");
    // Indexed with the sent entry by the edge, from what the invitation's job carried: no step written.
    expect(started.version).toBe(committed?.version);
    expect(await t.gateway.core.store.dueDeadlines(started.deadline!, 100)).toContain(conversationId);
  });
});
