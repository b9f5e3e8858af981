/**
 * The whole gateway in-process, configured through its env as a user configures it, bound to the
 * independent Perl SMSC, and driven from outside: the HTTP API with the contract's keys, the citizens'
 * SMS through the SMSC's control port, what the carrier received read from the SMSC's log
 * (test/support/sms-pdus.ts), and the contract's queues as a plain BullMQ consumer reads them. The
 * acceptance tests' set-up (test/scenarios/contract-perl-smsc.test.ts, acts-word-for-word.test.ts,
 * corpus-replies.test.ts).
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { expect } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, type GatewayHandle } from '../../gateway/gateway.js';
import { eventually, KEYS } from './gateway.js';
import { PerlSmsc } from './perl-smsc.js';
import { redisClient, redisUrl, testPrefix } from './redis.js';
import { smsTo, type WholeSms } from './sms-pdus.js';

/** How long any awaited event may take on a loaded machine (2 cores shared by several runs). */
export const WAIT_MS = 15_000;

export interface PerlGateway {
  readonly smsc: PerlSmsc;
  readonly gateway: GatewayHandle;
  /** The BullMQ prefix of the gateway's queues (a plain consumer joins them with it). */
  readonly queuePrefix: string;
  /** `assignments` and `outcomes` as a plain BullMQ consumer sees them. */
  readonly assignments: Queue;
  readonly outcomes: Queue;
  /** One HTTP call with a key of the contract's roles; the JSON answer. */
  readonly api: (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    key?: string,
  ) => Promise<{ status: number; body: Record<string, unknown> }>;
  /** POST /v1/invitations, answered 202: the conversation id. */
  readonly invite: (body: Record<string, unknown>) => Promise<string>;
  /** The `n`-th whole SMS (from 1) the SMSC received for `to`, each part read alone and sound. */
  readonly nthSms: (to: string, n: number) => Promise<WholeSms>;
  /** The citizen's SMS to 1414, acknowledged by the gateway (deliver_sm_resp 0): the SMSC's answer. */
  readonly reply: (
    from: string,
    text: string,
    extra?: Record<string, unknown>,
  ) => Promise<Record<string, unknown>>;
  /** The conversation as an agent reads it, once it is in `state`. */
  readonly stateOf: (id: string, state: string) => Promise<Record<string, unknown>>;
  /** Every SMS the gateway will send about what happened so far has been handed to the SMSC. */
  readonly settled: () => Promise<true>;
  stop(): Promise<void>;
}

export async function startOnPerlSmsc(options: {
  readonly name: string;
  /** Env on top of the SMSC's port and credentials and the system and agent keys. */
  readonly env?: Record<string, string>;
  /** A clock the test moves; the sweeper then runs only on `gateway.sweeper.tick()`. */
  readonly now?: () => number;
}): Promise<PerlGateway> {
  const smsc = await PerlSmsc.start(['--dlr-delay-ms', '0']);
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    HTTP_PORT: '0',
    SMPP_PORT: String(smsc.smppPort),
    SMPP_SYSTEM_ID: 'gw',
    SMPP_PASSWORD: 'secret',
    API_KEYS: `system:${KEYS.system},agent:${KEYS.agent}`,
    ...options.env,
  });
  const prefix = testPrefix(options.name);
  const queuePrefix = `{bull-${prefix}}`;
  const gateway = await startGateway(config, {
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    keyPrefix: `gw-${prefix}`,
    queuePrefix,
    ...(options.now ? { now: options.now, sweepIntervalMs: 0, deadlineGraceMs: 0 } : {}),
  });
  await gateway.transport.until((cs) => cs.every((c) => c.ready), 10_000);
  const redis = redisClient();
  const assignments = new Queue('assignments', { connection: redis, prefix: queuePrefix });
  const outcomes = new Queue('outcomes', { connection: redis, prefix: queuePrefix });

  const api: PerlGateway['api'] = async (method, path, body, key = KEYS.system) => {
    const res = await fetch(`${gateway.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  return {
    smsc,
    gateway,
    queuePrefix,
    assignments,
    outcomes,
    api,
    invite: async (body) => {
      const { status, body: answer } = await api('POST', '/v1/invitations', body);
      expect(status, JSON.stringify(answer)).toBe(202);
      return String(answer.conversationId);
    },
    nthSms: async (to, n) => {
      await smsc.waitFor(() => smsTo(smsc.log, to).length >= n, WAIT_MS);
      const sms = smsTo(smsc.log, to)[n - 1]!;
      for (const part of sms.parts) {
        expect(part.problems, `part ${part.concat?.seq ?? 1} of an SMS to ${to}`).toEqual([]);
        expect(part.line).toMatchObject({ source_addr: '1414', registered_delivery: 1 });
      }
      if (sms.parts.length > 1) {
        // The SMSC's own reassembly of the same parts agrees with ours; its ids in any order, as the
        // parts may be accepted in another order than their sequence numbers.
        const ids = sms.parts.map((p) => (p.line.resp as { message_id: string }).message_id).sort();
        const whole = await smsc.waitFor(
          (l) =>
            l.event === 'concat_complete' &&
            Array.isArray(l.message_ids) &&
            JSON.stringify([...(l.message_ids as string[])].sort()) === JSON.stringify(ids),
          WAIT_MS,
        );
        expect(whole.text).toBe(sms.text);
      }
      return sms;
    },
    reply: async (from, text, extra = {}) => {
      // The SMSC waits this long for the deliver_sm_resp (under its control socket's 15 s).
      const answer = await smsc.control({ op: 'mo', from, to: '1414', text, wait_ms: 12_000, ...extra });
      expect(answer.statuses).toEqual([0]);
      return answer;
    },
    stateOf: (id, state) =>
      eventually(
        async () => {
          const { body } = await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent);
          return body.state === state ? body : undefined;
        },
        `state ${state}`,
        WAIT_MS,
      ),
    settled: () =>
      eventually(
        async () => {
          const counts = await Promise.all(
            [gateway.core.queues.inbound, gateway.core.queues.smsOut].map((q) =>
              q.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
            ),
          );
          const outboxes = await gateway.core.store.outboxes.pending(1);
          return counts.every((c) => Object.values(c).every((n) => n === 0)) && outboxes.length === 0;
        },
        'the gateway to settle',
        WAIT_MS,
      ),
    async stop() {
      await assignments.close();
      await outcomes.close();
      await redis.quit();
      await gateway.stop();
      await smsc.stop();
    },
  };
}
