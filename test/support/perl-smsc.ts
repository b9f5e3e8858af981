/**
 * The independent Perl SMSC (../shared/tools/smsc/smsc.pl, or SMSC_PL) as a test peer:
 * start it on free ports, drive its JSON control port, and wait for its log
 * lines (read from --verbose stderr, so waiting is event-driven, not polling).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { perlSmsc } from './requires.js';

/** One JSONL log line (see the SMSC README, "Log format"). */
export type SmscLogLine = Record<string, unknown> & { dir?: 'in' | 'out'; event?: string; command?: string };

interface Waiter {
  readonly predicate: (line: SmscLogLine) => boolean;
  readonly resolve: (line: SmscLogLine) => void;
}

export class PerlSmsc {
  readonly log: SmscLogLine[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly smppPort: number,
    readonly controlPort: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    readline.createInterface({ input: child.stderr! }).on('line', (text) => this.onLine(text));
  }

  /** Start on free loopback ports; `args` are extra flags such as `--throttle-every 2`. */
  static async start(args: readonly string[] = []): Promise<PerlSmsc> {
    const { found: script, install } = perlSmsc();
    if (script === undefined) throw new Error(`the Perl SMSC is absent: ${install}`);
    const dir = mkdtempSync(path.join(tmpdir(), 'smsc-'));
    const child = spawn(
      'perl',
      [
        script,
        '--port',
        '0',
        '--control-port',
        '0',
        '--log',
        path.join(dir, 'smsc.jsonl'),
        '--verbose',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // A test process that ends without its afterAll (a worker torn down on a timeout) takes its SMSC
    // with it, instead of leaving it running.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('smsc.pl did not start within 10 s')), 10_000);
      child.once('exit', (code) => reject(new Error(`smsc.pl exited with ${code}`)));
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /smpp=[\d.]+:(\d+) control=[\d.]+:(\d+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      });
    });
    return new PerlSmsc(child, Number(ready[1]), Number(ready[2]));
  }

  /** Send one control request and return its reply (README, "Control protocol"). */
  control(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: this.controlPort });
      socket.setTimeout(15_000, () => socket.destroy(new Error(`control ${String(request.op)} timed out`)));
      socket.once('error', reject);
      readline.createInterface({ input: socket }).once('line', (line) => {
        socket.end();
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
      socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** The first log line (already seen or future) matching `predicate`, within `timeoutMs`. */
  waitFor(predicate: (line: SmscLogLine) => boolean, timeoutMs = 5000): Promise<SmscLogLine> {
    const seen = this.log.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching SMSC log line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Log lines of PDUs the SMSC received with this command name. */
  received(command: string): SmscLogLine[] {
    return this.log.filter((l) => l.dir === 'in' && l.command === command);
  }

  /**
   * The PDUs received with this command name once there are at least `count`: the SMSC writes its
   * log to stderr, which may trail what its peer already saw on the wire.
   */
  async receivedAtLeast(command: string, count: number, timeoutMs = 5000): Promise<SmscLogLine[]> {
    await this.waitFor(() => this.received(command).length >= count, timeoutMs);
    return this.received(command);
  }

  /** SIGTERM (the SMSC unbinds its ESMEs) and wait for exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  private onLine(text: string): void {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as SmscLogLine;
    this.log.push(line);
    for (const waiter of this.waiters) {
      if (!waiter.predicate(line)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(line);
    }
  }
}
