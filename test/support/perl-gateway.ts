/**
 * The whole gateway in-process, configured through its env as a user configures it, bound to the
 * independent Perl SMSC, and driven through its HTTP API: the acceptance tests' set-up
 * (test/scenarios/contract-perl-smsc.test.ts, acts-word-for-word.test.ts).
 */
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, type GatewayHandle } from '../../gateway/gateway.js';
import { KEYS } from './gateway.js';
import { PerlSmsc } from './perl-smsc.js';
import { redisUrl, testPrefix } from './redis.js';

export interface PerlGateway {
  readonly smsc: PerlSmsc;
  readonly gateway: GatewayHandle;
  /** The BullMQ prefix of the gateway's queues (a plain consumer joins them with it). */
  readonly queuePrefix: string;
  /** One HTTP call with a key of the contract's roles; the JSON answer. */
  readonly api: (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    key?: string,
  ) => Promise<{ status: number; body: Record<string, unknown> }>;
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
  return {
    smsc,
    gateway,
    queuePrefix,
    api: async (method, path, body, key = KEYS.system) => {
      const res = await fetch(`${gateway.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async stop() {
      await gateway.stop();
      await smsc.stop();
    },
  };
}
