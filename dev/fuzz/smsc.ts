/**
 * The fuzzer's SMSC side: random deliver_sm to the gateway through the carrier simulator's bind
 * (the simulator answers the gateway's own submit_sm and sends its receipts meanwhile). Well-formed
 * PDUs go `window` at a time; one that may close the bind goes alone, so that nothing else is in
 * flight when it does. Every PDU's answer is matched by its sequence number.
 */
import type { CarrierSimulator } from '../simulator/index.js';
import { PduFactory, withSequence, type FuzzPdu, type PduKind } from './pdus.js';
import type { Random } from './random.js';

/** Our sequence numbers start here, far from the simulator's own (receipts count from 1). */
const FIRST_SEQUENCE = 0x4000_0000;
/** A well-formed PDU not answered within this is unanswered. */
const ANSWER_TIMEOUT_MS = 30_000;
/** An odd or malformed PDU gets this long for a reaction (an answer, or the bind closed). */
const REACTION_MS = 1_000;

const GENERIC_NACK = 0x80000000;

export interface AcceptedPart extends NonNullable<FuzzPdu['part']> {
  readonly tag: string;
}

export interface SmppTally {
  sent: number;
  readonly byKind: Record<PduKind, number>;
  /** `deliver_sm_resp 0x00000000`, `generic_nack 0x00000003`, … */
  readonly answers: Map<string, number>;
  /** Odd/malformed PDUs after which the gateway closed the bind. */
  closedBinds: number;
  /** Odd/malformed PDUs the gateway waited on (the rest of a PDU that never came): we cut the link. */
  waitedOn: number;
  /** Well-formed PDUs never answered. */
  unanswered: number;
  /** Answers to no PDU in flight (answered twice, or a made-up sequence number). */
  strayAnswers: number;
  /** Replies accepted (status 0): tag → the PDU's bytes (for a look at one that went missing). */
  readonly acceptedReplies: Map<string, Buffer>;
  readonly acceptedParts: AcceptedPart[];
  /** Receipts accepted (those with a message id): id → the PDU's bytes. */
  readonly acceptedReceipts: Map<string, Buffer>;
  /** Replies answered with a temporary error (0x64 and the like): the SMSC would send them again. */
  readonly retryLater: Set<string>;
  /** Odd PDUs the gateway accepted. */
  oddAccepted: number;
}

interface InFlight {
  readonly pdu: FuzzPdu;
  readonly at: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

export class SmscFuzzer {
  readonly tally: SmppTally = {
    sent: 0,
    byKind: { reply: 0, part: 0, receipt: 0, odd: 0, malformed: 0 },
    answers: new Map(),
    closedBinds: 0,
    waitedOn: 0,
    unanswered: 0,
    strayAnswers: 0,
    acceptedReplies: new Map(),
    acceptedParts: [],
    acceptedReceipts: new Map(),
    retryLater: new Set(),
    oddAccepted: 0,
  };
  private readonly factory: PduFactory;
  private readonly inFlight = new Map<number, InFlight[]>();
  private inFlightCount = 0;
  private cursor = 0;
  private nextSequence = FIRST_SEQUENCE;

  constructor(
    private readonly sim: CarrierSimulator,
    r: Random,
    known: readonly string[],
    private readonly window = 10,
  ) {
    this.factory = new PduFactory(r, known);
    this.cursor = sim.pdus.length;
  }

  /** Sends `count` PDUs (a multipart reply's parts count one each). */
  async run(count: number, stop: () => boolean = () => false): Promise<void> {
    while (this.tally.sent < count && !stop()) {
      for (const pdu of this.factory.next()) {
        if (this.tally.sent >= count) break;
        if (pdu.kind === 'odd' || pdu.kind === 'malformed') await this.alone(pdu);
        else await this.send(pdu);
      }
    }
    await this.settle();
  }

  /** Waits until every PDU in flight is answered or timed out. */
  async settle(): Promise<void> {
    while (this.inFlightCount > 0) {
      this.pump();
      this.expire();
      if (this.inFlightCount > 0) await sleep(2);
    }
  }

  private sequenceFor(pdu: FuzzPdu): number {
    // A repeated sequence number only when no PDU in flight has it: each answer stays matched.
    if (pdu.sequence !== undefined && !this.inFlight.has(pdu.sequence)) return pdu.sequence;
    const seq = this.nextSequence;
    this.nextSequence = this.nextSequence >= 0x7fff_fff0 ? FIRST_SEQUENCE : this.nextSequence + 1;
    return seq;
  }

  private async send(pdu: FuzzPdu): Promise<void> {
    while (this.inFlightCount >= this.window) {
      this.pump();
      this.expire();
      if (this.inFlightCount >= this.window) await sleep(1);
    }
    const seq = this.sequenceFor(pdu);
    await this.write(withSequence(pdu.bytes, seq));
    this.tally.sent++;
    this.tally.byKind[pdu.kind]++;
    this.factory.usedSequence(seq);
    const list = this.inFlight.get(seq) ?? [];
    list.push({ pdu, at: Date.now() });
    this.inFlight.set(seq, list);
    this.inFlightCount++;
  }

