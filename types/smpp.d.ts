/**
 * Type declarations for the parts of `smpp` 0.5.1 (pinned) that this project uses.
 * The package ships none and there is no `@types/smpp`. Written from
 * node_modules/smpp/lib/{smpp,pdu,defs}.js; keep in step when the pin moves.
 *
 * Use the package's default import (the module object): it is CommonJS and assigns its error
 * and const exports in a loop, which Node's ESM named-export detection does not see, so a
 * named import of `ESME_ROK` type-checks but is undefined at run time.
 * Only gateway/smpp/ (the adapter), dev/simulator/ (an SMSC) and the test peers import it.
 *
 * Caveats of the library, reflected in the types as `unknown` where they bite:
 * - A received PDU's `short_message` (and `message_payload`) is decoded by the library into
 *   `{ udh, message }` with a lossy text decoder; read raw bytes instead (see `PDU._filter`).
 * - On sending, a string `short_message` goes through the library's encoder (unknown characters
 *   become spaces). Pass a Buffer and set `data_coding` and `esm_class` yourself.
 * Longer than 300 lines: the whole surface of the package the project uses, declared in one place.
 */
declare module 'smpp' {
  import { EventEmitter } from 'node:events';
  import * as net from 'node:net';
  import type { Readable } from 'node:stream';

  namespace smpp {
    /** Every command name in `defs.commands` (SMPP 3.4 §4 plus 5.0 broadcast commands). */
    type CommandName =
      | 'alert_notification'
      | 'bind_receiver'
      | 'bind_receiver_resp'
      | 'bind_transmitter'
      | 'bind_transmitter_resp'
      | 'bind_transceiver'
      | 'bind_transceiver_resp'
      | 'broadcast_sm'
      | 'broadcast_sm_resp'
      | 'cancel_broadcast_sm'
      | 'cancel_broadcast_sm_resp'
      | 'cancel_sm'
      | 'cancel_sm_resp'
      | 'data_sm'
      | 'data_sm_resp'
      | 'deliver_sm'
      | 'deliver_sm_resp'
      | 'enquire_link'
      | 'enquire_link_resp'
      | 'generic_nack'
      | 'outbind'
      | 'query_broadcast_sm'
      | 'query_broadcast_sm_resp'
      | 'query_sm'
      | 'query_sm_resp'
      | 'replace_sm'
      | 'replace_sm_resp'
      | 'submit_multi'
      | 'submit_multi_resp'
      | 'submit_sm'
      | 'submit_sm_resp'
      | 'unbind'
      | 'unbind_resp';

