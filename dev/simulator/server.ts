/**
 * The carrier simulator: a real SMPP 3.4 SMSC on the `smpp` package's server, for tests, the
 * demo and operators' rehearsals. Behaviour follows tools/smsc/README.md (smsc.pl) where the
 * brief does not say otherwise.
 *
 * ```ts
 * const sim = await CarrierSimulator.start({ port: 0, systemId: 'gw', password: 'secret' });
 * await sim.waitForBind();
 * const m = await sim.nextMessage((m) => m.destination === '77011234567');
 * await sim.injectReply({ from: '77011234567', text: '123#3#1' });
 * await sim.stop();
 * ```
 * Longer than 300 lines: the one class tests drive (binds, waits, injections, faults, counters); its parts are in desk.ts, inbox.ts and faults.ts.
 */
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import { SimConnection } from './connection.js';
import type { EsmeResponse } from './connection.js';
import { SubmitDesk } from './desk.js';
import type { ReceivedSubmit } from './desk.js';
import type { Faults } from './faults.js';
import { handlePdu } from './handlers.js';
import type { HandlerContext } from './handlers.js';
import { Conditions, Inbox } from './inbox.js';
import type { Filter } from './inbox.js';
import { buildReplyPdus } from './mo.js';
import type { ReplySpec } from './mo.js';
import type { WholeMessage } from './reassembly.js';
import type { FinalState } from './receipts.js';
import { newCounters } from './stats.js';
import type { SimCounters } from './stats.js';
import type { InjectOptions, ReceivedPdu, ReplyResult, SimulatorOptions } from './types.js';

export type { InjectOptions, ReceivedPdu, ReplyResult, SimulatorOptions } from './types.js';

/** Replies kept for the phone page. */
const REPLY_LOG_KEEP = 10_000;

/** A citizen reply as the simulator sent it; `statuses` null while the SMSC waits for the answers. */
export interface SentReply {
  readonly from: string;
  readonly text: string;
  /** Epoch ms when it was sent. */
  readonly at: number;
  /** The deliver_sm_resp statuses (0: accepted), [] when it could not be sent. */
  statuses: readonly number[] | null;
}

interface QueuedDelivery {
  readonly fields: smpp.PduOptions;
  readonly resolve: (response: EsmeResponse) => void;
  readonly reject: (error: Error) => void;
}

const all = (): boolean => true;

/** A running simulated SMSC. */
export class CarrierSimulator {
  private readonly connections = new Map<number, SimConnection>();
  private readonly received = new Inbox<ReceivedPdu>();
  private readonly conditions = new Conditions();
  private readonly counters: SimCounters = newCounters();
  private readonly desk: SubmitDesk;
  private readonly queued: QueuedDelivery[] = [];
  private readonly context: HandlerContext;
  private nextConnectionId = 1;
  private replyRef = 0;
  private readonly replyLog: SentReply[] = [];

