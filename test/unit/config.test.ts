import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../common/errors.js';
import { loadConfig } from '../../gateway/config.js';

const base = {
  SMPP_SYSTEM_ID: 'gw',
  SMPP_PASSWORD: 'secret',
  API_KEYS: 'system:sys-key-0123456789abcdef,agent:agent-key-0123456789abcd',
};

function configError(env: Record<string, string>): GatewayError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('loadConfig accepted a bad configuration');
}

describe('configuration', () => {
  it('applies the contract defaults when only credentials and keys are set', () => {
    const config = loadConfig(base);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.sourceAddr).toBe('1414');
    expect(config.carriers).toHaveLength(1);
    expect(config.carriers[0]?.binds[0]).toMatchObject({
      host: '127.0.0.1',
      port: 2775,
      systemId: 'gw',
      mode: 'transceiver',
    });
    expect(config.apiKeys.map((k) => k.role)).toEqual(['system', 'agent']);
  });

  it('is frozen all the way down', () => {
    const config = loadConfig(base);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.carriers[0]?.binds[0])).toBe(true);
  });

  it('names the variable and the problem on one line for a bad port', () => {
    const err = configError({ ...base, SMPP_PORT: 'abc' });
    expect(err.code).toBe('GW_CONFIG_INVALID');
    expect(err.message).toMatch(/SMPP_PORT/);
    expect(err.message).not.toMatch(/\n/);
  });

  it.each(['HTTP_PORT', 'SMPP_PORT', 'METRICS_PORT'])(
    'an empty %s (a blank line of an env file) is named as a bad port, not taken as port 0',
    (name) => {
      const err = configError({ ...base, [name]: '' });
      expect(err.message).toBe(`invalid configuration: ${name} must be a port number (0-65535)`);
    },
  );

  it.each(['1', '2'])('RETENTION_DAYS=%s is refused: late receipts read a finished conversation', (days) => {
    const err = configError({ ...base, RETENTION_DAYS: days });
    expect(err.message).toMatch(/RETENTION_DAYS must be at least 3/);
    expect(loadConfig({ ...base, RETENTION_DAYS: '3' }).retentionDays).toBe(3);
  });

  it.each([
    ['SMPP_TPS', '100000', 'at most 10000'],
    ['SMPP_WINDOW', '5000', 'at most 1000'],
    ['SMPP_TPS', '2.5', 'positive integer'],
  ])('stops start-up on a bind figure no carrier grants: %s=%s', (name, value, problem) => {
    const err = configError({ ...base, [name]: value });
    expect(err.message).toContain(name);
    expect(err.message).toContain(problem);
    expect(err.message).not.toContain('\n');
  });

  it.each(['localhost:6379', 'http://127.0.0.1:6379', ''])(
    'REDIS_URL=%s is named with the form it takes',
    (url) => {
      expect(configError({ ...base, REDIS_URL: url }).message).toBe(
        'invalid configuration: REDIS_URL must be a redis:// or rediss:// URL (redis://host:6379)',
      );
    },
  );

  it('reports every bad variable at once', () => {
    const err = configError({ ...base, HTTP_PORT: '70000', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' });
    expect(err.message).toMatch(/HTTP_PORT/);
    expect(err.message).toMatch(/LOG_LEVEL/);
    expect(err.message).toMatch(/REDIS_URL/);
  });

  it('requires API keys and never echoes a key in the error', () => {
    expect(configError({ SMPP_SYSTEM_ID: 'gw', SMPP_PASSWORD: 'x' }).message).toMatch(/API_KEYS/);
    const err = configError({ ...base, API_KEYS: 'admin:supersecretvalue123456' });
    expect(err.message).toMatch(/API_KEYS/);
    expect(err.message).not.toMatch(/supersecretvalue/);
  });

  it('API_KEYS giving one key to two roles stops start-up naming both entries, never the key', () => {
    const err = configError({
      ...base,
      API_KEYS:
        'system:shared-key-0123456789ab,agent:agent-key-0123456789abcd,supervisor:shared-key-0123456789ab',
    });
    expect(err.message).toBe(
      'invalid configuration: API_KEYS entry 3 has the key of entry 1: give each role a key of its own',
    );
  });

  it('a missing API_KEYS is named as required, with the form it takes', () => {
    expect(configError({ SMPP_SYSTEM_ID: 'gw', SMPP_PASSWORD: 'x' }).message).toBe(
      'invalid configuration: API_KEYS is required: role:key pairs, comma-separated (roles: system, test, agent, supervisor)',
    );
  });

  it.each(['node1:99999', 'node1:6379,node2:70000'])(
    'REDIS_CLUSTER_NODES=%s with a port beyond 65535 stops start-up naming it',
    (nodes) => {
      expect(configError({ ...base, REDIS_CLUSTER_NODES: nodes }).message).toBe(
        'invalid configuration: REDIS_CLUSTER_NODES must be host:port,host:port with ports 0-65535',
      );
    },
  );

  it.each(['', '14 14', '+7 701', 'a-name-far-too-long', 'Ақпарат', '1234567890123456'])(
    'SMPP_SOURCE_ADDR=%j, neither a short code, a number nor a name, stops start-up naming it',
    (addr) => {
      const err = configError({ ...base, SMPP_SOURCE_ADDR: addr });
      expect(err.message).toMatch(/^invalid configuration: SMPP_SOURCE_ADDR must be a short code/);
      expect(err.message).not.toContain('\n');
    },
  );

  it('requires bind credentials unless a carriers file is given', () => {
    const err = configError({ API_KEYS: base.API_KEYS });
    expect(err.message).toMatch(/SMPP_SYSTEM_ID is required/);
    expect(err.message).toMatch(/SMPP_PASSWORD is required/);
  });

  it('reads several carriers with routes from CARRIERS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cfg-'));
    const file = join(dir, 'carriers.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultCarrier: 'beeline',
        carriers: [
          {
            id: 'beeline',
            routes: ['7705', '7777'],
            binds: [{ host: 'smsc1', systemId: 'gw', password: 'p', count: 2 }],
          },
          {
            id: 'kcell',
            routes: ['7701'],
            tps: 50,
            binds: [{ host: 'smsc2', port: 3000, systemId: 'gw', password: 'p' }],
          },
        ],
      }),
    );
    const config = loadConfig({ API_KEYS: base.API_KEYS, CARRIERS_FILE: file });
    expect(config.defaultCarrier).toBe('beeline');
    expect(config.carriers.map((c) => c.id)).toEqual(['beeline', 'kcell']);
    expect(config.carriers[1]?.tps).toBe(50);
    expect(config.carriers[0]?.binds[0]?.count).toBe(2);
  });

  it('a carriers file asking for more binds or a larger rate than any carrier grants stops start-up, naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cfg-'));
    const file = join(dir, 'carriers.json');
    const bind = { host: 'h', systemId: 's', password: 'p' };
    for (const [fields, problem] of [
      [{ count: 1000 }, 'at most 64 binds'],
      [{ tps: 50_000 }, 'at most 10000'],
      [{ window: 5000 }, 'at most 1000'],
    ] as const) {
      writeFileSync(file, JSON.stringify({ carriers: [{ id: 'a', binds: [{ ...bind, ...fields }] }] }));
      const err = configError({ API_KEYS: base.API_KEYS, CARRIERS_FILE: file });
      expect(err.code).toBe('GW_CARRIERS_FILE_INVALID');
      expect(err.message).toContain(Object.keys(fields)[0]);
      expect(err.message).toContain(problem);
    }
  });

  it('rejects a carriers file whose default carrier does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cfg-'));
    const file = join(dir, 'carriers.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultCarrier: 'x',
        carriers: [{ id: 'a', binds: [{ host: 'h', systemId: 's', password: 'p' }] }],
      }),
    );
    const err = configError({ API_KEYS: base.API_KEYS, CARRIERS_FILE: file });
    expect(err.code).toBe('GW_CARRIERS_FILE_INVALID');
    expect(err.message).toMatch(/defaultCarrier/);
  });
});

