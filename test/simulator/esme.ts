/**
 * A real ESME for the simulator's tests: the `smpp` package's client, promisified, keeping the
 * raw bytes of every deliver_sm so tests read UDH and text without the library's lossy decoder.
 */
import smpp from 'smpp';
import { captureFrames } from '../../dev/simulator/connection.js';
import { Inbox } from '../../dev/simulator/inbox.js';
import type { Filter } from '../../dev/simulator/inbox.js';
import { inspectShortMessage } from '../../dev/simulator/inspect.js';
import type { ShortMessagePdu } from '../../dev/simulator/inspect.js';
import type { CarrierSimulator } from '../../dev/simulator/server.js';

/** A deliver_sm as the ESME received it. */
export interface Delivered extends ShortMessagePdu {
  readonly pdu: smpp.PDU;
  readonly raw: Buffer;
}

const WAIT_MS = 3000;

export class TestEsme {
  readonly delivered = new Inbox<Delivered>();
  readonly closed: Promise<void>;
  /** command_status this ESME answers each deliver_sm with; default ESME_ROK. */
  deliverStatus: (d: Delivered) => number = () => 0;
  /** When false, deliver_sm are recorded but not answered. */
  answerDeliveries = true;
  private frame: Buffer = Buffer.alloc(0);

  private constructor(readonly session: smpp.Session) {
    captureFrames(session.socket, (frame) => (this.frame = frame));
    session.on('error', () => undefined);
    session.on('deliver_sm', (pdu) => this.onDeliver(pdu));
    // As an ESME must (SMPP 3.4 §4.3): an unknown command gets generic_nack ESME_RINVCMDID.
    session.on('unknown', (pdu) => session.send(pdu.response()));
    this.closed = new Promise((resolve) => session.on('close', () => resolve()));
  }

  /** Connects to the simulator. */
  static connect(sim: CarrierSimulator): Promise<TestEsme> {
    return new Promise((resolve, reject) => {
      const session = smpp.connect({ host: sim.host, port: sim.port }, () => resolve(new TestEsme(session)));
      session.once('error', reject);
    });
  }

  /** Connects and binds as a transceiver with the simulator's default credentials. */
  static async bound(sim: CarrierSimulator, command = 'bind_transceiver'): Promise<TestEsme> {
    const esme = await TestEsme.connect(sim);
    const resp = await esme.request(command, { system_id: 'gw', password: 'secret' });
    if (resp.command_status !== 0) throw new Error(`bind refused: ${resp.command_status}`);
    return esme;
  }

  /** Sends a request and resolves with its response. */
  request(command: string, fields: smpp.PduOptions = {}): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no response to ${command} within ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      this.session.send(new smpp.PDU(command, fields), (resp) => {
        clearTimeout(timer);
        resolve(resp);
      });
    });
  }

  /** The next deliver_sm accepted by `filter`. */
  nextDeliver(filter: Filter<Delivered> = () => true): Promise<Delivered> {
    return this.delivered.next(filter, WAIT_MS, 'a deliver_sm at the ESME');
  }

  /** Resolves with the first PDU of `command` received from now on. */
  nextCommand(command: smpp.CommandName): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${command} within ${WAIT_MS} ms`)), WAIT_MS);
      this.session.once(command, (pdu: smpp.PDU) => {
        clearTimeout(timer);
        resolve(pdu);
      });
    });
  }

  close(): void {
    this.session.destroy();
  }

  private onDeliver(pdu: smpp.PDU): void {
    const raw = this.frame;
    const delivered: Delivered = { ...inspectShortMessage(raw), pdu, raw };
    this.delivered.push(delivered);
    if (this.answerDeliveries)
      this.session.send(pdu.response({ command_status: this.deliverStatus(delivered) }));
  }
}
