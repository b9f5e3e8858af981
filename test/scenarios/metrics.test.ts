/**
 * What an operator alerts on is in /metrics: the running release, conversations by service and
 * state, and each queue's backlog and the age of its oldest waiting job.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { freePort } from '../../dev/redis-server.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { deadlineRuns } from '../support/scenario.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

async function metric(name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const invite = (n: number) =>
  t.gateway.core.conversations.invite({
    service: 'home-schooling',
    externalId: `metrics-${n}`,
    msisdn: `770155509${String(n).padStart(2, '0')}`,
    language: 'ru',
    params: homeSchoolingParams([KASPI]),
  });

describe('/metrics', () => {
  it('names the running release: version, commit and Node', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(
        `^gateway_build_info\\{version="${version.replace(/\./g, '\\.')}",commit="[0-9a-z]+",node="${process.versions.node}"\\} 1$`,
        'm',
      ),
    );
  });

  it('counts conversations by service and state, moving them as they change', async () => {
    const [a, b] = [await invite(1), await invite(2)];
    expect(await metric('gateway_conversations', 'service="home-schooling",state="invited"')).toBe(2);
    await t.gateway.core.conversations.apply(b.conversation.id, { type: 'deadline' });
    await deadlineRuns(t, b.conversation.id);
    t.clock.set((await deadlineRuns(t, a.conversation.id)).deadline + 1);
    await t.gateway.sweeper.tick();
    expect(await metric('gateway_conversations', 'service="home-schooling",state="invited"')).toBe(0);
    expect(await metric('gateway_conversations', 'service="home-schooling",state="expired"')).toBe(2);
  });

  it("shows each queue's jobs by state and the age of its oldest waiting job", async () => {
    // Nobody consumes `assignments` in this test: what is put there waits.
    const queue = t.gateway.core.queues.assignments;
    await queue.add('probe', {}, { jobId: 'old', timestamp: Date.now() - 90_000 });
    await queue.add('probe', {}, { jobId: 'new' });
    expect(await metric('gateway_queue_jobs', 'queue="assignments",state="waiting"')).toBe(2);
    const age = await metric('gateway_queue_oldest_waiting_seconds', 'queue="assignments"');
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(900);
    await queue.remove('old');
    await eventually(
      async () => ((await metric('gateway_queue_oldest_waiting_seconds', 'queue="assignments"')) ?? 99) < 60,
      'the oldest to be the new job',
    );
    expect(await metric('gateway_queue_jobs', 'queue="sms-out",state="failed"')).toBe(0);
    // The earlier tests' delivery receipts pass through `inbound`: once they are taken, nothing waits.
    await eventually(
      async () => (await metric('gateway_queue_oldest_waiting_seconds', 'queue="inbound"')) === 0,
      'no inbound job waiting',
      15_000,
    );
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on its own port and no longer beside the API', async () => {
    const port = await freePort();
    const own = await startTestGateway({ env: { METRICS_PORT: String(port) } });
    try {
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('gateway_build_info');
      expect((await fetch(`${own.gateway.httpUrl}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/v1/conversations`)).status).toBe(404);
      expect((await fetch(`${own.gateway.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await own.stop();
    }
  });
});