describe('CARRIERS_FILE routes', () => {
  it('a prefix given to two carriers stops start-up with the carriers-file code, naming the prefix and both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cfg-'));
    const file = join(dir, 'carriers.json');
    const bind = { host: 'h', systemId: 's', password: 'p' };
    writeFileSync(
      file,
      JSON.stringify({
        defaultCarrier: 'a',
        carriers: [
          { id: 'a', routes: ['7701'], binds: [bind] },
          { id: 'b', routes: ['7701'], binds: [bind] },
        ],
      }),
    );
    const err = configError({ API_KEYS: base.API_KEYS, CARRIERS_FILE: file });
    expect(err.code).toBe('GW_CARRIERS_FILE_INVALID');
    expect(err.message).toMatch(/route prefix 7701 is given to both a and b/);
  });
});

describe('CARRIERS_FILE content that would route or match wrongly', () => {
  const bind = { host: 'h', systemId: 's', password: 'p' };
  function errorFor(file: unknown): GatewayError {
    const path = join(mkdtempSync(join(tmpdir(), 'gw-cfg-')), 'carriers.json');
    writeFileSync(path, JSON.stringify(file));
    const err = configError({ API_KEYS: base.API_KEYS, CARRIERS_FILE: path });
    expect(err.code).toBe('GW_CARRIERS_FILE_INVALID');
    return err;
  }

  it.each([
    ['a carrier', { id: 'a', route: ['7701'], binds: [bind] }, 'carriers.0 has an unknown field "route"'],
    [
      'a bind',
      { id: 'a', binds: [{ ...bind, windw: 3 }] },
      'carriers.0.binds.0 has an unknown field "windw"',
    ],
    [
      'notSubscriber',
      { id: 'a', binds: [bind], notSubscriber: { receiptErrs: ['001'] } },
      'carriers.0.notSubscriber has an unknown field "receiptErrs"',
    ],
  ])('a misspelt field of %s is named, not ignored', (_what, carrier, message) => {
    expect(errorFor({ defaultCarrier: 'a', carriers: [carrier] }).message).toBe(`CARRIERS_FILE ${message}`);
  });

  it('a file without defaultCarrier (no carrier for the numbers no route names) says so', () => {
    expect(errorFor({ carriers: [{ id: 'a', routes: ['7701'], binds: [bind] }] }).message).toBe(
      'CARRIERS_FILE defaultCarrier is required: the carrier id of every number no route names',
    );
  });

  it('an unknown top-level field is named', () => {
    expect(
      errorFor({ defaultCarrier: 'a', defaultcarrier: 'b', carriers: [{ id: 'a', binds: [bind] }] }).message,
    ).toBe('CARRIERS_FILE has an unknown field "defaultcarrier"');
  });

  it('two carriers with one id stop start-up, naming both entries', () => {
    const err = errorFor({
      defaultCarrier: 'a',
      carriers: [
        { id: 'a', routes: ['7701'], binds: [bind] },
        { id: 'a', routes: ['7705'], binds: [{ ...bind, host: 'other' }] },
      ],
    });
    expect(err.message).toBe('CARRIERS_FILE carriers.1.id "a" is the id of carriers.0 too');
  });

  it("one portability name given to two carriers (or another carrier's id) stops start-up, naming it", () => {
    const two = (namesA: string[], namesB: string[]) => ({
      defaultCarrier: 'kcell',
      carriers: [
        { id: 'kcell', portabilityNames: namesA, binds: [bind] },
        { id: 'beeline', portabilityNames: namesB, binds: [{ ...bind, host: 'other' }] },
      ],
    });
    expect(errorFor(two(['KAR-TEL'], ['kar-tel'])).message).toBe(
      'CARRIERS_FILE portability name "kar-tel" is given to both kcell and beeline',
    );
    expect(errorFor(two(['BEELINE'], [])).message).toBe(
      'CARRIERS_FILE portability name "beeline" is given to both kcell and beeline',
    );
  });

  it('one SMSC account bound for two carriers stops start-up: its receipts could reach the other', () => {
    const err = errorFor({
      defaultCarrier: 'a',
      carriers: [
        { id: 'a', binds: [bind, { ...bind, count: 2 }] },
        { id: 'b', binds: [{ ...bind, port: 2776 }, bind] },
      ],
    });
    expect(err.message).toBe('CARRIERS_FILE bind systemId "s" on h:2775 is given to both a and b');
  });
});

