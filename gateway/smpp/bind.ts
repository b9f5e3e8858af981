/**
 * One SMPP bind (bind_transceiver, or a transmitter or receiver of a pair) as an explicit state machine:
 *
 *   disconnected → connecting → binding → bound → unbinding → closed
 *        ↑______________|__________|________|_________|   (socket lost: reconnect with backoff)
 *
 * Every change goes through setState(), which logs `from -> to` (the ioredis
 * `setStatus()` pattern). A new TCP connection per attempt; nothing of the
 * `smpp` package's Session is used (docs/smpp.md explains why).
 * Longer than 300 lines: one state machine, whose transitions are read together.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { logCode } from '../../common/errors.js';
import type { BindConfig } from './config.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { backoffDelay } from './flow.js';
import { classifyDeliverSm } from './inbound.js';
import type { Logger } from './logger.js';
import { NO_METRICS, type SmppMetrics } from './metrics.js';
import { Sender } from './sender.js';
import { INTERFACE_VERSION_34, type RawPdu } from './smpp-lib.js';
import { SmppError, statusInfo, STATUS } from './status.js';
import type { InboundAck, InboundHandler, OutboundSms, SubmitResult } from '../core/ports.js';
import type { BindState, SmppTransport } from './transport.js';

/** The deliver_sm_resp status of each answer: ESME_RX_T_APPN makes the SMSC retry (SMPP 3.4 §5.1.3). */
const ACK_STATUS: Readonly<Record<InboundAck, number>> = {
  stored: STATUS.ok,
  'try-later': STATUS.temporaryAppError,
};

/** Legal transitions; anything else is a bug and is logged as one. */
const TRANSITIONS: Readonly<Record<BindState, readonly BindState[]>> = {
  disconnected: ['connecting', 'closed'],
  connecting: ['binding', 'disconnected', 'closed'],
  binding: ['bound', 'disconnected', 'closed'],
  bound: ['unbinding', 'disconnected'],
  unbinding: ['closed', 'disconnected'],
  closed: [],
};

export interface BindDeps {
  readonly logger: Logger;
  readonly metrics?: SmppMetrics;
  /** Jitter source, 0..1. Default Math.random. */
  readonly random?: () => number;
  /** Clock for the submit rate (SMPP_TPS) and throttle pauses. Default Date.now. */
  readonly now?: () => number;
}

/** One bind to one SMSC; implements the transport port on its own. */
export class SmppBind extends EventEmitter implements SmppTransport {
  private current: BindState = 'disconnected';
  private conn: Connection | undefined;
  private attemptSeq = 0;
  private failures = 0;
  /**
   * The step of the reconnect backoff. Only a link that stayed bound `reconnect.maxMs` starts it
   * again: an SMSC that accepts each bind and drops it at once (a session limit, a firewall) is
   * bound again ever more slowly, up to `maxMs` apart, not twice a second for ever.
   */
  private backoffStep = 0;
  private boundSince: number | undefined;
  /** The refusal last logged at error while the bind keeps failing (a new one is logged again). */
  private refusalLogged: string | undefined;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private handler: InboundHandler | undefined;
  private readonly metrics: SmppMetrics;
  private readonly sender: Sender;

  constructor(
    readonly config: BindConfig,
    private readonly deps: BindDeps,
  ) {
    super();
    this.metrics = deps.metrics ?? NO_METRICS;
    this.metrics.state(config.id, this.current);
    this.metrics.windowSize(config.id, config.window);
    const host = { id: config.id, state: () => this.current, connection: () => this.conn };
    this.sender = new Sender(host, config, {
      logger: deps.logger,
      metrics: this.metrics,
      now: deps.now ?? Date.now,
    });
  }

  get id(): string {
    return this.config.id;
  }

  get state(): BindState {
    return this.current;
  }

  /** Begin connecting (and keep reconnecting until close()). */
  start(): this {
    if (this.current === 'disconnected' && !this.closing && !this.reconnectTimer) void this.attempt();
    return this;
  }

  /** SMS submitted on this bind and not finished yet (in its window or waiting for a slot). */
  get inProgress(): number {
    return this.sender.inProgress;
  }

  /** False for a receiver bind (SMPP 3.4 §4.1.3: it may not submit). */
  get canSubmit(): boolean {
    return this.config.mode !== 'receiver';
  }

  submit(message: OutboundSms): Promise<SubmitResult> {
    if (!this.canSubmit) return Promise.reject(SmppError.local('NOT_BOUND', `bind ${this.id} is a receiver`));
    return this.sender.submit(message);
  }

  onInbound(handler: InboundHandler): void {
    this.handler = handler;
  }

