/**
 * The submit desk: answers submit_sm (with faults applied), records every submit, reassembles
 * whole messages, and gives each accepted message its final state and delivery receipt.
 */
import { randomBytes } from 'node:crypto';
import type smpp from 'smpp';
import type { EsmeResponse, SimConnection } from './connection.js';
import { FRESH_THROTTLE, NO_FAULTS, STATUS, decideSubmit } from './faults.js';
import type { Faults, SubmitDecision, ThrottleState } from './faults.js';
import { Inbox } from './inbox.js';
import { inspectShortMessage } from './inspect.js';
import type { ShortMessagePdu } from './inspect.js';
import { Reassembler } from './reassembly.js';
import type { WholeMessage } from './reassembly.js';
import { receiptFields, receiptWanted } from './receipts.js';
import type { FinalState } from './receipts.js';
import type { SimCounters } from './stats.js';

/** A submit_sm as received, with what the simulator answered. */
export interface ReceivedSubmit extends ShortMessagePdu {
  /** Id of the connection it came on. */
  readonly connection: number;
  readonly at: Date;
  /** command_status answered; undefined when it was not answered (fault). */
  readonly status: number | undefined;
  /** The message id given, when accepted. */
  readonly messageId: string | undefined;
}

/** Sends a deliver_sm, preferably on `preferred`; `queue` waits for a receiver when none is bound. */
export type DeliverRoute = (
  preferred: SimConnection | undefined,
  fields: smpp.PduOptions,
  queue: boolean,
) => Promise<EsmeResponse>;

/** Settings of the desk (see SimulatorOptions for defaults). */
export interface DeskSettings {
  readonly receiptDelayMs: number;
  readonly defaultFinalState: FinalState;
  readonly now: () => Date;
}

interface Accepted {
  readonly submit: ReceivedSubmit;
  readonly connection: SimConnection;
  state: FinalState | 'ENROUTE';
}

/** Owns submits, message ids, reassembly, final states and receipts. */
export class SubmitDesk {
  faults: Faults = NO_FAULTS;
  private throttle: ThrottleState = FRESH_THROTTLE;
  readonly submits = new Inbox<ReceivedSubmit>();
  readonly messages = new Inbox<WholeMessage>();
  readonly finalStates = new Map<string, FinalState>();
  private readonly accepted = new Map<string, Accepted>();
  private readonly reassembler = new Reassembler();
  private readonly timers = new Set<NodeJS.Timeout>();
  // Random per instance rather than smsc.pl's start time: several simulators in one test
  // process start in the same second and must still give distinct ids.
  private readonly idPrefix = randomBytes(4).toString('hex');
  private idCounter = 0;

  constructor(
    private readonly settings: DeskSettings,
    private readonly counters: SimCounters,
    private readonly route: DeliverRoute,
  ) {}

  /** Replaces some faults; a new `throttleEvery` restarts its count, a new `throttlePerSecond` clears its window. */
  setFaults(change: Partial<Faults>): Faults {
    this.faults = Object.freeze({ ...this.faults, ...change });
    if (change.throttleEvery !== undefined || change.throttlePerSecond !== undefined)
      this.throttle = FRESH_THROTTLE;
    return this.faults;
  }

  /** Handles one submit_sm (SMPP 3.4 §4.4). */
  handle(connection: SimConnection, request: smpp.PDU): void {
    connection.submits++;
    this.counters.submitsReceived++;
    const pdu = inspectShortMessage(connection.lastFrame);
    const at = this.settings.now();
    // After a drop, submits still in the read buffer reach nobody: record them as unanswered.
    const decision: SubmitDecision = connection.dropping
      ? { status: undefined, delayMs: 0, drop: false }
      : this.decide(connection, at, pdu.destination, pdu.concat?.seq);
    const messageId = decision.status === STATUS.ROK ? this.nextId() : undefined;
    const submit: ReceivedSubmit = {
      ...pdu,
      connection: connection.id,
      at,
      status: decision.status,
      messageId,
    };
    this.count(decision.status);
    this.submits.push(submit);
    this.later(decision.delayMs, () => this.answer(connection, request, submit, decision));
  }

