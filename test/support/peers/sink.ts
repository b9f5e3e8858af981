/**
 * The benchmarks' SMSC, run as a child process (so its CPU is not the measured process's):
 * either a minimal `smpp.createServer` sink that answers every submit_sm at once (the peer
 * Kannel was measured against) or the project's CarrierSimulator (`SINK=sim`).
 * Driven over IPC by bench/support/harness.ts:
 *   → { type: 'expect', submits (total) } ← { type: 'done', submits (this phase), ms, cpuMs }
 *   → { type: 'inject', ...InjectPlan } ← { type: 'injected', ...InjectResult }
 *   → { type: 'stop' }
 * It says `{ type: 'ready', port }` once listening.
 */
import { performance } from 'node:perf_hooks';
import smpp from 'smpp';
import { CarrierSimulator } from '../../../dev/simulator/index.js';
import { runInjection, type InjectPlan } from './inject.js';

/**
 * Submits are counted from the start; `expect` names an absolute total, so segments still
 * arriving from an earlier phase are never lost or counted twice. The span runs from the first
 * submit after the `expect` to the one that reaches the total.
 */
interface Counter {
  target: number;
  seen: number;
  phaseSeen: number;
  first: number;
  cpu: NodeJS.CpuUsage;
}

const counter: Counter = { target: Infinity, seen: 0, phaseSeen: 0, first: 0, cpu: process.cpuUsage() };
const sessions = new Set<smpp.Session>();

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

function report(): void {
  const cpu = process.cpuUsage(counter.cpu);
  const ms = counter.phaseSeen > 1 ? performance.now() - counter.first : 0;
  send({ type: 'done', submits: counter.phaseSeen, ms, cpuMs: (cpu.user + cpu.system) / 1000 });
  counter.target = Infinity;
}

function expect(total: number): void {
  counter.target = total;
  counter.phaseSeen = 0;
  if (counter.seen >= total) report();
}

/** One submit_sm seen: the first of a phase starts the clock, the target total stops it. */
function seen(): void {
  if (counter.phaseSeen === 0) {
    counter.first = performance.now();
    counter.cpu = process.cpuUsage();
  }
  counter.seen++;
  counter.phaseSeen++;
  if (counter.seen === counter.target) report();
}

/**
 * Message ids: a hex counter, zero-padded to SINK_ID_WIDTH characters (carriers' ids are often
 * 8–16 characters; the memory bench measures with both).
 */
const ID_WIDTH = Number(process.env.SINK_ID_WIDTH ?? 0);

/** SMPP 3.4 §4.1, §4.4, §4.11, §4.12: bind, submit, enquire_link and unbind answered at once. */
function serve(session: smpp.Session): void {
  session.socket.setNoDelay(true);
  sessions.add(session);
  session.on('close', () => sessions.delete(session));
  session.on('error', () => sessions.delete(session));
  session.on('pdu', (pdu) => {
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        session.send(pdu.response({ system_id: 'SINK' }));
        return;
      case 'submit_sm':
        session.send(pdu.response({ message_id: (counter.seen + 1).toString(16).padStart(ID_WIDTH, '0') }));
        seen();
        return;
      case 'enquire_link':
      case 'unbind':
        session.send(pdu.response());
        return;
      default:
        if (!pdu.isResponse()) session.send(pdu.response());
    }
  });
}

async function startRaw(): Promise<number> {
  const server = smpp.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** The simulator keeps every PDU for tests to inspect; counting happens by polling its stats. */
async function startSim(): Promise<number> {
  const sim = await CarrierSimulator.start({ port: 0, receiptDelayMs: 2_000_000_000 });
  const poll = setInterval(() => {
    const received = sim.stats().submitsReceived;
    while (counter.seen < received) seen();
  }, 1);
  poll.unref();
  return sim.port;
}

process.on('message', (raw: unknown) => {
  const message = raw as { type: string } & Partial<InjectPlan> & { submits?: number };
  if (message.type === 'expect') {
    expect(message.submits ?? Infinity);
  } else if (message.type === 'inject') {
    const session = [...sessions][0];
    if (!session) return send({ type: 'injected', error: 'no ESME bound' });
    void runInjection(session, message as InjectPlan).then((result) => send({ type: 'injected', ...result }));
  } else if (message.type === 'stop') {
    process.exit(0);
  }
});

const port = process.env.SINK === 'sim' ? await startSim() : await startRaw();
send({ type: 'ready', port });
