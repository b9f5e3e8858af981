/**
 * Several binds to one carrier behind the same port: MT traffic is spread
 * over the binds that can submit and are bound right now, in proportion to their rates; inbound
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

/** When a bind would finish one more SMS, in seconds of its rate (no rate limit: at once). */
function finishScore(bind: SmppBind): number {
  const tps = bind.config.tps;
  return tps > 0 ? (bind.inProgress + 1) / tps : 0;
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

  /**
   * Submit on the bound sending bind that will finish it first: the fewest SMS in progress for its
   * `tps` (a bind of half the rate takes half the SMS), round-robin among equals; NOT_BOUND
   * (retryable) when none is bound. Plain round-robin gave a slower bind as many SMS as a faster
   * one: its queue grew while the faster bind idled.
   */
  submit(message: OutboundSms): Promise<SubmitResult> {
    const bound = this.senders.filter((b) => b.state === 'bound');
    if (bound.length === 0)
      return Promise.reject(SmppError.local('NOT_BOUND', 'no bind of the pool is bound'));
    const start = this.next++ % bound.length;
    let bind = bound[start]!;
    let best = finishScore(bind);
    for (let i = 1; i < bound.length; i++) {
      const other = bound[(start + i) % bound.length]!;
      const score = finishScore(other);
      if (score < best) [bind, best] = [other, score];
    }
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
