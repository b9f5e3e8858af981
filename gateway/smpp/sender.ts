/**
 * The outbound path of one bind: plan the segments, take a window slot, wait for
 * the pause and the rate (SMPP_TPS), submit, and retry a segment the SMSC
 * throttled (ESME_RTHROTTLED / ESME_RMSGQFUL) after the backoff of ESME_STATUS.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BindConfig } from './config.js';
import type { Connection } from './connection.js';
import { SubmitRate } from './flow.js';
import type { Logger } from './logger.js';
import { SUBMIT_DURATION_SAMPLE, type SmppMetrics } from './metrics.js';
import { encodeSubmitSmParts } from './smpp-lib.js';
import { ConcatRefs, planSubmit } from './submit.js';
import { SLOW_DOWN, SmppError, statusInfo, STATUS } from './status.js';
import type { OutboundSms, SubmitResult, SubmittedPart } from '../core/ports.js';
import type { BindState } from './transport.js';

/** What the sender needs from its bind. */
export interface SenderHost {
  readonly id: string;
  state(): BindState;
  /** The open connection, or undefined. */
  connection(): Connection | undefined;
}

/** The window slot one SMS holds from its first part to its last, and the link it is of. */
interface Slot {
  conn: Connection | undefined;
}

/** How often a bind the SMSC keeps throttling logs its pauses at warn. */
const PAUSE_LOG_EVERY_MS = 60_000;
export class Sender {
  private pausedUntil = 0;
  /** When a pause was last logged at warn, and the pauses since (at debug). */
  private pauseLoggedAt = Number.NEGATIVE_INFINITY;
  private pausesSinceLogged = 0;
  /** Segments submitted, to time one in SUBMIT_DURATION_SAMPLE. */
  private submitted = 0;
  private readonly rate: SubmitRate;
  private readonly refs = new ConcatRefs();
  private readonly active = new Set<Promise<unknown>>();

  constructor(
    private readonly host: SenderHost,
    private readonly config: BindConfig,
    private readonly deps: { logger: Logger; metrics: SmppMetrics; now: () => number },
  ) {
    this.rate = new SubmitRate(config.tps);
    deps.metrics.watchWindow(host.id, () => host.connection()?.inFlight.inUse ?? 0);
  }

