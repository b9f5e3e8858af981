/**
 * Bad configuration stops the process with one line naming the catalogue code and what is wrong
 * (docs/errors.md), exit status 2, and no stack trace.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../gateway/main.ts', import.meta.url));

async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', API_KEYS: 'system:system-key-0123456789abcdef', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr };
}

describe('start-up with a bad CARRIERS_FILE', () => {
  const bind = { host: '127.0.0.1', port: 1, systemId: 's', password: 'p' };
  it.each([
    [
      'a route prefix given to two carriers',
      [
        { id: 'beeline', routes: ['7705'], binds: [bind] },
        { id: 'kcell', routes: ['7705'], binds: [{ ...bind, port: 2 }] },
      ],
      'CARRIERS_FILE route prefix 7705 is given to both beeline and kcell',
    ],
    [
      'a misspelt field (not ignored)',
      [{ id: 'beeline', route: ['7705'], binds: [bind] }],
      'CARRIERS_FILE carriers.0 has an unknown field "route"',
    ],
  ])('%s prints one GW_CARRIERS_FILE_INVALID line naming it and exits 2', async (_what, carriers, line) => {
    const file = join(mkdtempSync(join(tmpdir(), 'gw-bad-')), 'carriers.json');
    writeFileSync(file, JSON.stringify({ defaultCarrier: 'beeline', carriers }));
    const { code, stderr } = await start({ CARRIERS_FILE: file });
    expect(stderr).toBe(`gateway-1414: GW_CARRIERS_FILE_INVALID: ${line}\n`);
    expect(code).toBe(2);
  });
});

describe('start-up with a bad CALENDAR_FILE', () => {
  it.each([
    ['missing', null, /^gateway-1414: GW_CALENDAR_INVALID: CALENDAR_FILE \S+ cannot be read \(ENOENT\)\n$/],
    ['not JSON', '{years', /^gateway-1414: GW_CALENDAR_INVALID: CALENDAR_FILE \S+ is not JSON: .+\n$/],
    [
      'of the wrong shape',
      '{"years":{"2026":{"holidays":["x"]}}}',
      /^gateway-1414: GW_CALENDAR_INVALID: CALENDAR_FILE \S+: calendar data invalid: holidays: .+; years\.2026\.kurbanAit: .+\n$/,
    ],
  ])('a file %s prints one line naming CALENDAR_FILE and exits 2', async (_label, content, line) => {
    const file = join(mkdtempSync(join(tmpdir(), 'gw-bad-')), 'kz.json');
    if (content !== null) writeFileSync(file, content);
    const { code, stderr } = await start({
      CALENDAR_FILE: file,
      SMPP_SYSTEM_ID: 'gw',
      SMPP_PASSWORD: 'secret',
      HTTP_PORT: '0',
    });
    expect(stderr).toMatch(line);
    expect(code).toBe(2);
  });
});

describe('start-up on an address that cannot be listened on', () => {
  it('HTTP_PORT already in use prints one GW_CONFIG_INVALID line naming HTTP_HOST/HTTP_PORT and exits 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stderr } = await start({
        SMPP_SYSTEM_ID: 'gw',
        SMPP_PASSWORD: 'secret',
        HTTP_PORT: String(port),
      });
      expect(stderr).toBe(
        `gateway-1414: GW_CONFIG_INVALID: HTTP_HOST/HTTP_PORT 127.0.0.1:${port} cannot be listened on: EADDRINUSE\n`,
      );
      expect(code).toBe(2);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
