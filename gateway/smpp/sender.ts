/**
 * The outbound path of one bind: plan the segments, and for each (all of an SMS's at once) wait
 * for the pause and the token bucket, take a window slot of its own, submit, and retry a segment
 * the SMSC throttled (ESME_RTHROTTLED / ESME_RMSGQFUL) after the backoff of ESME_STATUS.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BindConfig } from './config.js';
import type { Connection } from './connection.js';
import { TokenBucket } from './flow.js';
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

/** One SMS being sent: set once a part of it failed for good, so its parts not yet sent stay unsent. */
interface Sms {
  failed: boolean;
}

export class Sender {
  private pausedUntil = 0;
  /** Segments submitted, to time one in SUBMIT_DURATION_SAMPLE. */
  private submitted = 0;
  private readonly bucket: TokenBucket;
  private readonly refs = new ConcatRefs();
  private readonly active = new Set<Promise<unknown>>();

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

  private async send(message: OutboundSms): Promise<SubmitResult> {
    this.requireBound();
    const bits = this.config.submit.concat === 'udh16' || this.config.submit.concat === 'sar' ? 16 : 8;
    const ref = message.resume?.ref ?? this.refs.next(message.to, bits);
    const plan = planSubmit(message, this.config.submit, ref);
    // Every part's PDU encoded at once: the fields they share are checked and written once.
    const encoded = encodeSubmitSmParts(plan.pdus);
    const accepted = message.resume && new Map(message.resume.accepted.map((p) => [p.index, p.messageId]));
    const sms: Sms = { failed: false };
    const parts: Array<SubmittedPart | undefined> = [];
    let failure: Error | undefined;
    const sending: Promise<void>[] = [];
    // Every part starts now, in order: those that find a token and a free slot leave in this turn
    // (one write for all of them), the others wait for theirs in the order they asked.
    for (const [index, fields] of plan.pdus.entries()) {
      const done = accepted?.get(index);
      if (done !== undefined) {
        // Accepted before the link dropped: sending it again would show the citizen a part twice.
        parts[index] = { index, messageId: done };
        continue;
      }
      sending.push(
        this.submitSegment(fields, sms, encoded?.[index]).then(
          (messageId) => {
            if (messageId !== undefined) parts[index] = { index, messageId };
          },
          (error: Error) => {
            sms.failed = true;
            failure = worse(failure, error);
          },
        ),
      );
    }
    // Every part settles before the SMS does: none is left in flight when its caller retries it.
    await (sending.length === 1 ? sending[0] : Promise.all(sending));
    if (failure !== undefined) {
      const done = parts.filter((p): p is SubmittedPart => p !== undefined);
      throw failure instanceof SmppError && plan.pdus.length > 1 && done.length > 0
        ? failure.withResume({ ref, accepted: done })
        : failure;
    }
    return {
      ...(message.reference !== undefined ? { reference: message.reference } : {}),
      encoding: plan.encoding,
      parts: parts as SubmittedPart[],
      bindId: this.host.id,
    };
  }

  /**
   * One submit_sm (`encoded`: its bytes, encoded with the other parts of its SMS) in a window slot
   * of its own, freed by its response; sent again after a throttle. Resolves with the SMSC
   * message_id, or undefined when another part of `sms` failed before this one was sent.
   */
  private async submitSegment(
    fields: Record<string, unknown>,
    sms: Sms,
    encoded?: Buffer,
  ): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (sms.failed) return undefined;
      // Awaited only when there is something to wait for.
      if (!this.open()) {
        await this.gate();
        if (sms.failed) return undefined;
      }
      const conn = this.requireBound();
      if (!conn.inFlight.tryAcquire()) {
        await conn.inFlight.acquire();
        if (sms.failed) {
          conn.inFlight.release();
          return undefined;
        }
      }
      const timed = ++this.submitted % SUBMIT_DURATION_SAMPLE === 0;
      const started = timed ? performance.now() : 0;
      const timeoutMs = this.config.responseTimeoutMs;
      const response = encoded
        ? await conn.requestEncoded(attempt === 0 ? encoded : Buffer.from(encoded), timeoutMs, true)
        : await conn.request('submit_sm', fields, timeoutMs, true);
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
