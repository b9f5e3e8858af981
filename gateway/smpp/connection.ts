/**
 * One TCP connection to an SMSC: framing, sequence numbers, in-flight requests.
 * A new Connection per attempt; it never reconnects itself (the bind does).
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameReader } from './framing.js';
import { InFlight } from './in-flight.js';
import { decodePdu, encodePdu, type RawPdu } from './smpp-lib.js';
import { SmppError, STATUS } from './status.js';

/** What the connection tells its owner. */
export interface ConnectionEvents {
  /** An SMSC request (deliver_sm, enquire_link, unbind, ...). */
  readonly onRequest: (pdu: RawPdu) => void;
  /** A response nobody waits for (late, after a timeout). */
  readonly onStrayResponse: (pdu: RawPdu) => void;
  /** The stream is corrupt; the connection is already closing. */
  /** `closing`: the stream is out of step and the socket closes; otherwise one PDU was refused. */
  readonly onProtocolError: (reason: string, closing: boolean) => void;
  /** The socket closed (once). Every in-flight request has been rejected. */
  readonly onClose: (reason: string) => void;
}

/** Where and how to connect. */
export interface ConnectionOpenOptions {
  readonly host: string;
  readonly port: number;
  readonly window: number;
  readonly timeoutMs: number;
  /** `tls.connect` options; absent = plain TCP. */
  readonly tls?: tls.ConnectionOptions | undefined;
}

/** SNI and certificate name: the host name (RFC 6066 §3 forbids an IP literal as SNI). */
const sni = (host: string): tls.ConnectionOptions => (net.isIP(host) ? {} : { servername: host });

const RESPONSE_BIT = 0x80000000;
/** SMPP 3.4 §5.1.4: sequence_number runs 0x00000001..0x7FFFFFFF. */
const MAX_SEQUENCE = 0x7fffffff;

export class Connection {
  readonly inFlight: InFlight;
  private readonly reader = new FrameReader();
  private sequence = 0;
  private closed = false;
  private corked = false;
  private closeReason = 'socket closed';

  private constructor(
    private readonly socket: net.Socket,
    window: number,
    private readonly events: ConnectionEvents,
  ) {
    this.inFlight = new InFlight(window);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => (this.closeReason = error.message));
    socket.on('close', () => this.onSocketClose());
  }

  /**
   * Open a socket (Nagle off: a deliver_sm_resp must not wait 20–40 ms for a
   * delayed ACK), over TLS when `options.tls` is given (`ssmpp`).
   */
  static open(options: ConnectionOpenOptions, events: ConnectionEvents): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const { host, port } = options;
      const socket = options.tls
        ? tls.connect({ ...sni(host), ...options.tls, host, port })
        : net.connect({ host, port, noDelay: true });
      socket.setNoDelay(true);
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect timeout ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      socket.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(SmppError.local('CONNECTION_LOST', error.message));
      });
      // A TLS socket is usable only after the handshake (and certificate check).
      socket.once(options.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(new Connection(socket, options.window, events));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Send a request and await its response (rejects on timeout or close). */
  request(
    command: string,
    fields: Record<string, unknown>,
    timeoutMs: number,
    windowSlot: boolean,
  ): Promise<RawPdu> {
    if (this.closed)
      return Promise.reject(SmppError.local('CONNECTION_LOST', `${command} on a closed connection`));
    const sequence = this.nextSequence();
    const response = this.inFlight.track(sequence, timeoutMs, windowSlot);
    this.write(encodePdu(command, fields, sequence));
    return response;
  }

  /**
   * `request` for a PDU encoded already (smpp-lib.ts `encodeSubmitSmParts`): its sequence number
   * is written into its header now. The buffer is the socket's from then on: a second send takes
   * a copy.
   */
  requestEncoded(pdu: Buffer, timeoutMs: number, windowSlot: boolean): Promise<RawPdu> {
    if (this.closed)
      return Promise.reject(SmppError.local('CONNECTION_LOST', 'submit_sm on a closed connection'));
    const sequence = this.nextSequence();
    const response = this.inFlight.track(sequence, timeoutMs, windowSlot);
    pdu.writeUInt32BE(sequence, 12);
    this.write(pdu);
    return response;
  }

  /** Answer an SMSC request with the same sequence number. */
  respond(request: RawPdu, command: string, status: number, fields: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.write(
      encodePdu(command, { ...fields, command_status: status, sequence_number: request.sequence_number }),
    );
  }

  /** Half-close after pending writes (graceful end after unbind_resp). */
  end(): void {
    this.socket.end();
  }

  /** Close now; `reason` is reported through onClose. */
  destroy(reason: string): void {
    this.closeReason = reason;
    this.socket.destroy();
  }

  /**
   * Writes made in one turn of the event loop leave in one syscall: the socket is corked
   * until the current ticks and microtasks are done. A window of submits (or of
   * deliver_sm_resp) then costs one writev(2), not one write each (docs/performance.md);
   * nothing waits longer than this turn.
   */
  private write(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  private nextSequence(): number {
    this.sequence = this.sequence >= MAX_SEQUENCE ? 1 : this.sequence + 1;
    return this.sequence;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const result = this.reader.push(chunk);
    for (const frame of result.frames) {
      if (!this.dispatch(frame)) return;
    }
    if (!result.ok) this.protocolError(result.error, STATUS.invalidCommandLength);
  }

  /** Decode and route one frame; false once the connection is being closed. */
  private dispatch(frame: Buffer): boolean {
    let pdu: RawPdu;
    try {
      pdu = decodePdu(frame);
    } catch (error) {
      this.refuse(frame, `undecodable PDU: ${(error as Error).message}`);
      return !this.closed;
    }
    if ((pdu.command_id & RESPONSE_BIT) !== 0) {
      if (!this.inFlight.settle(pdu)) this.events.onStrayResponse(pdu);
    } else {
      this.events.onRequest(pdu);
    }
    return !this.closed;
  }

  /**
   * SMPP 3.4 §3.3: a whole frame (its command_length was sane) whose body we cannot decode gets
   * generic_nack with its own sequence number, and the bind stays up: the next PDU starts where
   * the length said, so the stream is still in step. A response we cannot decode is not answered;
   * its request times out as if unanswered.
   */
  private refuse(frame: Buffer, reason: string): void {
    this.events.onProtocolError(reason, false);
    const commandId = frame.readUInt32BE(4);
    if ((commandId & RESPONSE_BIT) !== 0) return;
    this.write(
      encodePdu('generic_nack', {
        command_status: STATUS.invalidCommandLength,
        sequence_number: frame.readUInt32BE(12),
      }),
    );
  }

  /**
   * SMPP 3.4 §3.3: a command_length we cannot believe gets generic_nack. After it the byte
   * stream cannot be trusted, so in-flight requests fail now (retryable) and the
   * socket closes once the nack is flushed; the bind then reconnects.
   */
  private protocolError(reason: string, status: number): void {
    this.closeReason = `protocol error: ${reason}`;
    this.markClosed();
    this.events.onProtocolError(reason, true);
    const nack = encodePdu('generic_nack', { command_status: status, sequence_number: 0 });
    this.socket.write(nack, () => this.socket.destroy());
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.inFlight.failAll(SmppError.local('CONNECTION_LOST', this.closeReason));
  }

  private onSocketClose(): void {
    this.markClosed();
    this.events.onClose(this.closeReason);
  }
}
