/**
 * Several binds to one carrier behind the same port: MT traffic is spread
 * round-robin over the binds that can submit and are bound right now; inbound
 * events from any bind (transceivers, receivers of a pair) reach the one handler.
 */
import { EventEmitter } from 'node:events';
import type { SmppBind } from './bind.js';
import type { BindMode } from './config.js';
import { SmppError } from './status.js';
import type { InboundHandler, OutboundSms, SubmitResult } from '../core/ports.js';
import type { BindState, SmppTransport } from './transport.js';

/** The pool's state is its healthiest sending bind's: bound if any is, and so on down this list. */
export const HEALTH: readonly BindState[] = [
  'bound',
  'binding',
  'connecting',
  'unbinding',
  'disconnected',
  'closed',
];

/** The healthiest of `states` by {@link HEALTH}; `closed` for none. */
export function healthiest(states: Iterable<BindState>): BindState {
  const present = new Set(states);
  return HEALTH.find((s) => present.has(s)) ?? 'closed';
}

/** One bind as /readyz and the logs show it. */
export interface BindSnapshot {
  readonly id: string;
  readonly mode: BindMode;
  readonly state: BindState;
}

export class BindPool extends EventEmitter implements SmppTransport {
  private next = 0;
  private current: BindState;
  /** The binds that carry MT: transceivers and transmitters (a receiver cannot submit). */
  private readonly senders: readonly SmppBind[];

  constructor(readonly binds: readonly SmppBind[]) {
    super();
    this.senders = binds.filter((b) => b.canSubmit);
    if (this.senders.length === 0) throw new Error('BindPool needs at least one bind that can submit');
    this.current = this.computeState();
    for (const bind of binds) bind.on('state', () => this.refresh());
  }

  /** The healthiest state among the binds that can submit: `bound` = MT can go now. */
  get state(): BindState {
    return this.current;
  }

  /** True when at least one bind that can submit is bound. */
  ready(): boolean {
    return this.current === 'bound';
  }

  /** Every bind (receivers included) with its state. */
  snapshot(): readonly BindSnapshot[] {
    return this.binds.map((b) => ({ id: b.id, mode: b.config.mode, state: b.state }));
  }

  /** Start every bind. */
  start(): this {
    for (const bind of this.binds) bind.start();
    return this;
  }

  /** Submit on the next bound sending bind (round-robin); NOT_BOUND (retryable) when none is. */
  submit(message: OutboundSms): Promise<SubmitResult> {
    const bound = this.senders.filter((b) => b.state === 'bound');
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
    return healthiest(this.senders.map((b) => b.state));
  }

  private refresh(): void {
    const previous = this.current;
    this.current = this.computeState();
    if (previous !== this.current) this.emit('state', this.current, previous);
  }
}
