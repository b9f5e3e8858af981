/**
 * Three carriers checked from outside, as an acceptance tester with independent peers would: the
 * gateway started as a process of its own (configured by its env and a CARRIERS_FILE, as
 * docs/operations.md starts it), each carrier on its own Perl SMSC with two binds of its own
 * settings, numbers of every range and ported numbers (PORTABILITY_FILE) invited through the HTTP
 * API, and what each carrier saw read from its SMSC's log (docs/smpp.md, "Configuring carriers",
 * "Ported numbers", "Bind settings").
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KZ_CARRIERS, replaceLines } from '../support/carriers.js';
import { eventually, KEYS } from '../support/gateway.js';
import { PerlSmsc, type SmscLogLine } from '../support/perl-smsc.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { redisUrl, testPrefix } from '../support/redis.js';
import { smsTo } from '../support/sms-pdus.js';

const WAIT_MS = 15_000;
type Id = 'kcell' | 'beeline' | 'tele2';
const IDS: readonly Id[] = ['kcell', 'beeline', 'tele2'];

/** Each bind entry's own rate and window, told apart at the SMSC by its system_type. */
const KCELL_BINDS = [
  { systemType: 'kc-a', tps: 5, window: 1 },
  { systemType: 'kc-b', tps: 8, window: 2 },
] as const;

const N = {
  kcell: ['77011110001', '77751110002', '77021110017', '77781110018'],
  /** A Tele2/Altel prefix, ported to Kcell. */
  portedToKcell: '77471110005',
  beeline: '77051110006',
  /** A Kcell prefix, ported to Beeline. */
  portedToBeeline: '77011110007',
  /** No carrier's range: the default carrier (Beeline). */
  noRange: '77601110008',
  tele2: '77071110009',
  /** A Beeline prefix, ported to Tele2/Altel. */
  portedToTele2: '77051110010',
  /** Every other range of Beeline and Tele2/Altel. */
  beelineRanges: ['77711110011', '77761110012', '77771110013'],
  tele2Ranges: ['77001110014', '77081110015', '77471110016'],
};

const smsc = {} as Record<Id, PerlSmsc>;
const systemIds: Record<Id, string> = { kcell: 'kcell1414', beeline: 'beeline1414', tele2: 'tele21414' };
let gateway: GatewayProcess | undefined;
let dir = '';

const writePorted = (lines: readonly string[]): void => replaceLines(path.join(dir, 'ported.txt'), lines);

function startSmsc(id: Id, extra: readonly string[] = []): Promise<PerlSmsc> {
  return PerlSmsc.start(['--system-id', systemIds[id], '--password', 'pw', '--dlr-delay-ms', '0', ...extra]);
}

