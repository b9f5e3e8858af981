/**
 * Several carriers behind the one port: `CarrierRouter` picks the carrier of
 * each MT — a number the portability file lists, else the carrier learned for
 * it, else the longest route prefix, else the default carrier — and lets that
 * carrier's `BindPool` spread it over its bound binds. A carrier that answers
 * "not our subscriber" (CARRIERS_FILE `notSubscriber.esme`) gets the SMS sent
 * once more through the next likely carrier (docs/smpp.md, "Ported numbers").
 * Longer than 300 lines: the router's choice of carrier, its second try and its outage state share one carrier table.
 */
import { EventEmitter } from 'node:events';
import { Gauge, type Registry } from 'prom-client';
import { isFinalStat } from '../../parsers/receipt.js';
import type { Config } from '../config.js';
import { SmppBind } from './bind.js';
import type { Logger } from './logger.js';
import { createSmppMetrics, NO_METRICS, type SmppMetrics } from './metrics.js';
import { BindPool, healthiest, type BindSnapshot } from './pool.js';
import { ReceiptClock } from './receipt-clock.js';
import type { PortabilityTable } from './portability.js';
import { carrierBindConfigs, routeFor, routeTable, type BindTuning, type RouteTable } from './routes.js';
import { SmppError, statusInfo } from './status.js';
import { WaitingSms } from './waiting.js';
import type { InboundEvent, InboundHandler, OutboundSms, SubmitResult } from '../core/ports.js';
import type { BindState, SmppTransport } from './transport.js';

/** One carrier: its id and its pool of binds. */
export interface Carrier {
  readonly id: string;
  readonly pool: BindPool;
}

/** A carrier as /readyz shows it. */
export interface CarrierStatus {
  readonly id: string;
  readonly state: BindState;
  readonly ready: boolean;
  readonly binds: readonly BindSnapshot[];
}

/** A carrier's outage as /readyz's body and /metrics show it. */
export interface CarrierOutage {
  readonly id: string;
  /** Seconds since its last bind that can submit went down; 0 while one is up. */
  readonly downSeconds: number;
  /** SMS waiting for it (refused NOT_BOUND and offered again since), and the oldest one's wait. */
  readonly waiting: { readonly sms: number; readonly oldestSeconds: number };
  /** Where its SMS go once it has been down long enough, if anywhere. */
  readonly failover: string | null;
}

export interface RouterDeps {
  readonly metrics?: SmppMetrics;
  /** The ported-numbers table in force (it changes when the file is reloaded). */
  readonly portability?: () => PortabilityTable;
  /** Per carrier, the submit_sm_resp statuses that mean "not our subscriber". */
  readonly notSubscriber?: ReadonlyMap<string, ReadonlySet<number>>;
  /** Per carrier, where its SMS go once all its binds have been down `afterMs` (CARRIERS_FILE `failover`). */
  readonly failover?: ReadonlyMap<string, { readonly carrier: string; readonly afterMs: number }>;
  /** Clock for receipt latency. Default Date.now. */
  readonly now?: () => number;
}

/**
 * The SMS transport over every configured carrier. Emits `state` (overall) and
 * `bind` ({ carrier, bind, state }) on every bind transition.
 */
export class CarrierRouter extends EventEmitter implements SmppTransport {
  private readonly byId: ReadonlyMap<string, Carrier>;
  private readonly metrics: SmppMetrics;
  private readonly now: () => number;
  private readonly clock = new ReceiptClock();
  private current: BindState;
  private readonly portability: () => PortabilityTable | undefined;
  private readonly notSubscriber: ReadonlyMap<string, ReadonlySet<number>>;
  private readonly failover: ReadonlyMap<string, { readonly carrier: string; readonly afterMs: number }>;
  /** carrier → when its last sending bind went down (from the start: not bound yet). */
  private readonly downSince = new Map<string, number>();
  private readonly waitingSms = new WaitingSms();

  constructor(
    carriers: readonly Carrier[],
    private readonly routes: RouteTable,
    private readonly defaultCarrier: string,
    deps: RouterDeps = {},
  ) {
    super();
    this.byId = new Map(carriers.map((c) => [c.id, c]));
    if (!this.byId.has(defaultCarrier))
      throw new Error(`default carrier ${defaultCarrier} is not configured`);
    const unknown = routes.find((r) => !this.byId.has(r.carrier));
    if (unknown) throw new Error(`route ${unknown.prefix} names unknown carrier ${unknown.carrier}`);
    this.metrics = deps.metrics ?? NO_METRICS;
    this.now = deps.now ?? Date.now;
    this.portability = deps.portability ?? (() => undefined);
    this.notSubscriber = deps.notSubscriber ?? new Map();
    this.failover = deps.failover ?? new Map();
    for (const carrier of carriers) if (!carrier.pool.ready()) this.downSince.set(carrier.id, this.now());
    this.current = this.computeState();
    for (const carrier of carriers) {
      this.metrics.carrierReady(carrier.id, carrier.pool.ready());
      carrier.pool.on('state', () => this.refresh(carrier));
      for (const bind of carrier.pool.binds)
        bind.on('state', (state: BindState) =>
          this.emit('bind', { carrier: carrier.id, bind: bind.id, state }),
        );
    }
  }