  /** Sends a receipt now for an accepted message; resolves with the ESME's deliver_sm_resp. */
  sendReceipt(messageId: string, state: FinalState, err = '000'): Promise<EsmeResponse> {
    const entry = this.accepted.get(messageId);
    if (!entry)
      return Promise.reject(new Error(`carrier simulator: no accepted message with id ${messageId}`));
    return this.deliverReceipt(entry, state, err, false);
  }

  /** The state of an accepted message (ENROUTE until its final state). */
  stateOf(messageId: string): FinalState | 'ENROUTE' | undefined {
    return this.accepted.get(messageId)?.state;
  }

  /** Cancels pending responses and receipts. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private decide(connection: SimConnection, at: Date, destination: string, part = 0): SubmitDecision {
    if (!connection.canTransmit) return { status: STATUS.RINVBNDSTS, delayMs: 0, drop: false };
    const [decision, next] = decideSubmit(
      this.faults,
      this.throttle,
      connection.submits,
      at.getTime(),
      destination,
      part,
    );
    this.throttle = next;
    return decision;
  }

  /** Corrects the record of a submit whose answer could not be sent. */
  private unanswered(submit: ReceivedSubmit): void {
    if (submit.status === undefined) return;
    if (submit.status === STATUS.ROK) this.counters.submitsAccepted--;
    else this.counters.submitsRefused--;
    this.counters.submitsUnanswered++;
    this.submits.replace(submit, { ...submit, status: undefined, messageId: undefined });
  }

  private count(status: number | undefined): void {
    if (status === undefined) this.counters.submitsUnanswered++;
    else if (status === STATUS.ROK) this.counters.submitsAccepted++;
    else this.counters.submitsRefused++;
  }

  private answer(
    connection: SimConnection,
    request: smpp.PDU,
    submit: ReceivedSubmit,
    decision: SubmitDecision,
  ): void {
    if (connection.dropping || connection.state === 'closed') {
      // The link went down while this answer was delayed: the ESME never gets it.
      this.unanswered(submit);
      return;
    }
    if (decision.status !== undefined) {
      const fields =
        submit.messageId !== undefined
          ? { message_id: submit.messageId }
          : { command_status: decision.status };
      connection.respond(request, fields);
    }
    if (decision.drop) {
      this.counters.drops++;
      connection.drop();
    }
    if (submit.messageId !== undefined) this.accept(connection, submit, submit.messageId);
  }

  private accept(connection: SimConnection, submit: ReceivedSubmit, messageId: string): void {
    const entry: Accepted = { submit, connection, state: 'ENROUTE' };
    this.accepted.set(messageId, entry);
    const whole = this.reassembler.add({ pdu: submit, messageId });
    if (whole) {
      this.counters.messagesCompleted++;
      this.messages.push(whole);
    }
    this.later(this.settings.receiptDelayMs, () => this.finish(entry));
  }

  /** The message takes its final state; a receipt follows if registered_delivery asks for one. */
  private finish(entry: Accepted): void {
    const state = this.finalStates.get(entry.submit.destination) ?? this.settings.defaultFinalState;
    entry.state = state;
    if (!receiptWanted(entry.submit.registeredDelivery, state)) return;
    // An unanswered automatic receipt is the ESME's problem, visible in `pdus`; nothing awaits it here.
    this.deliverReceipt(entry, state, '000', true).catch(() => undefined);
  }

  private deliverReceipt(
    entry: Accepted,
    state: FinalState,
    err: string,
    queue: boolean,
  ): Promise<EsmeResponse> {
    const { submit } = entry;
    const facts = {
      messageId: submit.messageId ?? '',
      state,
      err,
      submitted: submit.at,
      done: this.settings.now(),
      text: submit.text,
    };
    this.counters.receiptsSent++;
    return this.route(entry.connection, receiptFields(submit, facts), queue);
  }

  /** Runs `task` after `delayMs`, or at once for 0 (a receipt then follows its resp on the wire). */
  private later(delayMs: number, task: () => void): void {
    if (delayMs <= 0) return task();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    this.timers.add(timer);
  }

  private nextId(): string {
    this.idCounter = (this.idCounter + 1) >>> 0;
    return this.idPrefix + this.idCounter.toString(16).padStart(8, '0');
  }
}
