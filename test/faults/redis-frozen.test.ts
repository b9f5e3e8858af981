/**
 * Redis that stops answering without closing its connections (SIGSTOP: a hung host, a network that
 * drops packets, a fork stalling on a huge snapshot), checked from outside: `gateway/main.ts` as
 * `npm start` runs it, the independent Perl SMSC as the carrier, plain fetch as the client.
 * CONTRACT.md: nothing a client sends may hang or lose state, and a deliver_sm gets a temporary
 * error while Redis is unreachable. redis-down.test.ts covers Redis gone (connections refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { STATUS } from '../../gateway/smpp/status.js';
import { eventually, KEYS } from '../support/gateway.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { startMain, type MainProcess } from '../support/process.js';
import { missing, perlSmsc } from '../support/requires.js';

const skip = missing(perlSmsc);
const PHONE = '77095550001';
/** Long enough for every bound the gateway sets itself; a call still unanswered then has hung. */
const HUNG_MS = 20_000;
let redis: RedisServerHandle;
let smsc: PerlSmsc;
let gateway: MainProcess | undefined;
let frozen = false;

const freeze = (): void => {
  redis.process.kill('SIGSTOP');
  frozen = true;
};
const thaw = (): void => {
  if (frozen) redis.process.kill('SIGCONT');
  frozen = false;
};

beforeAll(async () => {
  if (skip) return;
  redis = await startRedisServer();
  smsc = await PerlSmsc.start(['--system-id', 'gw', '--password', 'secret']);
  gateway = await startMain({
    REDIS_URL: redis.url,
    SMPP_PORT: String(smsc.smppPort),
    SMPP_SYSTEM_ID: 'gw',
    SMPP_PASSWORD: 'secret',
    SEND_WINDOW: 'always',
    API_KEYS: `system:${KEYS.system},agent:${KEYS.agent}`,
    LOG_LEVEL: 'warn',
  });
}, 60_000);

afterAll(async () => {
  thaw();
  await gateway?.stop();
  await smsc?.stop();
  await redis?.stop();
});

const invitation = {
  service: 'social-portal',
  externalId: 'frozen-1',
  msisdn: PHONE,
  language: 'ru',
  params: { fullName: 'Айгүл Сейітқызы', dataReceivedOn: '2026-11-20' },
};

function call(path: string, key: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway!.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(HUNG_MS),
  });
}

describe.skipIf(skip)('Redis frozen with its connections open', () => {
  it('the API answers 503 GW_REDIS_UNAVAILABLE with Retry-After instead of hanging, a reply gets 0x64; once Redis answers again the retried invitation is one conversation and the reply is taken', async () => {
    freeze();
    try {
      const invited = await call('/v1/invitations', KEYS.system, invitation);
      expect(invited.status).toBe(503);
      expect(invited.headers.get('retry-after')).toBe('5');
      expect(await invited.json()).toMatchObject({ error: { code: 'GW_REDIS_UNAVAILABLE' } });

      const lookup = await call(`/v1/conversations?msisdn=${PHONE}`, KEYS.agent);
      expect(lookup.status).toBe(503);
      expect(await lookup.json()).toMatchObject({ error: { code: 'GW_REDIS_UNAVAILABLE' } });

      const reply = await smsc.control({ op: 'mo', from: PHONE, to: '1414', text: 'Иә', wait_ms: HUNG_MS });
      expect(reply.statuses).toEqual([STATUS.temporaryAppError]);
    } finally {
      thaw();
    }

    // The client retries as the 503 asked: one conversation, whichever call created it.
    const retried = await eventually(async () => {
      const res = await call('/v1/invitations', KEYS.system, invitation);
      return res.status === 202 && ((await res.json()) as { conversationId: string });
    }, 'the retried invitation accepted');
    const read = await call(`/v1/invitations/social-portal/frozen-1`, KEYS.system);
    expect(await read.json()).toMatchObject({ conversationId: retried.conversationId });
    const { conversations } = (await (
      await call(`/v1/conversations?msisdn=${PHONE}`, KEYS.agent)
    ).json()) as {
      conversations: unknown[];
    };
    expect(conversations).toHaveLength(1);
    // And the SMSC's retransmission of the reply is taken now.
    const again = await smsc.control({ op: 'mo', from: PHONE, to: '1414', text: 'Иә' });
    expect(again.statuses).toEqual([STATUS.ok]);
  }, 90_000);
});
