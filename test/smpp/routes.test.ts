import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type CarrierConfig } from '../../gateway/config.js';
import { carrierBindConfigs, routeFor, routeTable } from '../../gateway/smpp/routes.js';
import { carrier } from './carrier-config.js';

describe('routeTable / routeFor', () => {
  const table = routeTable([
    { id: 'kcell', routes: ['7701', '7702', '7775'] },
    { id: 'tele2', routes: ['7707', '77021'] },
    { id: 'beeline', routes: [] },
  ]);

  it.each([
    ['77011234567', 'kcell'],
    ['77020000000', 'kcell'],
    ['77021234567', 'tele2'], // the longer prefix wins: a ported range
    ['77071234567', 'tele2'],
    ['77471234567', 'beeline'], // no route: the default carrier
  ])('%s goes to %s', (msisdn, expected) => {
    expect(routeFor(table, msisdn, 'beeline')).toBe(expected);
  });

  it('a prefix given to two carriers is refused, naming both', () => {
    expect(() =>
      routeTable([
        { id: 'a', routes: ['7701'] },
        { id: 'b', routes: ['7701'] },
      ]),
    ).toThrow(/7701 is given to both a and b/);
  });
});

describe('carrierBindConfigs', () => {
  const base = carrier('kcell', 2775, { tps: 80, window: 20, enquireLinkSeconds: 15, concat: 'sar' });

  it('opens count binds, numbered, with the carrier tps/window unless the bind sets its own', () => {
    const c: CarrierConfig = {
      ...base,
      binds: [
        { ...base.binds[0]!, count: 2 },
        { ...base.binds[0]!, host: 'smsc2', tps: 5, window: 3 },
      ],
    };
    const binds = carrierBindConfigs(c, '1414');
    expect(binds.map((b) => [b.id, b.host, b.tps, b.window, b.mode])).toEqual([
      ['kcell-1', '127.0.0.1', 80, 20, 'transceiver'],
      ['kcell-2', '127.0.0.1', 80, 20, 'transceiver'],
      ['kcell-3', 'smsc2', 5, 3, 'transceiver'],
    ]);
    expect(binds[0]!.enquireLinkMs).toBe(15_000);
    expect(binds[0]!.submit).toMatchObject({ sourceAddr: '1414', concat: 'sar' });
    expect(binds[0]!.tls).toBeUndefined();
  });

  it('a pair is a transmitter and a receiver with the same credentials', () => {
    const c = carrier('tele2', 2775, { sourceAddr: '7000', bind: { mode: 'pair', count: 2 } });
    const binds = carrierBindConfigs(c, '1414');
    expect(binds.map((b) => [b.id, b.mode])).toEqual([
      ['tele2-1-tx', 'transmitter'],
      ['tele2-1-rx', 'receiver'],
      ['tele2-2-tx', 'transmitter'],
      ['tele2-2-rx', 'receiver'],
    ]);
    expect(new Set(binds.map((b) => b.systemId))).toEqual(new Set(['gw']));
    expect(binds[0]!.submit.sourceAddr).toBe('7000'); // the carrier's own sender beats SMPP_SOURCE_ADDR
  });

  it.each([
    ['1414', '1414', 3, 0],
    ['77010001414', '77010001414', 1, 1],
    ['8 701 000 14 14', '77010001414', 1, 1],
    ['+4915112345678', '4915112345678', 1, 1],
    ['EGOV', 'EGOV', 5, 0],
  ])(
    'the sender %j goes as %s with the TON and NPI of its form (short code, number, name)',
    (addr, sent, ton, npi) => {
      const [bind] = carrierBindConfigs(carrier('kcell', 2775), addr);
      expect(bind!.submit).toMatchObject({ sourceAddr: sent, sourceTon: ton, sourceNpi: npi });
    },
  );

  it("a carrier's own sourceTon and sourceNpi beat those of its sender's form", () => {
    const c = { ...carrier('kcell', 2775, { sourceAddr: '1414' }), sourceTon: 0, sourceNpi: 1 };
    const [bind] = carrierBindConfigs(c, '7000');
    expect(bind!.submit).toMatchObject({ sourceAddr: '1414', sourceTon: 0, sourceNpi: 1 });
  });

  it('tls: true turns on TLS with the extra trust options, and only for that bind', () => {
    const ca = '-----BEGIN CERTIFICATE-----\n...';
    const c: CarrierConfig = {
      ...base,
      binds: [{ ...base.binds[0]!, tls: true }, base.binds[0]!],
    };
    const [secure, plain] = carrierBindConfigs(c, '1414', { tls: { ca } });
    expect(secure!.tls).toEqual({ ca });
    expect(plain!.tls).toBeUndefined();
    expect(carrierBindConfigs(c, '1414')[0]!.tls).toEqual({});
  });
});

describe('the CARRIERS_FILE example in docs/smpp.md', () => {
  it('loads with the gateway configuration and gives the bind ids and routes the doc describes', () => {
    const doc = readFileSync(new URL('../../docs/smpp.md', import.meta.url), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(json).toBeDefined();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'carriers-')), 'carriers.json');
    writeFileSync(file, json!);
    const config = loadConfig({ CARRIERS_FILE: file, API_KEYS: 'system:0123456789abcdef' });
    const ids = config.carriers.flatMap((c) => carrierBindConfigs(c, config.sourceAddr).map((b) => b.id));
    expect(ids).toEqual(['kcell-1', 'kcell-2', 'kcell-3', 'tele2-1-tx', 'tele2-1-rx', 'beeline-1']);
    const table = routeTable(config.carriers);
    expect(routeFor(table, '77071234567', config.defaultCarrier)).toBe('tele2');
    expect(routeFor(table, '77001234567', config.defaultCarrier)).toBe('beeline');
    const kcell3 = carrierBindConfigs(config.carriers[0]!, config.sourceAddr)[2]!;
    expect([kcell3.tps, kcell3.window, kcell3.tls]).toEqual([50, 10, {}]);
  });
});
