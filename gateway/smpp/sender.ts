/**
 * The outbound path of one bind: plan the segments, and for each (all of an SMS's at once) take a
 * window slot of its own, wait for the pause and the token bucket, submit, and retry a segment
 * the SMSC throttled (ESME_RTHROTTLED / ESME_RMSGQFUL) after the backoff of ESME_STATUS.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BindConfig } from './config.js';
import type { Connection } from './connection.js';
import type { ResponseHandler, SlotWaiter } from './in-flight.js';
import { TokenBucket } from './flow.js';
import type { Logger } from './logger.js';
import { SUBMIT_DURATION_SAMPLE, type SmppMetrics } from './metrics.js';
import { encodeSubmitSmParts, type RawPdu } from './smpp-lib.js';
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

/** What a part's callbacks reach in its sender. */
interface PartEvents {
  granted(part: Part): void;
  answered(part: Part, pdu: RawPdu): void;
  failed(part: Part, error: Error): void;
}

/** One SMS being sent: what came of each part, and its caller's promise. */
class Submission {
  /** The parts accepted, by index. */
  readonly parts: Array<SubmittedPart | undefined> = [];
  /** Parts not settled yet (accepted, failed or left unsent). */
  unsettled = 0;
  /** Set once a part failed for good: the parts not yet sent stay unsent. */
  failure: Error | undefined;