  /** Resolve once the bind is in `state`; reject after `timeoutMs`. */
  waitFor(state: BindState, timeoutMs: number): Promise<void> {
    if (this.current === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', listener);
        reject(new Error(`bind ${this.id} not ${state} within ${timeoutMs} ms (is ${this.current})`));
      }, timeoutMs);
      const listener = (next: BindState): void => {
        if (next !== state) return;
        clearTimeout(timer);
        this.off('state', listener);
        resolve();
      };
      this.on('state', listener);
    });
  }

  /** Graceful shutdown: stop new submits, let in-flight ones finish, unbind, close. */
  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.enquireTimer);
    const conn = this.conn;
    if (this.current === 'disconnected') return this.setState('closed', 'close() while disconnected');
    if (!conn || this.current !== 'bound') {
      conn?.destroy('close() before bound');
      return this.waitFor('closed', this.config.closeTimeoutMs);
    }
    this.setState('unbinding', 'close()');
    await this.sender.drain(this.config.closeTimeoutMs);
    // SMPP 3.4 §4.2: unbind, await unbind_resp, then close the connection.
    await conn.request('unbind', {}, this.config.closeTimeoutMs, false).catch((error: Error) => {
      this.deps.logger.warn({ bind: this.id, err: error.message }, 'no unbind_resp; closing anyway');
    });
    conn.end();
    await this.waitFor('closed', this.config.closeTimeoutMs).catch(() =>
      conn.destroy('unbind: peer kept the socket open'),
    );
    if (this.state !== 'closed') await this.waitFor('closed', this.config.closeTimeoutMs);
  }

  private setState(next: BindState, reason: string): void {
    const previous = this.current;
    if (next === previous) return;
    if (!TRANSITIONS[previous].includes(next)) {
      this.deps.logger.error(
        { bind: this.id, from: previous, to: next, reason },
        'illegal bind state transition',
      );
    }
    this.current = next;
    // While a bind keeps failing to come up, its retries are one story: the first failure and the
    // bind that finally succeeds are logged, the attempts between them only at debug.
    const retrying = this.failures > 0 && next !== 'bound' && next !== 'closed';
    const dropped = previous === 'bound' && next === 'disconnected';
    this.deps.logger[retrying ? 'debug' : dropped ? 'warn' : 'info'](
      { ...(dropped ? logCode('GW_SMPP_BIND_FAILED') : {}), bind: this.id, from: previous, to: next, reason },
      `bind ${previous} -> ${next}`,
    );
    this.metrics.state(this.id, next);
    this.emit('state', next, previous);
  }

  private async attempt(): Promise<void> {
    this.reconnectTimer = undefined;
    const attemptId = ++this.attemptSeq;
    const { host, port, window, bindTimeoutMs, tls } = this.config;
    this.setState('connecting', `${host}:${port}, attempt ${this.failures + 1}`);
    let conn: Connection;
    try {
      conn = await Connection.open(
        { host, port, window, timeoutMs: bindTimeoutMs, tls },
        this.connectionEvents(attemptId),
      );
    } catch (error) {
      return this.afterLoss(`connect failed: ${(error as Error).message}`);
    }
    this.conn = conn;
    if (this.closing) return conn.destroy('closing');
    this.setState('binding', 'connected');
    const command = `bind_${this.config.mode}`;
    try {
      const response = await conn.request(command, this.bindFields(), bindTimeoutMs, false);
      if (response.command_status !== STATUS.ok) throw SmppError.fromStatus(response.command_status, command);
    } catch (error) {
      if (typeof (error as SmppError).code === 'number')
        this.metrics.bindRefused(this.id, statusInfo((error as SmppError).code as number).name);
      if (!this.closing) this.emit('bindError', error);
      // The first refusal of a run of failures is an error even after other failures (the SMSC
      // restarted, then refuses a password changed meanwhile); the same one repeated, at debug.
      const message = (error as Error).message;
      const again = this.refusalLogged === message;
      this.refusalLogged = message;
      this.deps.logger[again ? 'debug' : 'error'](
        { ...logCode('GW_SMPP_BIND_FAILED'), bind: this.id, err: message },
        'bind failed',
      );
      return conn.destroy(`bind failed: ${(error as Error).message}`);
    }
    const failed = this.failures;
    this.failures = 0;
    this.refusalLogged = undefined;
    this.boundSince = performance.now();
    this.setState('bound', `${command}_resp ESME_ROK${failed ? ` after ${failed} failed attempts` : ''}`);
    this.scheduleEnquireLink(conn);
  }

  /** SMPP 3.4 §4.1 bind_transceiver/_transmitter/_receiver; interface_version 0x34, not the package's 0x50. */
  private bindFields(): Record<string, unknown> {
    const { systemId, password, systemType } = this.config;
    return {
      system_id: systemId,
      password,
      system_type: systemType,
      interface_version: INTERFACE_VERSION_34,
    };
  }

  private connectionEvents(attemptId: number): ConnectionEvents {
    const live = (): Connection | undefined => (attemptId === this.attemptSeq ? this.conn : undefined);
    return {
      onRequest: (pdu) => {
        const conn = live();
        if (conn) this.onRequest(conn, pdu);
      },
      onStrayResponse: (pdu) =>
        this.deps.logger.debug(
          { bind: this.id, seq: pdu.sequence_number, command: pdu.command },
          'late response ignored',
        ),
      onProtocolError: (reason, closing) => {
        this.metrics.protocolError(this.id);
        this.deps.logger.warn(
          { bind: this.id, reason },
          closing ? 'unreadable PDU; closing bind' : 'unreadable PDU refused with generic_nack',
        );
      },
      onClose: (reason) => {
        if (attemptId === this.attemptSeq) this.afterLoss(reason);
      },
    };
  }

  /** The socket is gone: in-flight requests were already rejected (retryable). */
  private afterLoss(reason: string): void {
    clearTimeout(this.enquireTimer);
    this.conn = undefined;
    if (this.closing) return this.setState('closed', reason);
    this.setState('disconnected', reason);
    const failures = this.failures++;
    const stable =
      this.boundSince !== undefined && performance.now() - this.boundSince >= this.config.reconnect.maxMs;
    this.boundSince = undefined;
    if (stable) this.backoffStep = 0;
    const delay = backoffDelay(
      this.backoffStep++,
      this.config.reconnect,
      (this.deps.random ?? Math.random)(),
    );
    this.deps.logger[failures > 0 ? 'debug' : 'info'](
      { bind: this.id, delayMs: delay, failures: this.failures },
      'reconnect scheduled',
    );
    this.metrics.reconnect(this.id);
    this.reconnectTimer = setTimeout(() => void this.attempt(), delay);
  }

  private onRequest(conn: Connection, pdu: RawPdu): void {
    switch (pdu.command) {
      case 'enquire_link':
        return conn.respond(pdu, 'enquire_link_resp', STATUS.ok);
      case 'deliver_sm':
        return void this.deliver(conn, pdu);
      case 'unbind':
        // SMPP 3.4 §4.2: answer, then the SMSC closes; we reconnect (unless we are closing too).
        conn.respond(pdu, 'unbind_resp', STATUS.ok);
        if (this.current === 'bound') this.setState('unbinding', 'SMSC sent unbind');
        return conn.end();
      case 'alert_notification':
        return; // SMPP 3.4 §4.12.1: no response PDU
      default:
        // SMPP 3.4 §4.3: generic_nack for a command we do not support.
        return conn.respond(pdu, 'generic_nack', STATUS.invalidCommandId);
    }
  }

  /** deliver_sm_resp only after the handler resolved (the reply is stored); a throw → ESME_RX_T_APPN. */
  private async deliver(conn: Connection, pdu: RawPdu): Promise<void> {
    let ack: InboundAck = 'try-later';
    let kind = 'unreadable';
    try {
      const event = classifyDeliverSm(pdu, this.id);
      kind = event.kind;
      if (this.handler) ack = await this.handler(event);
    } catch (error) {
      this.deps.logger.warn(
        { bind: this.id, err: (error as Error).message },
        'inbound handler failed; ESME_RX_T_APPN',
      );
    }
    const status = ACK_STATUS[ack];
    conn.respond(pdu, 'deliver_sm_resp', status, { message_id: '' });
    this.metrics.deliver(this.id, kind, statusInfo(status).name);
  }

  private scheduleEnquireLink(conn: Connection): void {
    this.enquireTimer = setTimeout(() => void this.enquireLink(conn), this.config.enquireLinkMs);
  }

  /** SMPP 3.4 §4.11: keep-alive; no answer within the timeout means the link is dead. */
  private async enquireLink(conn: Connection): Promise<void> {
    const started = performance.now();
    try {
      await conn.request('enquire_link', {}, this.config.enquireLinkTimeoutMs, false);
      this.metrics.enquireLinkRtt(this.id, (performance.now() - started) / 1000);
      if (conn === this.conn && this.current === 'bound') this.scheduleEnquireLink(conn);
    } catch (error) {
      if ((error as SmppError).code !== 'RESPONSE_TIMEOUT') return;
      this.deps.logger.warn({ bind: this.id }, 'enquire_link unanswered; link dead');
      conn.destroy('enquire_link timeout');
    }
  }
}