  /** Resolve once `predicate` holds over {@link carriers} (checked on every bind transition). */
  until(predicate: (carriers: readonly CarrierStatus[]) => boolean, timeoutMs: number): Promise<void> {
    if (predicate(this.carriers())) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.carriers())) return;
        clearTimeout(timer);
        this.off('bind', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('bind', check);
        reject(
          new Error(`carriers not as expected within ${timeoutMs} ms: ${JSON.stringify(this.carriers())}`),
        );
      }, timeoutMs);
      this.on('bind', check);
    });
  }

  /** The healthiest carrier's state: `bound` when some carrier can send now. */
  get state(): BindState {
    return this.current;
  }

  /** For /readyz: at least one bind (that can submit) of some carrier is bound. */
  ready(): boolean {
    return this.current === 'bound';
  }

  /** Per carrier: state, readiness and every bind's state. */
  carriers(): readonly CarrierStatus[] {
    return [...this.byId.values()].map(({ id, pool }) => ({
      id,
      state: pool.state,
      ready: pool.ready(),
      binds: pool.snapshot(),
    }));
  }

  /**
   * The carrier that `msisdn` is routed to: the portability file's, the learned one, the longest
   * prefix's, the default; the first of them not in `avoid` (then any other carrier not in it).
   */
  carrierFor(msisdn: string, learned?: string, avoid: readonly string[] = []): string {
    return this.candidates(msisdn, learned, avoid)[0] ?? routeFor(this.routes, msisdn, this.defaultCarrier);
  }

  /** The carriers worth trying for `msisdn`, most likely first, none of `avoid`. */
  candidates(msisdn: string, learned?: string, avoid: readonly string[] = []): string[] {
    const ordered = [
      this.portability()?.carrierOf(msisdn),
      learned,
      routeFor(this.routes, msisdn, this.defaultCarrier),
      this.defaultCarrier,
      ...this.byId.keys(),
    ];
    const out: string[] = [];
    for (const id of ordered)
      if (id !== undefined && this.byId.has(id) && !avoid.includes(id) && !out.includes(id)) out.push(id);
    return out;
  }

  /** Start every bind of every carrier. */
  start(): this {
    for (const { pool } of this.byId.values()) pool.start();
    return this;
  }

  /** Per carrier: how long it has been down, and the SMS waiting for it. */
  outages(): CarrierOutage[] {
    const now = this.now();
    const waiting = this.waitingSms.snapshot(now);
    return [...this.byId.keys()].map((id) => {
      const since = this.downSince.get(id);
      return {
        id,
        downSeconds: since === undefined ? 0 : (now - since) / 1000,
        waiting: waiting.get(id) ?? { sms: 0, oldestSeconds: 0 },
        failover: this.failover.get(id)?.carrier ?? null,
      };
    });
  }

  /**
   * The carrier that takes an SMS routed to `carrier`: itself while a bind of it is up, or until
   * it has been down for its `failover.afterSeconds`; then its fail-over carrier if that is up.
   */
  private takerOf(carrier: string): string {
    const rule = this.failover.get(carrier);
    const since = this.downSince.get(carrier);
    if (!rule || since === undefined || this.now() - since < rule.afterMs) return carrier;
    return this.byId.get(rule.carrier)?.pool.ready() ? rule.carrier : carrier;
  }

  async submit(message: OutboundSms): Promise<SubmitResult> {
    const [routed, next] = this.candidates(message.to, message.learnedCarrier, message.avoidCarriers);
    if (routed === undefined)
      throw new SmppError(
        'NOT_BOUND',
        'every carrier said the number is not theirs',
        undefined,
        'subscriber-elsewhere',
      );
    const carrier = this.takerOf(routed);
    try {
      const result = await this.submitVia(carrier, message);
      if (message.reference !== undefined) this.waitingSms.sent(message.reference);
      return carrier === routed ? result : { ...result, failedOver: routed };
    } catch (err) {
      if (!(err instanceof SmppError)) throw err;
      if (err.code === 'NOT_BOUND' && message.reference !== undefined)
        this.waitingSms.refused(carrier, message.reference, this.now());
      const status = err.code;
      if (typeof status !== 'number' || !this.notSubscriber.get(carrier)?.has(status)) throw err;
      // "Not our subscriber" before any part went: once more through the next likely carrier.
      if (err.resume || next === undefined) throw err.asSubscriberElsewhere();
      const { resume: _resume, ...fresh } = message;
      const result = await this.submitVia(next, fresh);
      return { ...result, firstTry: { carrier, status: statusInfo(status).name } };
    }
  }

  private async submitVia(carrier: string, message: OutboundSms): Promise<SubmitResult> {
    const result = await this.pool(carrier).submit(message);
    const at = this.now();
    for (const part of result.parts) this.clock.accepted(carrier, part.messageId, at);
    return { ...result, carrier };
  }

  /** Every bind of every carrier delivers to `handler`, each event tagged with its carrier. */
  onInbound(handler: InboundHandler): void {
    for (const { id, pool } of this.byId.values()) {
      pool.onInbound((event) => {
        this.timeReceipt(id, event);
        return handler({ ...event, carrier: id });
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.byId.values()].map(({ pool }) => pool.close()));
  }

  private pool(carrier: string): BindPool {
    const found = this.byId.get(carrier);
    if (!found) throw new Error(`route to unknown carrier ${carrier}`); // constructor rules this out
    return found.pool;
  }

  /** A final receipt for a part this process submitted: observe its latency once. */
  private timeReceipt(carrier: string, event: InboundEvent): void {
    if (event.kind !== 'receipt' || !event.stat || !isFinalStat(event.stat)) return;
    const seconds = this.clock.receipt(carrier, event.messageId, this.now());
    if (seconds !== undefined) this.metrics.receiptLatency(carrier, seconds);
  }

  private computeState(): BindState {
    return healthiest([...this.byId.values()].map(({ pool }) => pool.state));
  }

  private refresh(carrier: Carrier): void {
    const ready = carrier.pool.ready();
    this.metrics.carrierReady(carrier.id, ready);
    if (ready) this.downSince.delete(carrier.id);
    else if (!this.downSince.has(carrier.id)) this.downSince.set(carrier.id, this.now());
    const previous = this.current;
    this.current = this.computeState();
    if (previous !== this.current) this.emit('state', this.current, previous);
  }
}

