import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { parseCliConfig } from '../../dev/simulator/cli-config.js';

describe('carrier simulator CLI', () => {
  it('reads flags first, then SIM_* env, then the gateway SMPP_* env, then defaults', () => {
    const config = parseCliConfig(['--port', '0', '--final-state', 'UNDELIV'], {
      SIM_PORT: '9999',
      SMPP_SYSTEM_ID: 'gw2',
      SIM_PASSWORD: 'p',
    });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 0,
      systemId: 'gw2',
      password: 'p',
      controlPort: 2776,
      receiptDelayMs: 200,
      finalState: 'UNDELIV',
    });
  });

  it.each([
    [['--port', '70000'], {}, /--port: "70000" is not a port number/],
    [[], { SIM_CONTROL_PORT: 'x' }, /SIM_CONTROL_PORT: "x"/],
    [['--final-state', 'GONE'], {}, /--final-state: "GONE" is not one of/],
    [['--receipt-delay-ms=-1'], {}, /whole number of milliseconds/],
    [['--colour'], {}, /^Unknown option '--colour'$/],
  ])('rejects %j %j with one line naming the setting', (argv, env, message) => {
    expect(() => parseCliConfig(argv, env)).toThrow(message);
  });

  it('starts, serves the control port, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'dev/simulator/cli.ts', '--port', '0', '--control-port', '0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await once(lines, 'line')) as [string];
      const control = /control=(\S+)/.exec(first)?.[1];
      expect(first).toMatch(
        /^carrier simulator listening smpp=127\.0\.0\.1:\d+ control=http:\/\/127\.0\.0\.1:\d+ pid=\d+$/,
      );
      const stats = (await (await fetch(`${control}/stats`)).json()) as { open: number };
      expect(stats.open).toBe(0);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
