/**
 * One ESME connection to the simulator: the `smpp` Session, its bind state, the raw bytes of
 * every PDU it sends, and the ways to answer it, send it requests, or cut it off.
 */
import type { Socket } from 'node:net';
import smpp from 'smpp';

/** SMPP 3.4 §2.2: what a bind allows. */
export type BindMode = 'transceiver' | 'transmitter' | 'receiver';
/** Connection states: open (not bound), bound in one mode, or closed. */
export type ConnectionState = 'open' | BindMode | 'closed';

/** A response the ESME sent to one of our requests. */
export interface EsmeResponse {
  readonly command: string;
  readonly status: number;
  readonly sequence: number;
}

interface PendingRequest {
  readonly reject: (error: Error) => void;
}

/**
 * The library reads each PDU from the socket as `read(4)` (command_length) then
 * `read(length - 4)` and emits it synchronously, so pairing those reads gives the exact
 * bytes of the PDU being emitted. Its own decoding of short_message is lossy (inspect.ts).
 */
export function captureFrames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  const read = socket.read.bind(socket);
  let header: Buffer | undefined;
  socket.read = (size?: number): unknown => {
    const chunk: unknown = read(size);
    if (!Buffer.isBuffer(chunk)) return chunk;
    if (header === undefined) {
      header = chunk;
    } else {
      onFrame(Buffer.concat([header, chunk]));
      header = undefined;
    }
    return chunk;
  };
}

/** An accepted ESME connection. */
export class SimConnection {
  private stateValue: ConnectionState = 'open';
  private frame: Buffer = Buffer.alloc(0);
  private readonly pending = new Set<PendingRequest>();
  /** submit_sm received on this connection (drop-after counts these). */
  submits = 0;
  /** system_id the ESME bound with. */
  systemId = '';

  constructor(
    readonly id: number,
    readonly session: smpp.Session,
    private readonly onStateChange: (connection: SimConnection, from: ConnectionState) => void,
  ) {
    // Without it, responses wait for the ESME's delayed ACK (Nagle): tens of ms per PDU.
    session.socket.setNoDelay(true);
    captureFrames(session.socket, (frame) => (this.frame = frame));
    session.on('error', () => session.destroy());
    session.on('close', () => this.closed());
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** One place for state changes, so waits (`waitForBind`) are re-checked on each. */
  setState(next: ConnectionState): void {
    const from = this.stateValue;
    if (from === next || from === 'closed') return;
    this.stateValue = next;
    this.onStateChange(this, from);
  }

  /** The raw bytes of the PDU being handled (valid during the `pdu` event). */
  get lastFrame(): Buffer {
    return this.frame;
  }

  get bound(): boolean {
    return this.stateValue !== 'open' && this.stateValue !== 'closed';
  }

  /** Bound as receiver or transceiver: may be sent deliver_sm (SMPP 3.4 §2.2). */
  get canReceive(): boolean {
    return this.stateValue === 'receiver' || this.stateValue === 'transceiver';
  }

  /** Bound as transmitter or transceiver: may submit. */
  get canTransmit(): boolean {
    return this.stateValue === 'transmitter' || this.stateValue === 'transceiver';
  }

  /** Answers `request`; a non-zero command_status makes a header-only response (SMPP 3.4 §4.4.2). */
  respond(request: smpp.PDU, fields: smpp.PduOptions = {}): void {
    this.session.send(request.response(fields));
  }

  /** generic_nack with `status` for the request's sequence number (SMPP 3.4 §4.3). */
  nack(request: smpp.PDU, status: number): void {
    this.session.send(
      new smpp.PDU('generic_nack', { sequence_number: request.sequence_number, command_status: status }),
    );
  }

  /** Sends a request and resolves with the ESME's response (or generic_nack). */
  request(command: string, fields: smpp.PduOptions, timeoutMs: number): Promise<EsmeResponse> {
    return new Promise<EsmeResponse>((resolve, reject) => {
      const pdu = new smpp.PDU(command, { ...fields });
      const entry: PendingRequest = { reject };
      const timer = setTimeout(() => {
        this.pending.delete(entry);
        reject(
          new Error(
            `carrier simulator: ESME did not answer ${command} seq ${pdu.sequence_number} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.pending.add(entry);
      const sent = this.session.send(pdu, (resp) => {
        clearTimeout(timer);
        this.pending.delete(entry);
        resolve({ command: resp.command, status: resp.command_status, sequence: resp.sequence_number });
      });
      if (!sent) {
        clearTimeout(timer);
        this.pending.delete(entry);
        reject(new Error(`carrier simulator: connection ${this.id} is not writable`));
      }
    });
  }

  /** Writes arbitrary bytes (fuzzing the ESME); resolves once written. */
  writeRaw(bytes: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.session.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** True once `drop()` was called: nothing more is answered on this connection. */
  dropping = false;

  /**
   * Cuts the connection, as a failing carrier link does: nothing more is read or answered, and
   * requests in flight stay unanswered. Answers already written are delivered first (FIN, then
   * the socket is destroyed): a TCP reset would make the peer's kernel drop them while the
   * simulator's records say they were sent. The independent Perl SMSC (`drop` op) covers resets.
   */
  drop(): void {
    this.dropping = true;
    const socket = this.session.socket;
    socket.pause();
    socket.end(() => socket.destroy());
    // A peer that never reads must not keep the socket half-open.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** Ends the connection gracefully (FIN) once queued writes are out. */
  end(): void {
    this.session.close();
  }

  private closed(): void {
    for (const entry of this.pending)
      entry.reject(new Error(`carrier simulator: connection ${this.id} closed`));
    this.pending.clear();
    this.setState('closed');
  }
}