  constructor(
    readonly message: OutboundSms,
    readonly encoding: SubmitResult['encoding'],
    readonly ref: number,
    readonly total: number,
    readonly resolve: (result: SubmitResult) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

/**
 * One segment on its way: the window's waiter for a slot and the handler of its response, one
 * object for both, so a part costs no promise and no closure.
 */
class Part implements ResponseHandler, SlotWaiter {
  attempt = 0;
  /** The connection it took (or waits for) a slot on. */
  conn: Connection | undefined;
  /** performance.now() at sending when its duration is sampled, else 0. */
  started = 0;

  constructor(
    private readonly events: PartEvents,
    readonly sms: Submission,
    readonly index: number,
    readonly fields: Record<string, unknown>,
    /** Its bytes, encoded with the other parts of its SMS (smpp-lib.ts `encodeSubmitSmParts`). */
    readonly encoded: Buffer | undefined,
  ) {}

  // Called from the socket's data handler: an error in a step fails the part, never the handler.
  granted(): void {
    try {
      this.events.granted(this);
    } catch (error) {
      this.events.failed(this, asError(error));
    }
  }

  response(pdu: RawPdu): void {
    try {
      this.events.answered(this, pdu);
    } catch (error) {
      this.events.failed(this, asError(error));
    }
  }

  failed(error: SmppError): void {
    this.events.failed(this, error);
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export class Sender {
  private pausedUntil = 0;
  /** Parts waiting at the gate (the pause or the token bucket), and the last one's turn. */
  private gated = 0;
  private gateQueue: Promise<void> = Promise.resolve();
  /** Segments submitted, to time one in SUBMIT_DURATION_SAMPLE. */
  private submitted = 0;
  private readonly bucket: TokenBucket;
  private readonly refs = new ConcatRefs();
  private readonly active = new Set<Promise<unknown>>();
  private readonly events: PartEvents = {
    granted: (part) => this.pass(part),
    answered: (part, pdu) => this.answered(part, pdu),
    failed: (part, error) => this.fail(part, error),
  };

  constructor(
    private readonly host: SenderHost,
    private readonly config: BindConfig,
    private readonly deps: { logger: Logger; metrics: SmppMetrics; now: () => number },
  ) {
    this.bucket = new TokenBucket(config.tps, deps.now());
    deps.metrics.watchWindow(host.id, () => host.connection()?.inFlight.inUse ?? 0);
  }

  /** Send every segment of `message`, all at once, in order when the window lets them. */
  submit(message: OutboundSms): Promise<SubmitResult> {
    const promise = this.send(message);
    this.active.add(promise);
    const forget = (): boolean => this.active.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Wait (at most `timeoutMs`) for submits already started to finish. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.active.size === 0) return;
    const timeout = sleep(timeoutMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled([...this.active]), timeout]);
  }

  private send(message: OutboundSms): Promise<SubmitResult> {
    return new Promise((resolve, reject) => {
      this.requireBound();
      const bits = this.config.submit.concat === 'udh16' || this.config.submit.concat === 'sar' ? 16 : 8;
      const ref = message.resume?.ref ?? this.refs.next(message.to, bits);
      const plan = planSubmit(message, this.config.submit, ref);
      // Every part's PDU encoded at once: the fields they share are checked and written once.
      const encoded = encodeSubmitSmParts(plan.pdus);
      const accepted = message.resume && new Map(message.resume.accepted.map((p) => [p.index, p.messageId]));
      const sms = new Submission(message, plan.encoding, ref, plan.pdus.length, resolve, reject);
      const parts: Part[] = [];
      for (const [index, fields] of plan.pdus.entries()) {
        const done = accepted?.get(index);
        // Accepted before the link dropped: sending it again would show the citizen a part twice.
        if (done !== undefined) sms.parts[index] = { index, messageId: done };
        else parts.push(new Part(this.events, sms, index, fields, encoded?.[index]));
      }
      sms.unsettled = parts.length;
      if (parts.length === 0) this.finish(sms);
      // Every part starts now, in order: those that find a token and a free slot leave in this turn
      // (one write for all of them), the others wait for theirs in the order they asked.
      for (const part of parts) this.start(part);
    });
  }

  /** A part's next attempt: a window slot, then the pause and the token bucket, then the wire. */
  private start(part: Part): void {
    if (part.sms.failure !== undefined) {
      this.settle(part);
      return;
    }
    let conn: Connection;
    try {
      conn = this.requireBound();
    } catch (error) {
      this.fail(part, error as Error);
      return;
    }
    part.conn = conn;
    if (conn.inFlight.tryAcquire()) this.pass(part);
    else conn.inFlight.whenFree(part);
  }

  /**
   * In its slot, through the pause and the token bucket to the wire. The rate is taken here, not
   * before the slot: a submit counts when it goes, as the SMSC counts it, so submits that waited
   * for slots cannot leave together beyond SMPP_TPS. Parts pass the gate one after another in the
   * order they reached it, so an SMS's parts and the SMS leave in order.
   */
  private pass(part: Part): void {
    if (this.gated === 0 && this.open()) {
      this.transmit(part);
      return;
    }
    this.gated++;
    const turn = this.gateQueue.then(() => (part.sms.failure === undefined ? this.gate() : undefined));
    this.gateQueue = turn.catch(() => undefined);
    turn.then(
      () => {
        this.gated--;
        this.transmit(part);
      },
      (error: unknown) => {
        this.gated--;
        part.conn?.inFlight.release();
        this.fail(part, asError(error));
      },
    );
  }

  /** One submit_sm in the slot `part` holds, freed by its response. */
  private transmit(part: Part): void {
    const conn = part.conn as Connection;
    if (part.sms.failure !== undefined) {
      conn.inFlight.release();
      this.settle(part);
      return;
    }
    part.started = ++this.submitted % SUBMIT_DURATION_SAMPLE === 0 ? performance.now() : 0;
    const timeoutMs = this.config.responseTimeoutMs;
    const { encoded } = part;
    // A PDU sent is the socket's: a second attempt sends a copy.
    if (encoded) conn.sendEncoded(part.attempt === 0 ? encoded : Buffer.from(encoded), timeoutMs, true, part);
    else conn.send('submit_sm', part.fields, timeoutMs, true, part);
  }

  /** A part's submit_sm_resp: accepted, refused, or throttled (sent again after the pause). */
  private answered(part: Part, response: RawPdu): void {
    if (part.started !== 0)
      this.deps.metrics.submitDuration(this.host.id, (performance.now() - part.started) / 1000);
    const status = response.command_status;
    const info = statusInfo(status);
    this.deps.metrics.submit(this.host.id, info.name);
    if (status === STATUS.ok) {
      const messageId = typeof response.message_id === 'string' ? response.message_id : '';
      part.sms.parts[part.index] = { index: part.index, messageId };
      this.settle(part);
    } else if (!SLOW_DOWN.has(status) || part.attempt >= this.config.maxThrottleRetries) {
      this.fail(part, SmppError.fromStatus(status, 'submit_sm'));
    } else {
      this.pause(this.config.throttleBackoffMs ?? info.backoffMs ?? 1000, info.name);
      part.attempt++;
      this.start(part);
    }
  }

  private fail(part: Part, error: Error): void {
    part.sms.failure = worse(part.sms.failure, error);
    this.settle(part);
  }

  private settle(part: Part): void {
    if (--part.sms.unsettled === 0) this.finish(part.sms);
  }

  /**
   * Every part settled (none is left in flight when its caller retries the SMS): its result, or its
   * failure with every part accepted, by index, to resume it.
   */
  private finish(sms: Submission): void {
    const { failure, message } = sms;
    if (failure !== undefined) {
      const done = sms.parts.filter((p): p is SubmittedPart => p !== undefined);
      sms.reject(
        failure instanceof SmppError && sms.total > 1 && done.length > 0
          ? failure.withResume({ ref: sms.ref, accepted: done })
          : failure,
      );
      return;
    }
    sms.resolve({
      ...(message.reference !== undefined ? { reference: message.reference } : {}),
      encoding: sms.encoding,
      parts: sms.parts as SubmittedPart[],
      bindId: this.host.id,
    });
  }

  /** Stop sending on this bind for `ms` (every segment waits, not just the throttled one). */
  private pause(ms: number, statusName: string): void {
    this.deps.metrics.throttle(this.host.id, statusName);
    this.pausedUntil = Math.max(this.pausedUntil, this.deps.now() + ms);
    this.deps.logger.warn(
      { bind: this.host.id, status: statusName, pauseMs: ms },
      'SMSC asked to slow down; pausing bind',
    );
  }

  /** Takes a token now when the bind is not paused and the bucket has one. */
  private open(): boolean {
    const now = this.deps.now();
    return this.pausedUntil <= now && this.bucket.take(now) === 0;
  }

  /** Wait out a pause, then for a token of the bucket. */
  private async gate(): Promise<void> {
    for (;;) {
      const now = this.deps.now();
      if (this.pausedUntil > now) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      const wait = this.bucket.take(now);
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

/**
 * The failure an SMS reports when several of its parts failed: one sending again cannot mend (a
 * refusal for good) over one that may pass, else the first.
 */
function worse(first: Error | undefined, next: Error): Error {
  if (first === undefined) return next;
  const permanent = (e: Error): boolean => e instanceof SmppError && !e.retryable;
  return !permanent(first) && permanent(next) ? next : first;
}
