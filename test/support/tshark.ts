/**
 * tshark (Wireshark's CLI) as an independent decoder of our SMPP traffic:
 * capture loopback traffic of one port to a pcapng file, then read it back with
 * the SMPP dissector. Capture needs root or CAP_NET_RAW; when it is impossible
 * the caller's test fails with tshark's own message (it is not skipped).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class TsharkCapture {
  private readonly lines: string[] = [];
  private readonly listeners = new Set<() => void>();
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const listener of this.listeners) listener();
    });
  }

  /** Start capturing TCP `port` on loopback; resolves once packets are really being captured. */
  static async start(port: number, timeoutMs = 10_000): Promise<TsharkCapture> {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tshark-')), 'smpp.pcapng');
    // -P -l: also print one summary line per packet (flushed), so we can tell when the last one is in.
    const args = ['-i', 'lo', '-f', `tcp port ${port}`, '-d', `tcp.port==${port},smpp`, '-l', '-P', '-w', file]; // prettier-ignore
    const child = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const capture = new TsharkCapture(child, file, port);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (why?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (why === undefined) return resolve();
        child.kill('SIGKILL');
        reject(
          new Error(`tshark cannot capture on loopback (${why}); it needs root or CAP_NET_RAW:\n${stderr}`),
        );
      };
      const timer = setTimeout(() => settle(`not capturing after ${timeoutMs} ms`), timeoutMs);
      child.once('error', (error) => settle(error.message));
      void capture.exited.then((code) => settle(`exited with ${code}`));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/Capture started/.test(stderr)) settle();
      });
    });
    await capture.probe(timeoutMs);
    return capture;
  }

  /**
   * tshark announces the capture a little before packets really flow; a probe
   * connection (TCP only, no SMPP) proves it: once one of its packets is
   * printed, everything after it is in the file.
   */
  private async probe(timeoutMs: number): Promise<void> {
    const seen = this.seen(/./, timeoutMs);
    const socket = net.connect({ host: '127.0.0.1', port: this.port }, () => socket.end());
    socket.on('error', () => undefined); // only its packets matter
    await seen.catch((error: Error) => {
      throw new Error(`tshark is not capturing loopback: ${error.message}`);
    });
  }

  /** Resolve once a live summary line matches `pattern` (the packet is in the capture). */
  seen(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    if (this.lines.some((l) => pattern.test(l))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!this.lines.some((l) => pattern.test(l))) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`tshark saw no packet matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Stop capturing (SIGTERM: tshark flushes and closes the file; SIGINT may be ignored in a test worker). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  /** Read the capture back with the SMPP dissector on our port; extra args e.g. `-Y`, `-T fields`. */
  async read(args: readonly string[]): Promise<string> {
    const { stdout } = await run('tshark', ['-r', this.file, '-d', `tcp.port==${this.port},smpp`, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }
}