async function api(method: 'GET' | 'POST', url: string, body?: unknown, key = KEYS.system) {
  const res = await fetch(`${gateway!.httpUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Invite school-meals for each number in one batch call, every one accepted. */
async function invite(numbers: readonly string[], tag = 'a'): Promise<void> {
  const { status, body } = await api('POST', '/v1/invitations', {
    invitations: numbers.map((msisdn) => ({
      service: 'school-meals',
      externalId: `meals-${tag}-${msisdn}`,
      msisdn,
      language: 'ru',
      params: { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' },
    })),
  });
  expect(status, JSON.stringify(body)).toBe(202);
  expect(body.accepted).toBe(numbers.length);
}

/** The inviting system's read of the school-meals invitation to `msisdn`, once `until` holds. */
function invitation(
  msisdn: string,
  until: (body: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const { body } = await api('GET', `/v1/invitations/school-meals/meals-a-${msisdn}`);
      return until(body) && body;
    },
    `the invitation to ${msisdn}`,
    WAIT_MS,
  );
}

const outcomes = (body: Record<string, unknown>): string[] =>
  ((body.outcomes ?? []) as Array<{ outcome: string }>).map((o) => o.outcome);

/** The SMS the carrier's SMSC took for `to`, once it took at least `count`. */
async function smsAt(id: Id, to: string, count = 1) {
  await smsc[id]
    .waitFor(() => smsTo(smsc[id].log, to).length >= count, WAIT_MS)
    .catch(() => {
      const at = IDS.map((c) => `${c}: ${smsTo(smsc[c].log, to).length}`).join(', ');
      throw new Error(`no SMS ${count} to ${to} at ${id} (${at})`);
    });
  return smsTo(smsc[id].log, to);
}

/** Each connection's bind_transceiver line at this SMSC. */
const binds = (id: Id): SmscLogLine[] => smsc[id].received('bind_transceiver');

/** The connections bound as transceivers at this SMSC now. */
async function openBinds(id: Id): Promise<number[]> {
  const { connections } = (await smsc[id].control({ op: 'stats' })) as {
    connections: Array<{ conn: number; mode: string | null }>;
  };
  return connections.filter((c) => c.mode === 'transceiver').map((c) => c.conn);
}

/**
 * The two binds open at this SMSC, once both are: with enquire_link every second a loaded machine
 * may see one re-binding for a moment.
 */
const twoOpen = (id: Id): Promise<number[]> =>
  eventually(
    async () => {
      const open = await openBinds(id);
      return open.length === 2 && open;
    },
    `two binds open at ${id}`,
    WAIT_MS,
  );

/** Once the SMSC has accepted two binds (both of the carrier's). */
const twoBound = (id: Id) =>
  smsc[id].waitFor(
    () =>
      smsc[id].log.filter(
        (l) => l.dir === 'out' && l.command === 'bind_transceiver_resp' && l.command_status === 0,
      ).length >= 2,
    WAIT_MS,
  );

async function metric(name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`${gateway!.httpUrl}/metrics`)).text();
  const series = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'carriers-process-'));
  const [kcell, beeline, tele2] = await Promise.all([
    // Kcell answers each submit after 100 ms, so its binds' windows fill.
    startSmsc('kcell', ['--delay-resp-ms', '100']),
    // Beeline sends no receipts of its own: the test sends them, on the bind it chooses.
    startSmsc('beeline', ['--dlr-stat', 'NONE']),
    startSmsc('tele2'),
  ]);
  Object.assign(smsc, { kcell, beeline, tele2 });
  const bind = (id: Id, extra: Record<string, unknown> = {}) => ({
    host: '127.0.0.1',
    port: smsc[id].smppPort,
    systemId: systemIds[id],
    password: 'pw',
    ...extra,
  });
  const bindsOf: Record<Id, unknown[]> = {
    kcell: KCELL_BINDS.map((b) => bind('kcell', b)),
    beeline: [bind('beeline', { systemType: 'bl-a' }), bind('beeline', { systemType: 'bl-b' })],
    tele2: [bind('tele2', { count: 2 })],
  };
  const carriers = path.join(dir, 'carriers.json');
  writeFileSync(
    carriers,
    JSON.stringify({
      defaultCarrier: 'beeline',
      carriers: KZ_CARRIERS.map((c) => ({ ...c, enquireLinkSeconds: 1, binds: bindsOf[c.id] })),
    }),
  );
  writePorted([
    '# msisdn operator (the national MNP database export)',
    `${N.portedToKcell} ACTIV`,
    `+7 ${N.portedToBeeline.slice(1, 4)} ${N.portedToBeeline.slice(4)};KAR-TEL`,
    `8${N.portedToTele2.slice(1)},altel`,
  ]);
  const prefix = testPrefix('carriers-process');
  gateway = await spawnGateway({
    REDIS_URL: redisUrl(),
    HTTP_PORT: '0',
    CARRIERS_FILE: carriers,
    PORTABILITY_FILE: path.join(dir, 'ported.txt'),
    // Overridden by CARRIERS_FILE.
    SMPP_TPS: '1000',
    SMPP_WINDOW: '100',
    API_KEYS: `system:${KEYS.system},agent:${KEYS.agent}`,
    SEND_WINDOW: 'always',
    GW_KEY_PREFIX: `gw-${prefix}`,
    GW_QUEUE_PREFIX: `bull-${prefix}`,
    GW_PORTABILITY_POLL_MS: '100',
  });
  // Each carrier sees both binds bound before anything is sent.
  await Promise.all(IDS.map(twoBound));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all(IDS.map((id) => smsc[id]?.stop()));
});

describe('three carriers, each on its own SMSC, two binds each', () => {
  it('each carrier sees two bind_transceiver with its own credentials, and enquire_link on each', async () => {
    for (const id of IDS) {
      expect(new Set(binds(id).map((l) => l.system_id))).toEqual(new Set([systemIds[id]]));
      const open = await twoOpen(id);
      for (const conn of open)
        await smsc[id].waitFor(
          (l) => l.dir === 'in' && l.command === 'enquire_link' && l.conn === conn,
          WAIT_MS,
        );
    }
    expect(new Set(binds('kcell').map((l) => l.system_type))).toEqual(new Set(['kc-a', 'kc-b']));
  });

  it('every number reaches exactly its carrier: by range, by the portability file, else the default carrier', async () => {
    const where: Record<Id, string[]> = {
      kcell: [...N.kcell, N.portedToKcell],
      beeline: [N.beeline, ...N.beelineRanges, N.portedToBeeline, N.noRange],
      tele2: [N.tele2, ...N.tele2Ranges, N.portedToTele2],
    };
    await invite(IDS.flatMap((id) => where[id]));
    for (const id of IDS) for (const n of where[id]) expect(await smsAt(id, n)).toHaveLength(1);
    for (const id of IDS)
      for (const other of IDS.filter((o) => o !== id))
        for (const n of where[other]) expect(smsTo(smsc[id].log, n), `${n} at ${id}`).toEqual([]);
  }, 40_000);

  it("each Kcell bind kept its own window and rate, as the SMSC's log shows", async () => {
    const k = smsc.kcell;
    // Every part of Kcell's invitations answered.
    const parts = [...N.kcell, N.portedToKcell].flatMap((n) => smsTo(k.log, n)).flatMap((s) => s.parts);
    await k.waitFor(
      () => k.log.filter((l) => l.dir === 'out' && l.command === 'submit_sm_resp').length >= parts.length,
      WAIT_MS,
    );
    for (const { systemType, tps, window } of KCELL_BINDS) {
      const conn = binds('kcell').find((l) => l.system_type === systemType)?.conn;
      const lines = k.log.filter((l) => l.conn === conn);
      let inFlight = 0;
      let most = 0;
      for (const l of lines) {
        if (l.dir === 'in' && l.command === 'submit_sm') most = Math.max(most, ++inFlight);
        if (l.dir === 'out' && l.command === 'submit_sm_resp') inFlight--;
      }
      expect(most, `${systemType}: submit_sm in flight`).toBeLessThanOrEqual(window);
      const times = lines
        .filter((l) => l.dir === 'in' && l.command === 'submit_sm')
        .map((l) => Number(l.ts_ms));
      expect(times.length, `${systemType} took a share`).toBeGreaterThan(3 * tps);
      // The gateway spaces the (k+tps)-th submit a second after the k-th. The SMSC reads them late
      // whenever the loaded machine does not schedule it (a few hundred ms at times), which shortens
      // the gaps that start in such a stall: so the typical gap, not the shortest, and the whole
      // span, which a stall shortens at most once. Twice the rate would halve both.
      const gaps = times
        .slice(tps)
        .map((t, i) => t - times[i]!)
        .sort((a, b) => a - b);
      const median = gaps[Math.floor(gaps.length / 2)]!;
      expect(median, `${systemType}: the typical time ${tps + 1} submits take`).toBeGreaterThanOrEqual(900);
      const seconds = Math.ceil(times.length / tps) - 1;
      expect(times.at(-1)! - times[0]!, `${systemType}: ${times.length} submits`).toBeGreaterThanOrEqual(
        seconds * 1000 - 500,
      );
    }
  });

  it('a delivery receipt that comes on the other bind of the same carrier is matched to its SMS', async () => {
    const [sms] = await smsAt('beeline', N.beeline);
    const conns = binds('beeline').map((l) => l.conn as number);
    const submittedOn = sms!.parts[0]!.line.conn as number;
    const other = conns.find((c) => c !== submittedOn);
    expect(other).toBeDefined();
    for (const part of sms!.parts) {
      const answer = await smsc.beeline.control({
        op: 'dlr',
        message_id: (part.line.resp as { message_id: string }).message_id,
        stat: 'DELIVRD',
        conn: other,
      });
      expect(answer).toMatchObject({ conn: other, statuses: [0] });
    }
    expect((await invitation(N.beeline, (b) => outcomes(b).includes('delivered'))).state).toBe('invited');
  });

  it('a reply that comes through another carrier (ported since) finds its conversation; the answer goes back that way', async () => {
    const citizen = N.kcell[0]!;
    const answer = await smsc.tele2.control({
      op: 'mo',
      from: citizen,
      to: '1414',
      text: '3#1',
      wait_ms: 12_000,
    });
    expect(answer.statuses).toEqual([0]);
    await invitation(citizen, (b) => b.state === 'consented');
    expect((await smsAt('tele2', citizen))[0]?.text).toContain('socwallet');
    expect(smsTo(smsc.kcell.log, citizen)).toHaveLength(1);
  });

  it('a rewritten portability file takes effect without a restart', async () => {
    const moved = N.kcell[1]!;
    writePorted([`${N.portedToKcell} ACTIV`, `${moved} TELE2`]);
    await eventually(
      async () => ((await metric('gateway_portability_reloads_total', 'result="loaded"')) ?? 0) >= 2,
      'the file reloaded',
      WAIT_MS,
    );
    expect(await metric('gateway_portability_numbers', '')).toBe(2);
    const { status } = await api('POST', '/v1/invitations', {
      service: 'social-portal',
      externalId: `portal-${moved}`,
      msisdn: moved,
      language: 'ru',
      params: { fullName: 'Сәуле Маратқызы', dataReceivedOn: '2026-12-01' },
    });
    expect(status).toBe(202);
    expect(await smsAt('tele2', moved)).toHaveLength(1);
    expect(smsTo(smsc.kcell.log, moved)).toHaveLength(1);
  });

  it("a carrier down: its SMS wait, shown in /readyz and /metrics, and go when it returns; the others' are not held up", async () => {
    const port = smsc.tele2.smppPort;
    await smsc.tele2.stop();
    await eventually(
      async () => (await metric('smpp_carrier_ready', 'carrier="tele2"')) === 0,
      'Tele2 down',
      WAIT_MS,
    );
    const waits = '77471110011';
    const goes = '77771110012';
    await invite([waits, goes], 'down');
    expect(await smsAt('beeline', goes)).toHaveLength(1);
    const ready = await eventually(
      async () => {
        const res = await fetch(`${gateway!.httpUrl}/readyz`);
        const body = (await res.json()) as { carriers: Array<{ id: string; waiting: { sms: number } }> };
        return res.status === 200 && body.carriers.find((c) => c.id === 'tele2')?.waiting.sms === 1 && body;
      },
      'the SMS waiting for Tele2 in /readyz',
      WAIT_MS,
    );
    expect(ready.carriers.filter((c) => c.waiting.sms > 0).map((c) => c.id)).toEqual(['tele2']);
    expect(await metric('smpp_carrier_waiting_sms', 'carrier="tele2"')).toBe(1);
    expect(await metric('smpp_carrier_ready', 'carrier="beeline"')).toBe(1);

    smsc.tele2 = await startSmsc('tele2', ['--port', String(port)]);
    expect(await smsAt('tele2', waits)).toHaveLength(1);
    await eventually(
      async () => (await metric('smpp_carrier_waiting_sms', 'carrier="tele2"')) === 0,
      'nothing waits',
      WAIT_MS,
    );
  });

  it('SIGTERM: every bind of every carrier unbinds before the process exits', async () => {
    await Promise.all(IDS.map(twoBound));
    const open = await Promise.all(IDS.map(twoOpen));
    await gateway!.stop();
    expect(gateway!.child.exitCode).toBe(0);
    gateway = undefined;
    for (const [i, id] of IDS.entries())
      for (const conn of open[i]!)
        await smsc[id].waitFor((l) => l.dir === 'in' && l.command === 'unbind' && l.conn === conn, WAIT_MS);
  });
});