    /** Every error name in `defs.errors` (SMPP 3.4 §5.1.3). */
    type ErrorName =
      | 'ESME_ROK'
      | 'ESME_RINVMSGLEN'
      | 'ESME_RINVCMDLEN'
      | 'ESME_RINVCMDID'
      | 'ESME_RINVBNDSTS'
      | 'ESME_RALYBND'
      | 'ESME_RINVPRTFLG'
      | 'ESME_RINVREGDLVFLG'
      | 'ESME_RSYSERR'
      | 'ESME_RINVSRCADR'
      | 'ESME_RINVDSTADR'
      | 'ESME_RINVMSGID'
      | 'ESME_RBINDFAIL'
      | 'ESME_RINVPASWD'
      | 'ESME_RINVSYSID'
      | 'ESME_RCANCELFAIL'
      | 'ESME_RREPLACEFAIL'
      | 'ESME_RMSGQFUL'
      | 'ESME_RINVSERTYP'
      | 'ESME_RINVNUMDESTS'
      | 'ESME_RINVDLNAME'
      | 'ESME_RINVDESTFLAG'
      | 'ESME_RINVSUBREP'
      | 'ESME_RINVESMCLASS'
      | 'ESME_RCNTSUBDL'
      | 'ESME_RSUBMITFAIL'
      | 'ESME_RINVSRCTON'
      | 'ESME_RINVSRCNPI'
      | 'ESME_RINVDSTTON'
      | 'ESME_RINVDSTNPI'
      | 'ESME_RINVSYSTYP'
      | 'ESME_RINVREPFLAG'
      | 'ESME_RINVNUMMSGS'
      | 'ESME_RTHROTTLED'
      | 'ESME_RINVSCHED'
      | 'ESME_RINVEXPIRY'
      | 'ESME_RINVDFTMSGID'
      | 'ESME_RX_T_APPN'
      | 'ESME_RX_P_APPN'
      | 'ESME_RX_R_APPN'
      | 'ESME_RQUERYFAIL'
      | 'ESME_RINVTLVSTREAM'
      | 'ESME_RTLVNOTALLWD'
      | 'ESME_RINVTLVLEN'
      | 'ESME_RMISSINGTLV'
      | 'ESME_RINVTLVVAL'
      | 'ESME_RDELIVERYFAILURE'
      | 'ESME_RUNKNOWNERR'
      | 'ESME_RSERTYPUNAUTH'
      | 'ESME_RPROHIBITED'
      | 'ESME_RSERTYPUNAVAIL'
      | 'ESME_RSERTYPDENIED'
      | 'ESME_RINVDCS'
      | 'ESME_RINVSRCADDRSUBUNIT'
      | 'ESME_RINVDSTADDRSUBUNIT'
      | 'ESME_RINVBCASTFREQINT'
      | 'ESME_RINVBCASTALIAS_NAME'
      | 'ESME_RINVBCASTAREAFMT'
      | 'ESME_RINVNUMBCAST_AREAS'
      | 'ESME_RINVBCASTCNTTYPE'
      | 'ESME_RINVBCASTMSGCLASS'
      | 'ESME_RBCASTFAIL'
      | 'ESME_RBCASTQUERYFAIL'
      | 'ESME_RBCASTCANCELFAIL'
      | 'ESME_RINVBCAST_REP'
      | 'ESME_RINVBCASTSRVGRP'
      | 'ESME_RINVBCASTCHANIND';

    /**
     * Fields given to a PDU: mandatory parameters by name (missing ones take their default)
     * and TLVs by their `defs.tlvs` name. Unknown names are ignored by the encoder.
     */
    type PduOptions = Record<string, unknown> & {
      command_status?: number;
      sequence_number?: number;
    };

    type ResponseCallback = (response: PDU) => void;
    type SendCallback = (pdu: PDU) => void;

    /**
     * A command shortcut such as `session.submit_sm(options, onResponse, onSent)`: builds
     * `new PDU(command, options)` and calls `send`. Returns false when the socket is not writable.
     */
    type Shortcut = (
      options?: PduOptions | ResponseCallback,
      responseCallback?: ResponseCallback | SendCallback,
      sendCallback?: SendCallback,
    ) => boolean;

    /** One SMPP PDU. Fields of the command are own properties, named as in SMPP 3.4. */
    class PDU {
      /** Build a PDU to send; `options` are its fields and TLVs. */
      constructor(command: string, options?: PduOptions);
      /** Parse a whole PDU (header included) from a buffer. Throws on a buffer shorter than 16. */
      constructor(buffer: Buffer);
      /** The command name, or `'unknown'` for an unknown command_id (its body is then not parsed). */
      command: string;
      command_length: number;
      command_id: number;
      command_status: number;
      sequence_number: number;
      /** Any other field or TLV; unknown TLVs are kept as Buffers under their numeric tag. */
      [field: string]: unknown;

      /** Largest command_length accepted (16384); a larger one makes the session emit `error`. */
      static maxLength: number;
      /** Reads a 4-octet command_length from a stream, or false when not yet available. */
      static commandLength(stream: Readable): number | false;
      /** Reads the rest of a PDU from a stream, or false when not yet available. */
      static fromStream(stream: Readable, commandLength: number): PDU | false;
      /** Parses a PDU, or false when the buffer is shorter than its command_length or 16. */
      static fromBuffer(buffer: Buffer): PDU | false;

      /** Parses `buffer` into this object; then runs the decode filters (see `_filter`). */
      fromBuffer(buffer: Buffer): void;
      /** Encodes the PDU. A non-zero command_status encodes a header-only PDU (SMPP 3.4 §4.1). */
      toBuffer(): Buffer;
      /** True for a response (command_id bit 31 set). */
      isResponse(): boolean;
      /** The response to this request, same sequence_number; `generic_nack` for an unknown command. */
      response(options?: PduOptions): PDU;
      /**
       * Runs the field filters (text decoding, times). Replace it with a no-op on an instance made
       * by `Object.create(PDU.prototype)` before `fromBuffer` to read raw `short_message` bytes.
       */
      _filter(direction: 'encode' | 'decode'): void;
    }