  private constructor(
    private readonly server: smpp.Server,
    private readonly options: SimulatorOptions,
  ) {
    const now = options.now ?? ((): Date => new Date());
    const settings = {
      receiptDelayMs: options.receiptDelayMs ?? 20,
      defaultFinalState: options.defaultFinalState ?? 'DELIVRD',
      now,
    };
    this.desk = new SubmitDesk(settings, this.counters, (preferred, fields, queue) =>
      this.deliver(preferred, fields, queue),
    );
    this.desk.setFaults(options.faults ?? {});
    this.context = {
      systemId: options.systemId ?? 'gw',
      password: options.password ?? 'secret',
      smscSystemId: options.smscSystemId ?? 'FAKESMSC',
      counters: this.counters,
      faults: () => this.desk.faults,
      submit: (connection, request) => this.desk.handle(connection, request),
    };
    server.on('session', (session) => this.accept(session));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: SimulatorOptions = {}): Promise<CarrierSimulator> {
    const server = smpp.createServer();
    const sim = new CarrierSimulator(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return sim;
  }

  /** The SMPP port listened on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  /** Every PDU received, in order. */
  get pdus(): readonly ReceivedPdu[] {
    return this.received.all;
  }

  /** Every submit_sm received, in order, with the answer given. */
  get submits(): readonly ReceivedSubmit[] {
    return this.desk.submits.all;
  }

  /** Every whole message, in the order its last part arrived. */
  get messages(): readonly WholeMessage[] {
    return this.desk.messages.all;
  }

  /** The faults in force. */
  get faults(): Faults {
    return this.desk.faults;
  }

  /** Resolves once at least `count` connections are bound at the same time. */
  waitForBind(count = 1, timeoutMs = this.timeout): Promise<void> {
    return this.conditions.until(() => this.bound().length >= count, timeoutMs, `${count} bound ESME(s)`);
  }

  /** Resolves once no connection is open (e.g. after `drop()` or an ESME's unbind). */
  waitForNoConnections(timeoutMs = this.timeout): Promise<void> {
    return this.conditions.until(() => this.connections.size === 0, timeoutMs, 'every connection to close');
  }

  /** The next submit_sm accepted by `filter` (earlier unconsumed ones first). */
  nextSubmit(filter: Filter<ReceivedSubmit> = all, timeoutMs = this.timeout): Promise<ReceivedSubmit> {
    return this.desk.submits.next(filter, timeoutMs, 'a submit_sm');
  }

  /** The next whole (reassembled) message accepted by `filter`. */
  nextMessage(filter: Filter<WholeMessage> = all, timeoutMs = this.timeout): Promise<WholeMessage> {
    return this.desk.messages.next(filter, timeoutMs, 'a whole message');
  }

  /** The next PDU of any kind accepted by `filter` (e.g. a deliver_sm_resp after `injectRaw`). */
  nextPdu(filter: Filter<ReceivedPdu> = all, timeoutMs = this.timeout): Promise<ReceivedPdu> {
    return this.received.next(filter, timeoutMs, 'a PDU');
  }

  /** Every citizen reply sent (newest last, the last REPLY_LOG_KEEP), whoever sent it: the phone page shows them. */
  get replies(): readonly SentReply[] {
    return this.replyLog;
  }

  /** Sends a citizen reply as one or more deliver_sm; resolves with each deliver_sm_resp status. */
  async injectReply(spec: ReplySpec, options: InjectOptions = {}): Promise<ReplyResult> {
    const logged: SentReply = { from: spec.from, text: spec.text, at: Date.now(), statuses: null };
    this.replyLog.push(logged);
    if (this.replyLog.length > REPLY_LOG_KEEP) this.replyLog.splice(0, this.replyLog.length - REPLY_LOG_KEEP);
    const result = await this.sendReply(spec, options).catch((err: unknown) => {
      logged.statuses = [];
      throw err;
    });
    logged.statuses = result.statuses;
    return result;
  }

  private async sendReply(spec: ReplySpec, options: InjectOptions): Promise<ReplyResult> {
    const connection = this.receiverFor(options.connection);
    this.replyRef = (this.replyRef % 0xff) + 1;
    const pdus = buildReplyPdus(spec, this.replyRef);
    const timeoutMs = options.timeoutMs ?? this.timeout;
    // Sent back to back, as a carrier fills its window; answers may come in any order.
    const answers = pdus.map(async (pdu) => {
      this.counters.repliesSent++;
      return { part: pdu.part, ...(await connection.request('deliver_sm', pdu.fields, timeoutMs)) };
    });
    const results = await Promise.all(answers);
    return { pdus: results, statuses: results.map((r) => r.status) };
  }

  /** Writes arbitrary bytes to an ESME (malformed PDUs for fuzz tests); see `nextPdu` for its answer. */
  injectRaw(bytes: Buffer, options: InjectOptions = {}): Promise<void> {
    return this.receiverFor(options.connection).writeRaw(bytes);
  }

  /** Sends a receipt now for an accepted message; resolves with the ESME's deliver_sm_resp. */
  sendReceipt(messageId: string, state: FinalState = 'DELIVRD', err = '000'): Promise<EsmeResponse> {
    return this.desk.sendReceipt(messageId, state, err);
  }

  /** The final state messages to `msisdn` will take (DELIVRD, UNDELIV, EXPIRED, REJECTD, ...). */
  setFinalState(msisdn: string, state: FinalState): void {
    this.desk.finalStates.set(msisdn, state);
  }

  /** Replaces some faults at run time; returns the faults now in force. */
  setFaults(change: Partial<Faults>): Faults {
    return this.desk.setFaults(change);
  }

  /** Cuts every ESME connection (SimConnection.drop); resolves with how many, once all are closed. */
  async drop(): Promise<number> {
    const open = [...this.connections.values()];
    for (const connection of open) connection.drop();
    this.counters.drops += open.length;
    await this.waitForNoConnections();
    return open.length;
  }

  /** Counters, plus connections open and bound now. */
  stats(): SimCounters & { open: number; bound: number } {
    return { ...this.counters, open: this.connections.size, bound: this.bound().length };
  }

  /**
   * Stops: no new connections, pending timers cancelled. With `graceful`, bound ESMEs are sent
   * unbind and get up to `graceMs` (default 500) to answer; otherwise sockets are destroyed.
   */
  async stop(options: { graceful?: boolean; graceMs?: number } = {}): Promise<void> {
    this.desk.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (options.graceful) await this.unbindAll(options.graceMs ?? 500);
    for (const connection of this.connections.values()) connection.session.destroy();
    for (const queued of this.queued.splice(0)) queued.reject(new Error('carrier simulator: stopped'));
    await closed;
  }

  private get timeout(): number {
    return this.options.waitTimeoutMs ?? 5000;
  }

  private bound(): SimConnection[] {
    return [...this.connections.values()].filter((c) => c.bound);
  }

  private accept(session: smpp.Session): void {
    const id = this.nextConnectionId++;
    const connection = new SimConnection(id, session, (c) => this.stateChanged(c));
    this.connections.set(id, connection);
    this.counters.connections++;
    session.on('pdu', (pdu) => this.onPdu(connection, pdu));
  }

  private onPdu(connection: SimConnection, pdu: smpp.PDU): void {
    const { command, command_id: commandId, command_status: status, sequence_number: sequence } = pdu;
    this.received.push({
      connection: connection.id,
      command,
      commandId,
      status,
      sequence,
      at: new Date(),
      raw: connection.lastFrame,
    });
    try {
      handlePdu(this.context, connection, pdu);
    } catch {
      // A body the parsers choke on: the ESME is told, the simulator keeps running (SMPP 3.4 §4.3).
      connection.nack(pdu, 0x08);
    }
  }

  private stateChanged(connection: SimConnection): void {
    if (connection.state === 'closed') this.connections.delete(connection.id);
    if (connection.canReceive) this.flushQueued(connection);
    this.conditions.notify();
  }

  private receiverFor(id: number | undefined): SimConnection {
    const connection = id === undefined ? this.bound().find((c) => c.canReceive) : this.connections.get(id);
    if (!connection?.canReceive)
      throw new Error(
        `carrier simulator: no bound receiver/transceiver ESME${id === undefined ? '' : ` with id ${id}`}`,
      );
    return connection;
  }

  /** smsc.pl's receipt routing: the submitting transceiver, else the first receiver, else wait for one. */
  private deliver(
    preferred: SimConnection | undefined,
    fields: smpp.PduOptions,
    queue: boolean,
  ): Promise<EsmeResponse> {
    const target = preferred?.canReceive ? preferred : this.bound().find((c) => c.canReceive);
    if (target) return target.request('deliver_sm', fields, this.timeout);
    if (!queue) return Promise.reject(new Error('carrier simulator: no bound receiver/transceiver ESME'));
    return new Promise((resolve, reject) => this.queued.push({ fields, resolve, reject }));
  }

  private flushQueued(connection: SimConnection): void {
    for (const item of this.queued.splice(0))
      connection.request('deliver_sm', item.fields, this.timeout).then(item.resolve, item.reject);
  }

  private async unbindAll(graceMs: number): Promise<void> {
    const unbinds = this.bound().map((c) => c.request('unbind', {}, graceMs).catch(() => undefined));
    await Promise.all(unbinds);
  }
}
