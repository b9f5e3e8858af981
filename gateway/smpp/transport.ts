/**
 * The port: the only SMS transport the rest of the gateway sees. Nothing
 * outside `gateway/smpp/` imports `smpp`; it imports these types.
 */
import type { ReceiptStat } from '../../parsers/receipt.js';

/** SMPP bind lifecycle (see bind.ts for the transitions). */
export type BindState = 'disconnected' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'closed';

/** One SMS to send. */
export interface OutboundSms {
  /** Destination MSISDN, canonical 11 digits (`77011234567`). */
  readonly to: string;
  /** The whole text; split into parts here. */
  readonly text: string;
  /** The caller's id for logs and receipts matching; not sent on the wire. */
  readonly reference?: string;
  /**
   * Finish a long message a dropped link interrupted: send only the parts not yet accepted,
   * with the same concatenation reference, so the phone joins them with the parts it has
   * and no part reaches the citizen twice. From a failed submit's `SmppError.resume`.
   */
  readonly resume?: SubmitResume;
  /**
   * The carrier the gateway learned serves this number (a reply came through it, or another
   * carrier said it is not theirs): routed there unless the portability file lists the number.
   */
  readonly learnedCarrier?: string;
  /** Carriers that said the number is not their subscriber: not tried for it. */
  readonly avoidCarriers?: readonly string[];
  /**
   * How long the SMSC may keep trying to deliver it (`validity_period`, relative, SMPP 3.4
   * §7.1.1); the SMSC's own default when absent. Then it expires and its receipt says EXPIRED.
   */
  readonly validitySeconds?: number;
}

/** Where an interrupted long message stands: its concatenation reference and the parts the SMSC accepted. */
export interface SubmitResume {
  readonly ref: number;
  readonly accepted: readonly SubmittedPart[];
}

/** One submitted segment and the id the SMSC gave it (receipts refer to it). */
export interface SubmittedPart {
  /** 0-based part index. */
  readonly index: number;
  readonly messageId: string;
}

export interface SubmitResult {
  readonly reference?: string;
  /** `gsm7` (data_coding 0) or `ucs2` (data_coding 8). */
  readonly encoding: 'gsm7' | 'ucs2';
  readonly dataCoding: number;
  /** Every part, in order, with its SMSC message id. */
  readonly parts: readonly SubmittedPart[];
  /** Which bind carried it. */
  readonly bindId: string;
  /**
   * Which carrier (set by the CarrierRouter). SMSC message ids are unique per
   * carrier only: scope receipt matching by it.
   */
  readonly carrier?: string;
  /**
   * The carrier that refused it first with an ESME status that means "not our subscriber"
   * (CARRIERS_FILE `notSubscriber.esme`), when the router sent it once more through `carrier`.
   */
  readonly firstTry?: { readonly carrier: string; readonly status: string };
  /** The carrier it was routed to, when that carrier was down beyond its fail-over time and `carrier` took it. */
  readonly failedOver?: string;
}

/** Concatenation info of one MO part, passed up raw for reassembly above. */
export interface InboundConcat {
  readonly method: 'udh' | 'sar';
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  /** 8 (UDH IEI 0x00), 16 (UDH IEI 0x08 or SAR). */
  readonly refBits: 8 | 16;
}

/** A citizen's reply (mobile-originated deliver_sm). */
export interface InboundReply {
  readonly kind: 'reply';
  readonly bindId: string;
  /** The carrier whose SMSC sent it (set by the CarrierRouter). */
  readonly carrier?: string;
  readonly from: string;
  readonly fromTon: number;
  readonly fromNpi: number;
  readonly to: string;
  /** Decoded text of this PDU (one part if `concat` is set), UDH removed. */
  readonly text: string;
  readonly dataCoding: number;
  readonly concat?: InboundConcat;
  /** The raw user data (short_message, or message_payload when that was used), UDH included. */
  readonly raw: Buffer;
  readonly sequence: number;
  /**
   * The handset's message reference (TP-MR) from the `user_message_reference` TLV, when the SMSC
   * relays it: tells a citizen's second identical SMS from a retransmission of the first.
   */
  readonly messageReference?: number;
}

/** A delivery receipt (deliver_sm with esm_class & 0x3C == 0x04). */
export interface DeliveryReceipt {
  readonly kind: 'receipt';
  readonly bindId: string;
  /** The carrier whose SMSC sent it (set by the CarrierRouter); receipts match ids of this carrier. */
  readonly carrier?: string;
  /** The SMSC message id as the receipt gives it; match with parsers/receipt.ts `messageIdKeys`. */
  readonly messageId: string;
  /** Undefined when neither the TLV nor the text names a state we know. */
  readonly stat?: ReceiptStat;
  readonly err?: string;
  /** Where id and state came from: the TLVs (preferred) or the receipt text. */
  readonly source: 'tlv' | 'text';
  /** The receipt's source address: the citizen who received the MT. */
  readonly from: string;
  readonly text: string;
  readonly sequence: number;
}

export type InboundEvent = InboundReply | DeliveryReceipt;

/** What to answer the SMSC: 0 once durably stored; 0x64 (ESME_RX_T_APPN) to make it retry. */
export interface InboundAck {
  readonly status: number;
}

export type InboundHandler = (event: InboundEvent) => Promise<InboundAck>;

/** The SMS transport port. */
export interface SmsTransport {
  /** Send one SMS (all its parts). Rejects with `SmppError { code, retryable, acceptedParts }`. */
  submit(message: OutboundSms): Promise<SubmitResult>;
  /**
   * Handle receipts and replies. The deliver_sm_resp is sent only once the
   * handler resolves, with its status; a throw answers ESME_RX_T_APPN.
   * Without a handler every deliver_sm is answered ESME_RX_T_APPN (nothing lost).
   */
  onInbound(handler: InboundHandler): void;
  readonly state: BindState;
  on(event: 'state', listener: (state: BindState, previous: BindState) => void): this;
  /** Stop taking work, let in-flight submits finish (bounded), unbind, close. */
  close(): Promise<void>;
}