/** What the composition root passes in. */
export interface TransportDeps extends BindTuning {
  readonly logger: Logger;
  /** Where the SMPP metrics are registered (once per registry). */
  readonly registry: Registry;
  /** The ported-numbers table in force (portability-file.ts). */
  readonly portability?: () => PortabilityTable;
}

/**
 * Build (and start) the transport from the configuration: one `BindPool` per
 * carrier, `count` binds per entry (a transmitter and a receiver each for `pair`).
 */
export function createTransport(
  config: Pick<Config, 'carriers' | 'defaultCarrier' | 'sourceAddr'>,
  deps: TransportDeps,
): CarrierRouter {
  const metrics = createSmppMetrics(deps.registry);
  const routes = routeTable(config.carriers);
  const carriers = config.carriers.map((carrier) => ({
    id: carrier.id,
    pool: new BindPool(
      carrierBindConfigs(carrier, config.sourceAddr, deps).map(
        (bind) =>
          new SmppBind(bind, { logger: deps.logger, metrics, ...(deps.now ? { now: deps.now } : {}) }),
      ),
    ),
  }));
  const notSubscriber = new Map(config.carriers.map((c) => [c.id, new Set(c.notSubscriber?.esme ?? [])]));
  const failover = new Map(
    config.carriers.flatMap((c) =>
      c.failover ? [[c.id, { carrier: c.failover.carrier, afterMs: c.failover.afterSeconds * 1000 }]] : [],
    ),
  );
  const router = new CarrierRouter(carriers, routes, config.defaultCarrier, {
    metrics,
    notSubscriber,
    failover,
    ...(deps.portability ? { portability: deps.portability } : {}),
  });
  registerOutageMetrics(deps.registry, () => router.outages());
  return router.start();
}

/** `smpp_carrier_down_seconds`, `smpp_carrier_waiting_sms`, `smpp_carrier_waiting_oldest_seconds`, read when scraped. */
function registerOutageMetrics(registry: Registry, outages: () => readonly CarrierOutage[]): void {
  const gauge = (name: string, help: string, read: (o: CarrierOutage) => number): void =>
    void new Gauge({
      name,
      help,
      labelNames: ['carrier'],
      registers: [registry],
      collect() {
        for (const o of outages()) this.set({ carrier: o.id }, read(o));
      },
    });
  gauge(
    'smpp_carrier_down_seconds',
    'seconds since the carrier’s last sending bind went down; 0 while up',
    (o) => o.downSeconds,
  );
  gauge(
    'smpp_carrier_waiting_sms',
    'SMS waiting for the carrier’s binds (refused NOT_BOUND, offered again since)',
    (o) => o.waiting.sms,
  );
  gauge(
    'smpp_carrier_waiting_oldest_seconds',
    'how long the oldest SMS waiting for the carrier has waited',
    (o) => o.waiting.oldestSeconds,
  );
}
