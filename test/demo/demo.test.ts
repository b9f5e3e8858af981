import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  it('plays the home-schooling dialogue on a fresh Redis and, on Ctrl-C, leaves no redis-server behind', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'silent' };
    delete env.REDIS_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/demo.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`demo did not get to "Running." in 60 s:\n${out}`)),
        60_000,
      );
      child.stdout.on('data', () => {
        if (out.includes('Running.')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`demo exited early:\n${out}`)));
    });
    expect(out).toContain('123#3#12');
    expect(out).toMatch(/state: consented; assignments job/);
    expect(out).toContain('state: assigned');
    expect(out).toMatch(/\/phone\?msisdn=/);
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    expect(alive(pid)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 90_000);
});
