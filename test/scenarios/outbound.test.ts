/**
 * The outbound path under carrier faults: SMS go
 * through the `sms-out` queue, a dropped bind loses none, and an SMS the SMSC
 * accepted is never sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMS_BATCH_JOB_NAME, SMS_JOB_NAME, type SmsOutJob } from '../../queues/jobs.js';
import { SMS_RETRY } from '../../gateway/core/sms-handover.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { SMPP_WINDOW: '10' } });
});
afterAll(async () => {
  await t?.stop();
});

async function queueSms(prefix: string, count: number, to = '77015550100'): Promise<string[]> {
  const texts = Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`);
  // Handed over in one turn, as a campaign's are: they go out in batch jobs (sms-handover.ts).
  await t.gateway.core.sms.addAll(
    texts.map((text, i) => ({
      conversationId: 'none',
      smsId: `${prefix}-${i}`,
      to,
      text,
      templateId: 'test.sms',
      asksConsent: false,
    })),
  );
  return texts;
}

const received = (text: string): number => t.sim.submits.filter((s) => s.text === text).length;
const accepted = (text: string): number =>
  t.sim.submits.filter((s) => s.text === text && s.status === 0).length;

describe('SMS to send survive a dropped bind', () => {
  it('requests in flight when the link drops are sent again after re-bind; none that had its response is sent twice', async () => {
    const answered = await queueSms('answered', 20);
    await eventually(
      () => Promise.resolve(answered.every((x) => accepted(x) === 1)),
      'the first 20 accepted',
    );

    t.sim.setFaults({ noResponse: true });
    const stranded = await queueSms('stranded', 30);
    // Wait until the window is full of unanswered submits, then cut the link.
    await eventually(
      () => Promise.resolve(t.sim.submits.filter((s) => s.text.startsWith('stranded')).length >= 10),
      'a full window',
    );
    const inFlight = stranded.filter((x) => received(x) === 1);
    expect(inFlight.length).toBe(10);
    t.sim.setFaults({ noResponse: false });
    await t.sim.drop();
    await t.sim.waitForBind(1, 10_000);

    await eventually(
      () => Promise.resolve(stranded.every((x) => accepted(x) === 1)),
      'every stranded SMS accepted once',
      15_000,
    );
    for (const text of answered) expect(received(text)).toBe(1);
    for (const text of inFlight) expect(received(text)).toBe(2);
    for (const text of stranded.filter((x) => !inFlight.includes(x))) expect(received(text)).toBe(1);
  }, 30_000);

  it('under throttling every SMS is still accepted exactly once', async () => {
    t.sim.setFaults({ throttleEvery: 3 });
    const texts = await queueSms('throttled', 30, '77015550101');
    await eventually(() => Promise.resolve(texts.every((x) => accepted(x) === 1)), 'all accepted', 20_000);
    t.sim.setFaults({ throttleEvery: 0 });
    expect(
      t.sim.submits.filter((s) => s.text.startsWith('throttled') && s.status === 0x58).length,
    ).toBeGreaterThan(5);
  }, 30_000);
});

describe('a long message cut by a dropped link', () => {
  it('is finished with the parts not yet accepted, under the same reference: each part accepted once', async () => {
    const to = '77015550102';
    const text = 'Құрметті азамат! Сізге мемлекеттік қызмет көрсетілді. '.repeat(5).trim(); // 4+ UCS2 parts
    t.sim.setFaults({ dropAfterSubmits: 3, dropMode: 'noresp' });
    const data: SmsOutJob = {
      conversationId: 'none',
      smsId: 'long-1',
      to,
      text,
      templateId: 'test.sms',
      asksConsent: false,
    };
    await t.gateway.core.queues.smsOut.add(SMS_JOB_NAME, data, { jobId: 'none.long-1', ...SMS_RETRY });
    const whole = await t.sim.nextMessage((m) => m.destination === to, 15_000);
    t.sim.setFaults({ dropAfterSubmits: 0 });
    expect(whole.text).toBe(text);
    expect(whole.parts.length).toBeGreaterThanOrEqual(4);
    const mine = t.sim.submits.filter((s) => s.destination === to);
    const acceptedSeqs = mine.filter((s) => s.status === 0).map((s) => s.concat?.seq);
    expect(acceptedSeqs.sort()).toEqual(whole.parts.map((_, i) => i + 1));
    // One concatenation reference for every part, before and after the drop.
    expect(new Set(mine.map((s) => s.concat?.ref)).size).toBe(1);
  }, 30_000);
});

describe('SMS sent in batch jobs', () => {
  const sms = (prefix: string, i: number, to = '77015550110'): SmsOutJob => ({
    conversationId: 'none',
    smsId: `${prefix}-${i}`,
    to,
    text: `${prefix} ${i}`,
    templateId: 'test.sms',
    asksConsent: false,
  });
  const idle = async () => {
    const counts = await t.gateway.core.queues.smsOut.getJobCounts(
      'waiting',
      'prioritized',
      'active',
      'delayed',
    );
    return Object.values(counts).every((n) => n === 0);
  };

  const smsMetric = async (outcome: string): Promise<number> => {
    const text = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
    return Number(
      new RegExp(`^gateway_sms_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0,
    );
  };

  it('an SMS queued in two batch jobs at once (handed over twice) is sent once', async () => {
    const skippedBefore = await smsMetric('skipped');
    const first = Array.from({ length: 10 }, (_, i) => sms('twice', i));
    const second = [...first.slice(5), ...Array.from({ length: 5 }, (_, i) => sms('twice', 10 + i))];
    // Both jobs wait together, and slow answers keep the first one's submits unanswered (so its
    // SMS not yet marked sent) while the second claims: only the claims keep the five apart.
    t.sim.setFaults({ responseDelayMs: 300 });
    await t.gateway.core.queues.smsOut.addBulk(
      [first, second].map((batch) => ({ name: SMS_BATCH_JOB_NAME, data: { sms: batch }, opts: SMS_RETRY })),
    );
    const texts = [...first, ...second.slice(5)].map((s) => s.text);
    await eventually(async () => (await idle()) && texts.every((x) => accepted(x) === 1), 'all accepted');
    t.sim.setFaults({ responseDelayMs: 0 });
    for (const text of texts) expect(received(text)).toBe(1);
    // The five SMS both jobs held were skipped by one of them, and /metrics says so.
    expect((await smsMetric('skipped')) - skippedBefore).toBe(5);
  }, 30_000);

  it('an SMS the SMSC refuses for good leaves the others of its batch sent, and is not sent again', async () => {
    const refused = '77015550119';
    const failedBefore = await smsMetric('failed');
    t.sim.setFaults({ rejectTo: [refused] });
    const batch = Array.from({ length: 8 }, (_, i) => sms('refused', i, i === 3 ? refused : '77015550111'));
    await t.gateway.core.sms.addAll(batch);
    await eventually(async () => (await idle()) && received('refused 3') === 1, 'the batch done');
    t.sim.setFaults({ rejectTo: [] });
    for (const s of batch) expect(accepted(s.text)).toBe(s.to === refused ? 0 : 1);
    expect(received('refused 3')).toBe(1);
    expect(await t.gateway.core.queues.smsOut.getJobCounts('failed')).toEqual({ failed: 0 });
    expect((await smsMetric('failed')) - failedBefore).toBe(1);
  }, 30_000);
});

describe('an SMS of a batch the SMSC keeps throttling', () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startTestGateway({ smpp: { throttleBackoffMs: 20, maxThrottleRetries: 1 } });
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('goes on in a job of its own, with its own retries, and is accepted once when the SMSC takes it', async () => {
    g.sim.setFaults({ rejectStatus: 0x58 });
    const batch = Array.from({ length: 4 }, (_, i) => ({
      conversationId: 'none',
      smsId: `alone-${i}`,
      to: '77015550120',
      text: `alone ${i}`,
      templateId: 'test.sms',
      asksConsent: false,
    }));
    await g.gateway.core.sms.addAll(batch);
    const own = await eventually(async () => {
      const jobs = await Promise.all(
        batch.map((s) => g.gateway.core.queues.smsOut.getJob(`none.${s.smsId}`)),
      );
      return jobs.every((j) => j?.name === SMS_JOB_NAME) && jobs;
    }, 'a job of its own for each throttled SMS');
    expect(own).toHaveLength(4);
    g.sim.setFaults({ rejectStatus: 0 });
    const ok = (text: string) => g.sim.submits.filter((s) => s.text === text && s.status === 0).length;
    const idle = async () => {
      const counts = await g.gateway.core.queues.smsOut.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'delayed',
      );
      return Object.values(counts).every((n) => n === 0);
    };
    await eventually(
      async () => (await idle()) && batch.every((s) => ok(s.text) >= 1),
      'each accepted',
      20_000,
    );
    for (const s of batch) expect(ok(s.text)).toBe(1);
  }, 30_000);
});

describe('long SMS of a batch cut by a dropped link', () => {
  it('are finished by the same job with the parts not yet accepted: each part accepted once', async () => {
    const to = ['77015550130', '77015550131'];
    const text = (n: number) =>
      `${n} Құрметті азамат! Сізге мемлекеттік қызмет көрсетілді. `.repeat(5).trim();
    t.sim.setFaults({ dropAfterSubmits: 3, dropMode: 'noresp' });
    await t.gateway.core.sms.addAll(
      to.map((msisdn, n) => ({
        conversationId: 'none',
        smsId: `long-batch-${n}`,
        to: msisdn,
        text: text(n),
        templateId: 'test.sms',
        asksConsent: false,
      })),
    );
    const whole = await Promise.all(
      to.map((msisdn) => t.sim.nextMessage((m) => m.destination === msisdn, 15_000)),
    );
    t.sim.setFaults({ dropAfterSubmits: 0 });
    for (const [n, msisdn] of to.entries()) {
      expect(whole[n]?.text).toBe(text(n));
      const mine = t.sim.submits.filter((s) => s.destination === msisdn && s.status === 0);
      expect(mine.map((s) => s.concat?.seq).sort()).toEqual(whole[n]!.parts.map((_, i) => i + 1));
      expect(
        new Set(t.sim.submits.filter((s) => s.destination === msisdn).map((s) => s.concat?.ref)).size,
      ).toBe(1);
    }
  }, 30_000);
});
