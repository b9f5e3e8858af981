/**
 * The single-carrier configuration of CONTRACT.md ("Configuration") checked from outside, as an
 * operator starts the gateway: `gateway/main.ts` (what `npm start` runs) in a process of its own,
 * given nothing but its environment, on a Redis of its own, bound to the independent Perl SMSC,
 * whose log shows what each SMPP_* variable made of the bind and of every submit_sm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../dev/redis-server.js';
import { eventually, KEYS } from '../support/gateway.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { startMain, type MainProcess } from '../support/process.js';
import { missing, perlSmsc } from '../support/requires.js';
import { smsTo } from '../support/sms-pdus.js';

const WAIT_MS = 20_000;
const TPS = 5;
const WINDOW = 2;
/** A long number as the sender, as an operator without a short code of its own would set it. */
const SENDER = '77010001414';
const PHONES = ['77075550001', '77075550002', '77075550003'];

const skip = missing(perlSmsc);
let redis: RedisServerHandle;
let smsc: PerlSmsc;
let gateway: MainProcess | undefined;

beforeAll(async () => {
  if (skip) return;
  redis = await startRedisServer();
  // Every submit_sm answered after 300 ms, so a window of two fills.
  smsc = await PerlSmsc.start(['--system-id', 'gw1414', '--password', 'pw1414', '--delay-resp-ms', '300']);
  gateway = await startMain({
    REDIS_URL: redis.url,
    SMPP_PORT: String(smsc.smppPort),
    SMPP_SYSTEM_ID: 'gw1414',
    SMPP_PASSWORD: 'pw1414',
    SMPP_SYSTEM_TYPE: 'egov',
    SMPP_SOURCE_ADDR: SENDER,
    SMPP_TPS: String(TPS),
    SMPP_WINDOW: String(WINDOW),
    SMPP_ENQUIRE_LINK_S: '1',
    SEND_WINDOW: 'always',
    API_KEYS: `system:${KEYS.system}`,
    LOG_LEVEL: 'warn',
  });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await smsc?.stop();
  await redis?.stop();
});

/** A call of the upstream system (a POST when it has a body), as plain fetch makes it. */
async function system(
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gateway!.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${KEYS.system}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.skipIf(skip)('npm start configured by SMPP_* alone, seen from the Perl SMSC', () => {
  it('binds as a transceiver with SMPP_SYSTEM_ID, SMPP_PASSWORD and SMPP_SYSTEM_TYPE, and keeps the bind with enquire_link every SMPP_ENQUIRE_LINK_S', async () => {
    const [bind] = await smsc.receivedAtLeast('bind_transceiver', 1, WAIT_MS);
    expect(bind).toMatchObject({
      system_id: 'gw1414',
      password: 'pw1414',
      system_type: 'egov',
      interface_version: 0x34,
      resp: { status: 0 },
    });
    const links = await smsc.receivedAtLeast('enquire_link', 2, WAIT_MS);
    expect(links.every((l) => l.conn === bind!.conn)).toBe(true);
  });

  it('sends from SMPP_SOURCE_ADDR, a long number, as international E.164 (TON 1, NPI 1), within SMPP_WINDOW and SMPP_TPS, asking for receipts', async () => {
    const res = await system('/v1/invitations', {
      invitations: PHONES.map((msisdn, i) => ({
        service: 'school-meals',
        externalId: `env-${i}`,
        msisdn,
        language: 'ru',
        params: { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' },
      })),
    });
    expect(res.status).toBe(202);
    const sms = await Promise.all(
      PHONES.map(async (to) => {
        await smsc.waitFor(() => smsTo(smsc.log, to).length > 0, WAIT_MS);
        return smsTo(smsc.log, to)[0]!;
      }),
    );
    const parts = sms.flatMap((s) => s.parts);
    expect(parts.length).toBeGreaterThan(TPS);
    for (const { line } of parts) {
      expect(line).toMatchObject({
        source_addr: SENDER,
        source_addr_ton: 1,
        source_addr_npi: 1,
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        registered_delivery: 1,
      });
    }
    // Every submit answered, so the count in flight is read from a whole log.
    await smsc.waitFor(
      () => smsc.log.filter((l) => l.dir === 'out' && l.command === 'submit_sm_resp').length >= parts.length,
      WAIT_MS,
    );
    let inFlight = 0;
    let most = 0;
    for (const l of smsc.log) {
      if (l.dir === 'in' && l.command === 'submit_sm') most = Math.max(most, ++inFlight);
      if (l.dir === 'out' && l.command === 'submit_sm_resp') inFlight--;
    }
    expect(most, 'submit_sm in flight').toBe(WINDOW);
    const times = smsc.received('submit_sm').map((l) => Number(l.ts_ms));
    // The gateway spaces the (k+TPS)-th submit a second after the k-th. The SMSC reads them late
    // whenever the loaded machine does not schedule it, which shortens the gaps that start in such
    // a stall: so the typical gap, not the shortest, and the whole span, which a stall shortens at
    // most once. Twice the rate would halve both.
    const gaps = times
      .slice(TPS)
      .map((t, i) => t - times[i]!)
      .sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    expect(median, `the typical time ${TPS + 1} submits take`).toBeGreaterThanOrEqual(900);
    const seconds = Math.ceil(times.length / TPS) - 1;
    expect(times.at(-1)! - times[0]!, `${times.length} submits`).toBeGreaterThanOrEqual(seconds * 1000 - 500);
  }, 60_000);

  it('a reply whose sender the SMSC gives in national form (TON 2, 10 digits) answers the conversation of that number', async () => {
    const phone = '77075550009';
    const res = await system('/v1/invitations', {
      service: 'school-meals',
      externalId: 'env-national',
      msisdn: phone,
      language: 'kk',
      params: { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' },
    });
    expect(res.status).toBe(202);
    await smsc.waitFor(() => smsTo(smsc.log, phone).length > 0, WAIT_MS);
    const reply = await smsc.control({
      op: 'mo',
      from: phone.slice(1),
      from_ton: 2,
      to: '1414',
      text: '3#1',
    });
    expect(reply.statuses).toEqual([0]);
    await eventually(
      async () => (await system('/v1/invitations/school-meals/env-national')).body.state === 'consented',
      'the conversation consented',
      WAIT_MS,
    );
  }, 60_000);
});
