/**
 * The fuzz run of `npm run fuzz` (dev/fuzz), CI-sized: 2,000 random HTTP requests and 2,000
 * random deliver_sm at the same time, from a fixed seed, against the whole gateway on a real Redis,
 * bound to the carrier simulator. No 5xx, no hang, `/healthz` up throughout, every well-formed
 * deliver_sm answered, and every accepted reply stored in Redis, decided, and taken once.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportLines, runFuzz, type FuzzReport } from '../../dev/fuzz/run.js';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisClient } from '../support/redis.js';

let t: TestGateway;
let redis: Redis;
beforeAll(async () => {
  t = await startTestGateway({ env: { SMPP_TPS: '2000', SMPP_WINDOW: '20' } });
  redis = redisClient();
});
afterAll(async () => {
  await t?.stop();
  await redis?.quit();
});

describe('a fuzz run of 2,000 HTTP requests and 2,000 deliver_sm (seed 1414)', () => {
  let report: FuzzReport;
  beforeAll(async () => {
    report = await runFuzz(
      {
        httpUrl: t.gateway.httpUrl,
        keys: KEYS,
        sim: t.sim,
        redis,
        queuePrefix: t.prefixes.queuePrefix,
        keyPrefix: t.prefixes.keyPrefix,
        exited: () => undefined,
      },
      {
        seed: 1414,
        http: 2_000,
        smpp: 2_000,
        invitations: 20,
        settleMs: 60_000,
      },
    );
    console.log(reportLines(report).join('\n'));
  }, 180_000);

  it('answers every HTTP request below 500, in time, with /healthz up throughout', () => {
    expect(report.httpSent).toBe(2_000);
    expect(report.httpExamples).toEqual([]);
    expect(report.http5xx).toBe(0);
    expect(report.httpTimeouts).toBe(0);
    expect(report.healthFailures).toBe(0);
    // The run reached the routes, not only the key check.
    expect(report.httpStatuses.get('202') ?? 0).toBeGreaterThan(0);
    expect(report.httpStatuses.get('400') ?? 0).toBeGreaterThan(0);
  });

  it('answers every well-formed deliver_sm, and survives the malformed ones', () => {
    const { smpp } = report;
    expect(smpp.sent).toBe(2_000);
    expect(smpp.unanswered).toBe(0);
    expect(smpp.strayAnswers).toBe(0);
    expect(smpp.byKind.malformed + smpp.byKind.odd).toBeGreaterThan(0);
  });

  it('stores every accepted reply, decides every copy, and takes the reply once', () => {
    const { ledger } = report;
    expect(ledger.lostExamples).toEqual([]);
    expect(ledger.repliesAccepted).toBeGreaterThan(1_000);
    expect(ledger.repliesStored).toBe(ledger.repliesAccepted);
    expect(ledger.repliesTakenTwice).toBe(0);
    // The SMSC's copies (retransmissions) were stored and told apart.
    expect(ledger.replyCopies).toBeGreaterThan(0);
    expect(ledger.repliesFailed).toBe(0);
    expect(report.undecided).toBe(0);
    expect(ledger.partsLost).toBe(0);
    expect(ledger.receiptsLost).toBe(0);
    expect(ledger.receiptsAccepted).toBeGreaterThan(0);
  });
});