    interface SessionOptions {
      host?: string;
      port?: number;
      /** Use TLS (port 3550 by default). */
      tls?: boolean;
      /** Wrap an already-connected socket (what the server does). */
      socket?: net.Socket;
      /** Send `enquire_link` every N ms once connected. */
      auto_enquire_link_period?: number;
      url?: string;
      [option: string]: unknown;
    }

    /** One SMPP connection: frames PDUs from the socket and emits them. */
    class Session extends EventEmitter {
      constructor(options: SessionOptions);
      options: SessionOptions;
      socket: net.Socket;
      /** Last sequence_number used; the next request gets `++sequence`. */
      sequence: number;
      paused: boolean;
      /** Set on sessions accepted by a server. */
      server?: Server;

      /** (Re)connects a client session with its options. */
      connect(): void;
      /**
       * Sends a PDU. A request without a sequence_number gets the next one; `responseCallback`
       * is called with the PDU whose sequence_number matches (including `generic_nack`).
       * Returns false (and sends nothing) when the socket is not writable.
       */
      send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: SendCallback): boolean;
      /** Stops emitting PDUs until `resume`. */
      pause(): void;
      resume(): void;
      /** Ends the socket gracefully (FIN). */
      close(callback?: () => void): void;
      /** Destroys the socket at once. */
      destroy(callback?: () => void): void;

      on(event: 'pdu' | CommandName | 'unknown', listener: (pdu: PDU) => void): this;
      on(event: 'send', listener: (pdu: PDU) => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
      on(event: 'close' | 'connect' | 'secureConnect', listener: () => void): this;
      once(event: 'pdu' | CommandName | 'unknown', listener: (pdu: PDU) => void): this;
      once(event: 'error', listener: (error: Error) => void): this;
      once(event: 'close' | 'connect' | 'secureConnect', listener: () => void): this;

      alert_notification: Shortcut;
      bind_receiver: Shortcut;
      bind_receiver_resp: Shortcut;
      bind_transmitter: Shortcut;
      bind_transmitter_resp: Shortcut;
      bind_transceiver: Shortcut;
      bind_transceiver_resp: Shortcut;
      broadcast_sm: Shortcut;
      broadcast_sm_resp: Shortcut;
      cancel_broadcast_sm: Shortcut;
      cancel_broadcast_sm_resp: Shortcut;
      cancel_sm: Shortcut;
      cancel_sm_resp: Shortcut;
      data_sm: Shortcut;
      data_sm_resp: Shortcut;
      deliver_sm: Shortcut;
      deliver_sm_resp: Shortcut;
      enquire_link: Shortcut;
      enquire_link_resp: Shortcut;
      generic_nack: Shortcut;
      outbind: Shortcut;
      query_broadcast_sm: Shortcut;
      query_broadcast_sm_resp: Shortcut;
      query_sm: Shortcut;
      query_sm_resp: Shortcut;
      replace_sm: Shortcut;
      replace_sm_resp: Shortcut;
      submit_multi: Shortcut;
      submit_multi_resp: Shortcut;
      submit_sm: Shortcut;
      submit_sm_resp: Shortcut;
      unbind: Shortcut;
      unbind_resp: Shortcut;
    }