describe('GATEWAY_ROLE', () => {
  it('is all by default; a workers or api process needs no bind credentials', () => {
    expect(loadConfig(base).role).toBe('all');
    const workers = loadConfig({ API_KEYS: base.API_KEYS, GATEWAY_ROLE: 'workers' });
    expect(workers.role).toBe('workers');
    expect(loadConfig({ API_KEYS: base.API_KEYS, GATEWAY_ROLE: 'api' }).role).toBe('api');
  });

  it('an edge process still needs them, and an unknown role is named', () => {
    expect(configError({ API_KEYS: base.API_KEYS, GATEWAY_ROLE: 'edge' }).message).toMatch(
      /SMPP_SYSTEM_ID is required/,
    );
    expect(configError({ ...base, GATEWAY_ROLE: 'both' }).message).toMatch(/GATEWAY_ROLE/);
  });

  it('an empty SMPP_SYSTEM_ID is one not given: named where a bind needs it, unused by an api process', () => {
    const edge = configError({ ...base, SMPP_SYSTEM_ID: '' });
    expect(edge.code).toBe('GW_CONFIG_INVALID');
    expect(edge.message).toBe('invalid configuration: SMPP_SYSTEM_ID is required (or set CARRIERS_FILE)');
    expect(loadConfig({ API_KEYS: base.API_KEYS, GATEWAY_ROLE: 'api', SMPP_SYSTEM_ID: '' }).role).toBe('api');
  });
});

describe('SEND_WINDOW', () => {
  it('defaults to 09:00-21:00 and takes always', () => {
    expect(loadConfig(base).sendWindow).toEqual({ kind: 'daily', start: 540, end: 1260 });
    expect(loadConfig({ ...base, SEND_WINDOW: 'always' }).sendWindow).toEqual({ kind: 'always' });
  });

  it.each(['9-21', '21:00-09:00', '09:00-25:00', 'never'])(
    'refuses %s on one line naming SEND_WINDOW and the fault',
    (value) => {
      const err = configError({ ...base, SEND_WINDOW: value });
      expect(err.code).toBe('GW_CONFIG_INVALID');
      expect(err.message).toMatch(/SEND_WINDOW/);
      expect(err.message).toMatch(/HH:MM-HH:MM|end after it starts/);
      expect(err.message).not.toMatch(/\n/);
    },
  );
});
