/**
 * Several binds to one carrier behind the same port: MT traffic is spread
 * round-robin over the binds that are bound right now; inbound events from any
 * bind reach the one handler.
 */
import { EventEmitter } from 'node:events';
import type { SmppBind } from './bind.js';
import { SmppError } from './status.js';
import type { BindState, InboundHandler, OutboundSms, SmsTransport, SubmitResult } from './transport.js';

/** The pool's state is its healthiest bind's: bound if any is, and so on down this list. */
const HEALTH: readonly BindState[] = [
  'bound',
  'binding',
  'connecting',
  'unbinding',
  'disconnected',
  'closed',
];

export class BindPool extends EventEmitter implements SmsTransport {
  private next = 0;
  private current: BindState;

  constructor(private readonly binds: readonly SmppBind[]) {
    super();
    if (binds.length === 0) throw new Error('BindPool needs at least one bind');
    this.current = this.computeState();
    for (const bind of binds) bind.on('state', () => this.refresh());
  }

  get state(): BindState {
    return this.current;
  }

  /** Start every bind. */
  start(): this {
    for (const bind of this.binds) bind.start();
    return this;
  }

  /** Submit on the next bound bind (round-robin); NOT_BOUND (retryable) when none is. */
  submit(message: OutboundSms): Promise<SubmitResult> {
    const bound = this.binds.filter((b) => b.state === 'bound');
    const bind = bound[this.next++ % Math.max(bound.length, 1)];
    if (!bind) return Promise.reject(SmppError.local('NOT_BOUND', 'no bind of the pool is bound'));
    return bind.submit(message);
  }

  onInbound(handler: InboundHandler): void {
    for (const bind of this.binds) bind.onInbound(handler);
  }

  /** Close every bind (each unbinds gracefully). */
  async close(): Promise<void> {
    await Promise.all(this.binds.map((b) => b.close()));
  }

  private computeState(): BindState {
    const states = new Set(this.binds.map((b) => b.state));
    return HEALTH.find((s) => states.has(s)) ?? 'closed';
  }

  private refresh(): void {
    const previous = this.current;
    this.current = this.computeState();
    if (previous !== this.current) this.emit('state', this.current, previous);
  }
}