  /** Writes to the bound gateway, waiting for it to bind (again) first. */
  private async write(bytes: Buffer): Promise<void> {
    for (;;) {
      await this.sim.waitForBind(1, 60_000);
      try {
        await this.sim.injectRaw(bytes);
        return;
      } catch {
        await sleep(10);
      }
    }
  }

  /** An odd or malformed PDU with nothing else in flight: answered, nacked, bind closed, or waited on. */
  private async alone(pdu: FuzzPdu): Promise<void> {
    await this.settle();
    const seq = this.sequenceFor(pdu);
    await this.sim.waitForBind(1, 60_000);
    const connections = this.sim.stats().connections;
    const from = this.sim.pdus.length;
    await this.write(withSequence(pdu.bytes, seq));
    this.tally.sent++;
    this.tally.byKind[pdu.kind]++;
    const deadline = Date.now() + REACTION_MS;
    let reaction: 'answered' | 'closed' | 'waited' = 'waited';
    let counted = false;
    while (Date.now() < deadline) {
      const answer = this.sim.pdus
        .slice(from)
        .find(
          (p) =>
            (p.command === 'deliver_sm_resp' || p.command === 'generic_nack') &&
            (p.sequence === seq || p.commandId === GENERIC_NACK),
        );
      const stats = this.sim.stats();
      if (answer && !counted) {
        counted = true;
        this.count(answer.command, answer.status);
        if (answer.command === 'deliver_sm_resp' && answer.status === 0 && pdu.kind === 'odd')
          this.tally.oddAccepted++;
        reaction = 'answered';
      }
      if (stats.bound === 0 || stats.connections !== connections) {
        reaction = 'closed';
        break;
      }
      // An answer to this very PDU on a bind that stays: done. A nack may still be followed by a close.
      if (answer?.sequence === seq) break;
      await sleep(5);
    }
    this.cursor = Math.max(this.cursor, this.sim.pdus.length);
    if (reaction === 'closed') this.tally.closedBinds++;
    if (reaction === 'waited') {
      this.tally.waitedOn++;
      // The gateway rightly waits for the rest of a PDU that will never come: start afresh.
      if (this.sim.stats().open > 0) await this.sim.drop();
    }
    if (reaction !== 'answered' || this.sim.stats().bound === 0) await this.sim.waitForBind(1, 60_000);
  }

  private count(command: string, status: number): void {
    const key = `${command} ${hex(status)}`;
    this.tally.answers.set(key, (this.tally.answers.get(key) ?? 0) + 1);
  }

  /** Matches the answers received since the last look to the PDUs in flight. */
  private pump(): void {
    const pdus = this.sim.pdus;
    for (; this.cursor < pdus.length; this.cursor++) {
      const p = pdus[this.cursor];
      if (!p || (p.command !== 'deliver_sm_resp' && p.command !== 'generic_nack')) continue;
      if (p.sequence < FIRST_SEQUENCE && !this.inFlight.has(p.sequence)) continue;
      const list = this.inFlight.get(p.sequence);
      const entry = list?.shift();
      if (!list || !entry) {
        this.tally.strayAnswers++;
        continue;
      }
      if (list.length === 0) this.inFlight.delete(p.sequence);
      this.inFlightCount--;
      this.count(p.command, p.status);
      this.answered(entry.pdu, p.command === 'deliver_sm_resp' ? p.status : -1);
    }
  }

  private answered(pdu: FuzzPdu, status: number): void {
    if (status !== 0) {
      if (pdu.kind === 'reply' && pdu.tag !== undefined && status > 0) this.tally.retryLater.add(pdu.tag);
      return;
    }
    if (pdu.kind === 'reply' && pdu.tag !== undefined) this.tally.acceptedReplies.set(pdu.tag, pdu.bytes);
    if (pdu.kind === 'part' && pdu.tag !== undefined && pdu.part)
      this.tally.acceptedParts.push({ tag: pdu.tag, ...pdu.part });
    if (pdu.kind === 'receipt' && pdu.tag !== undefined) this.tally.acceptedReceipts.set(pdu.tag, pdu.bytes);
  }

  /** PDUs in flight past the answer timeout are unanswered. */
  private expire(): void {
    const now = Date.now();
    for (const [seq, list] of this.inFlight) {
      while (list.length > 0 && now - (list[0] as InFlight).at > ANSWER_TIMEOUT_MS) {
        list.shift();
        this.inFlightCount--;
        this.tally.unanswered++;
      }
      if (list.length === 0) this.inFlight.delete(seq);
    }
  }
}