  /** Send every segment of `message`, in order. */
  submit(message: OutboundSms): Promise<SubmitResult> {
    const promise = this.send(message);
    this.active.add(promise);
    const forget = (): boolean => this.active.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** SMS handed to this bind and not finished: in its window or waiting for a slot. */
  get inProgress(): number {
    return this.active.size;
  }

  /** Wait (at most `timeoutMs`) for submits already started to finish. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.active.size === 0) return;
    const timeout = sleep(timeoutMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled([...this.active]), timeout]);
  }

  private async send(message: OutboundSms): Promise<SubmitResult> {
    this.requireBound();
    const bits = this.config.submit.concat === 'udh16' || this.config.submit.concat === 'sar' ? 16 : 8;
    const ref = message.resume?.ref ?? this.refs.next(message.to, bits);
    const plan = planSubmit(message, this.config.submit, ref);
    // Every part's PDU encoded at once: the fields they share are checked and written once.
    const encoded = encodeSubmitSmParts(plan.pdus);
    const parts: SubmittedPart[] = [];
    const accepted = message.resume && new Map(message.resume.accepted.map((p) => [p.index, p.messageId]));
    const slot: Slot = { conn: undefined };
    try {
      for (const [index, fields] of plan.pdus.entries()) {
        const done = accepted?.get(index);
        if (done !== undefined) {
          // Accepted before the link dropped: sending it again would show the citizen a part twice.
          parts.push({ index, messageId: done });
          continue;
        }
        try {
          parts.push({ index, messageId: await this.submitSegment(fields, slot, encoded?.[index]) });
        } catch (error) {
          const e = error as SmppError;
          throw plan.pdus.length > 1 && parts.length > 0 ? e.withResume({ ref, accepted: parts }) : e;
        }
      }
    } finally {
      slot.conn?.inFlight.release();
    }
    return {
      ...(message.reference !== undefined ? { reference: message.reference } : {}),
      encoding: plan.encoding,
      parts,
      bindId: this.host.id,
    };
  }

  /**
   * One submit_sm (`encoded`: its bytes, encoded with the other parts of its SMS), retried after a
   * throttle; resolves with the SMSC message_id. Sent in the window slot its SMS holds (`slot`),
   * taken at its first part: a part answered passes the slot to the SMS's next part, not to the
   * next SMS waiting, so the SMS in progress finish first and their jobs end one after another.
   */
  private async submitSegment(
    fields: Record<string, unknown>,
    slot: Slot,
    encoded?: Buffer,
  ): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      // The slot first, then the pause and the rate: a submit counts for SMPP_TPS when it goes, as
      // the SMSC counts it, not while it waits for a slot. Awaited only when there is something to
      // wait for: one segment of every SMS passes here.
      let conn = this.requireBound();
      if (slot.conn !== conn) conn = await this.slotOn(slot, conn);
      if (!this.open()) {
        await this.gate();
        conn = this.requireBound();
        if (slot.conn !== conn) conn = await this.slotOn(slot, conn);
      }
      const timed = ++this.submitted % SUBMIT_DURATION_SAMPLE === 0;
      const started = timed ? performance.now() : 0;
      const timeoutMs = this.config.responseTimeoutMs;
      // The response does not free the slot (`false`): the SMS gives it back when it is done.
      let response;
      try {
        response = encoded
          ? await conn.requestEncoded(attempt === 0 ? encoded : Buffer.from(encoded), timeoutMs, false)
          : await conn.request('submit_sm', fields, timeoutMs, false);
      } catch (error) {
        // Sent and never answered: the SMSC may have taken it, and the retry may reach the citizen
        // twice (docs/smpp.md), so the operator sees it beside the answered ones.
        if ((error as SmppError).code === 'RESPONSE_TIMEOUT')
          this.deps.metrics.submit(this.host.id, 'RESPONSE_TIMEOUT');
        throw error;
      }
      if (timed) this.deps.metrics.submitDuration(this.host.id, (performance.now() - started) / 1000);
      const status = response.command_status;
      const info = statusInfo(status);
      this.deps.metrics.submit(this.host.id, info.name);
      if (status === STATUS.ok) return typeof response.message_id === 'string' ? response.message_id : '';
      if (!SLOW_DOWN.has(status) || attempt >= this.config.maxThrottleRetries)
        throw SmppError.fromStatus(status, 'submit_sm');
      this.pause(this.config.throttleBackoffMs ?? info.backoffMs ?? 1000, info.name);
    }
  }

  /** The SMS's slot in `conn`'s window: at its first part, or on a new link. */
  private async slotOn(slot: Slot, conn: Connection): Promise<Connection> {
    // A new link: the slot of a dropped one was freed with it.
    slot.conn?.inFlight.release();
    slot.conn = undefined;
    if (!conn.inFlight.tryAcquire()) await conn.inFlight.acquire();
    slot.conn = conn;
    return conn;
  }

  /** Stop sending on this bind for `ms` (every segment waits, not just the throttled one). */
  private pause(ms: number, statusName: string): void {
    this.deps.metrics.throttle(this.host.id, statusName);
    const now = this.deps.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
    // A carrier that keeps throttling is one warn line a minute with the count of pauses since the
    // last one, not a line a second (smpp_throttle_events_total counts each).
    this.pausesSinceLogged += 1;
    const loud = now - this.pauseLoggedAt >= PAUSE_LOG_EVERY_MS;
    this.deps.logger[loud ? 'warn' : 'debug'](
      { bind: this.host.id, status: statusName, pauseMs: ms, pauses: this.pausesSinceLogged },
      'SMSC asked to slow down; pausing bind',
    );
    if (loud) {
      this.pauseLoggedAt = now;
      this.pausesSinceLogged = 0;
    }
  }

  /** Takes a turn of the rate now when the bind is not paused and the rate has one. */
  private open(): boolean {
    const now = this.deps.now();
    return this.pausedUntil <= now && this.rate.take(now) === 0;
  }

  /** Wait out a pause, then for a turn of the rate. */
  private async gate(): Promise<void> {
    for (;;) {
      const now = this.deps.now();
      if (this.pausedUntil > now) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      const wait = this.rate.take(now);
      if (wait === 0) return;
      await sleep(wait);
    }
  }

  private requireBound(): Connection {
    const conn = this.host.connection();
    const state = this.host.state();
    if (state === 'bound' && conn?.isOpen) return conn;
    const code = state === 'unbinding' || state === 'closed' ? 'CLOSED' : 'NOT_BOUND';
    throw SmppError.local(code, `bind ${this.host.id} is ${state}`);
  }
}