    /** A `net.Server` that wraps every accepted socket in a Session and emits `session`. */
    class Server extends net.Server {
      /** Sessions whose socket is still open. */
      sessions: Session[];
      on(event: 'session', listener: (session: Session) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    class SecureServer extends Server {}

    /** Creates a server (TLS when `key` and `cert` are given); `listen()` defaults to port 2775. */
    function createServer(
      options?: net.ServerOpts | ((session: Session) => void),
      listener?: (session: Session) => void,
    ): Server;
    /** Connects a client session: `connect({ host, port })`, `connect('smpp://host:port')`. */
    function connect(options: SessionOptions | string, listener?: () => void): Session;
    const createSession: typeof connect;
    /** Registers a vendor command so it is parsed and gets a Session shortcut. */
    function addCommand(command: string, options: { id: number; params?: Record<string, unknown> }): void;
    /** Registers a vendor TLV by name. */
    function addTLV(tag: string, options: { id: number; type: unknown; multiple?: boolean }): void;

    /** Error codes by name (SMPP 3.4 §5.1.3), also exported one by one below. */
    const errors: Readonly<Record<ErrorName, number>>;
    /** A field codec from `defs.types` (mandatory parameters) or `defs.types.tlv`. */
    interface FieldType {
      read(buffer: Buffer, offset: number, length?: number): unknown;
      write(value: unknown, buffer: Buffer, offset: number): void;
      size(value: unknown): number;
      readonly default: unknown;
    }
    /** One row of `defs.commands`: mandatory parameters in wire order. */
    interface CommandDef {
      readonly id: number;
      readonly command: string;
      readonly params?: Readonly<Record<string, { readonly type: FieldType; readonly default?: unknown }>>;
      readonly tlvMap?: Readonly<Record<string, string>>;
    }
    /** One row of `defs.tlvs`. */
    interface TlvDef {
      readonly id: number;
      readonly tag: string;
      readonly type: FieldType;
      readonly multiple?: boolean;
    }
    /** Command definitions by name. */
    const commands: Readonly<Record<string, CommandDef | undefined>>;
    const commandsById: Readonly<Record<number, CommandDef | undefined>>;
    /** TLV definitions by name. */
    const tlvs: Readonly<Record<string, TlvDef | undefined>>;
    const tlvsById: Readonly<Record<number, TlvDef | undefined>>;
    /** Field codecs: `types.cstring.size(value)`; `types.tlv` holds the TLV codecs. */
    const types: Readonly<Record<string, FieldType>>;
    const encodings: unknown;
    const filters: unknown;
    const gsmCoder: unknown;

    const REGISTERED_DELIVERY: Readonly<
      Record<
        | 'FINAL'
        | 'FAILURE'
        | 'SUCCESS'
        | 'DELIVERY_ACKNOWLEDGEMENT'
        | 'USER_ACKNOWLEDGEMENT'
        | 'INTERMEDIATE',
        number
      >
    >;
    const ESM_CLASS: Readonly<
      Record<
        | 'DATAGRAM'
        | 'FORWARD'
        | 'STORE_FORWARD'
        | 'MC_DELIVERY_RECEIPT'
        | 'DELIVERY_ACKNOWLEDGEMENT'
        | 'USER_ACKNOWLEDGEMENT'
        | 'CONVERSATION_ABORT'
        | 'INTERMEDIATE_DELIVERY'
        | 'UDH_INDICATOR'
        | 'KANNEL_UDH_INDICATOR'
        | 'SET_REPLY_PATH',
        number
      >
    >;
    const MESSAGE_STATE: Readonly<
      Record<
        | 'SCHEDULED'
        | 'ENROUTE'
        | 'DELIVERED'
        | 'EXPIRED'
        | 'DELETED'
        | 'UNDELIVERABLE'
        | 'ACCEPTED'
        | 'UNKNOWN'
        | 'REJECTED'
        | 'SKIPPED',
        number
      >
    >;
    const TON: Readonly<
      Record<
        | 'UNKNOWN'
        | 'INTERNATIONAL'
        | 'NATIONAL'
        | 'NETWORK_SPECIFIC'
        | 'SUBSCRIBER_NUMBER'
        | 'ALPHANUMERIC'
        | 'ABBREVIATED',
        number
      >
    >;
    const NPI: Readonly<Record<string, number>>;
    const ENCODING: Readonly<Record<string, number>>;
    const NETWORK: Readonly<Record<string, number>>;
    const BROADCAST_AREA_FORMAT: Readonly<Record<string, number>>;
    const BROADCAST_FREQUENCY_INTERVAL: Readonly<Record<string, number>>;
    /** All the const tables above in one object. */
    const consts: Readonly<{
      REGISTERED_DELIVERY: typeof REGISTERED_DELIVERY;
      ESM_CLASS: typeof ESM_CLASS;
      MESSAGE_STATE: typeof MESSAGE_STATE;
      TON: typeof TON;
      NPI: typeof NPI;
      ENCODING: typeof ENCODING;
      NETWORK: typeof NETWORK;
      BROADCAST_AREA_FORMAT: typeof BROADCAST_AREA_FORMAT;
      BROADCAST_FREQUENCY_INTERVAL: typeof BROADCAST_FREQUENCY_INTERVAL;
    }>;

    const ESME_ROK: 0x0000;
    const ESME_RINVMSGLEN: 0x0001;
    const ESME_RINVCMDLEN: 0x0002;
    const ESME_RINVCMDID: 0x0003;
    const ESME_RINVBNDSTS: 0x0004;
    const ESME_RALYBND: 0x0005;
    const ESME_RINVPRTFLG: 0x0006;
    const ESME_RINVREGDLVFLG: 0x0007;
    const ESME_RSYSERR: 0x0008;
    const ESME_RINVSRCADR: 0x000a;
    const ESME_RINVDSTADR: 0x000b;
    const ESME_RINVMSGID: 0x000c;
    const ESME_RBINDFAIL: 0x000d;
    const ESME_RINVPASWD: 0x000e;
    const ESME_RINVSYSID: 0x000f;
    const ESME_RCANCELFAIL: 0x0011;
    const ESME_RREPLACEFAIL: 0x0013;
    const ESME_RMSGQFUL: 0x0014;
    const ESME_RINVSERTYP: 0x0015;
    const ESME_RINVNUMDESTS: 0x0033;
    const ESME_RINVDLNAME: 0x0034;
    const ESME_RINVDESTFLAG: 0x0040;
    const ESME_RINVSUBREP: 0x0042;
    const ESME_RINVESMCLASS: 0x0043;
    const ESME_RCNTSUBDL: 0x0044;
    const ESME_RSUBMITFAIL: 0x0045;
    const ESME_RINVSRCTON: 0x0048;
    const ESME_RINVSRCNPI: 0x0049;
    const ESME_RINVDSTTON: 0x0050;
    const ESME_RINVDSTNPI: 0x0051;
    const ESME_RINVSYSTYP: 0x0053;
    const ESME_RINVREPFLAG: 0x0054;
    const ESME_RINVNUMMSGS: 0x0055;
    const ESME_RTHROTTLED: 0x0058;
    const ESME_RINVSCHED: 0x0061;
    const ESME_RINVEXPIRY: 0x0062;
    const ESME_RINVDFTMSGID: 0x0063;
    const ESME_RX_T_APPN: 0x0064;
    const ESME_RX_P_APPN: 0x0065;
    const ESME_RX_R_APPN: 0x0066;
    const ESME_RQUERYFAIL: 0x0067;
    const ESME_RINVTLVSTREAM: 0x00c0;
    const ESME_RTLVNOTALLWD: 0x00c1;
    const ESME_RINVTLVLEN: 0x00c2;
    const ESME_RMISSINGTLV: 0x00c3;
    const ESME_RINVTLVVAL: 0x00c4;
    const ESME_RDELIVERYFAILURE: 0x00fe;
    const ESME_RUNKNOWNERR: 0x00ff;
    const ESME_RSERTYPUNAUTH: 0x0100;
    const ESME_RPROHIBITED: 0x0101;
    const ESME_RSERTYPUNAVAIL: 0x0102;
    const ESME_RSERTYPDENIED: 0x0103;
    const ESME_RINVDCS: 0x0104;
    const ESME_RINVSRCADDRSUBUNIT: 0x0105;
    const ESME_RINVDSTADDRSUBUNIT: 0x0106;
    const ESME_RINVBCASTFREQINT: 0x0107;
    const ESME_RINVBCASTALIAS_NAME: 0x0108;
    const ESME_RINVBCASTAREAFMT: 0x0109;
    const ESME_RINVNUMBCAST_AREAS: 0x010a;
    const ESME_RINVBCASTCNTTYPE: 0x010b;
    const ESME_RINVBCASTMSGCLASS: 0x010c;
    const ESME_RBCASTFAIL: 0x010d;
    const ESME_RBCASTQUERYFAIL: 0x010e;
    const ESME_RBCASTCANCELFAIL: 0x010f;
    const ESME_RINVBCAST_REP: 0x0110;
    const ESME_RINVBCASTSRVGRP: 0x0111;
    const ESME_RINVBCASTCHANIND: 0x0112;
  }

  export = smpp;
}
