/**
 * The SMS transport as core needs it, owned by core: send an SMS, receive replies and receipts,
 * answer each one "stored" or "try later". Nothing here is SMPP: `gateway/smpp` implements the
 * port and keeps data_coding, TONs, UDHs and ESME statuses to itself (docs/architecture.md,
 * "Ports").
 */
import type { ReceiptStat } from '../../parsers/receipt.js';
import type { SmsEncoding, TextEncoding } from '../../sms/encoding.js';

/** One SMS to send. */
export interface OutboundSms {
  /** Destination MSISDN, canonical 11 digits (`77011234567`). */
  readonly to: string;
  /** The whole text; split into parts by the transport. */
  readonly text: string;
  /** The caller's id for logs and receipts matching; not sent on the wire. */
  readonly reference?: string;
  /**
   * Finish a long message a dropped link interrupted: send only the parts not yet accepted,
   * with the same concatenation reference, so the phone joins them with the parts it has
   * and no part reaches the citizen twice. From a failed submit's `TransportError.resume`.
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
   * How long the carrier may keep trying to deliver it; its own default when absent. Then it
   * expires and its receipt says EXPIRED.
   */
  readonly validitySeconds?: number;
}

/** Where an interrupted long message stands: its concatenation reference and the parts accepted. */
export interface SubmitResume {
  readonly ref: number;
  readonly accepted: readonly SubmittedPart[];
}

/** One submitted segment and the id the carrier gave it (receipts refer to it). */
export interface SubmittedPart {
  /** 0-based part index. */
  readonly index: number;
  readonly messageId: string;
}

export interface SubmitResult {
  readonly reference?: string;
  readonly encoding: SmsEncoding;
  /** Every part, in order, with its carrier message id. */
  readonly parts: readonly SubmittedPart[];
  /** Which link (bind) carried it. */
  readonly bindId: string;
  /** Which carrier. Carrier message ids are unique per carrier only: scope receipt matching by it. */
  readonly carrier?: string;
  /**
   * The carrier that refused it first as "not our subscriber", with its status, when it was sent
   * once more through `carrier`.
   */
  readonly firstTry?: { readonly carrier: string; readonly status: string };
  /** The carrier it was routed to, when that carrier was down beyond its fail-over time and `carrier` took it. */
  readonly failedOver?: string;
}

/**
 * Why a submit failed, as core acts on it:
 * - `unavailable`: no link to the carrier now (not bound, lost, closing); nothing was sent.
 * - `timeout`: no answer in time; the carrier may or may not have taken it.
 * - `throttled`: the carrier asked to slow down (or its queue is full) beyond the retries.
 * - `temporary`: another failure the carrier calls passing (a system error, say).
 * - `rejected`: refused for good; sending it again unchanged will not help.
 * - `subscriber-elsewhere`: the carrier says the number is not its subscriber, and no other
 *   carrier was left to try.
 */
export type TransportErrorKind =
  'unavailable' | 'timeout' | 'throttled' | 'temporary' | 'rejected' | 'subscriber-elsewhere';

export class TransportError extends Error {
  override readonly name: string = 'TransportError';

  constructor(
    readonly kind: TransportErrorKind,
    /** True when sending the same message again later may succeed. */
    readonly retryable: boolean,
    message: string,
    /** The carrier's own status (`ESME_RTHROTTLED`, ...), for outcomes and logs; none for a local failure. */
    readonly carrierStatus?: string,
    /** A long message cut part-way: the parts accepted before the failure, to finish it. */
    readonly resume?: SubmitResume,
  ) {
    super(message);
  }
}

/** A part of a concatenated reply (3GPP TS 23.040 §9.2.3.24.1, or SMPP's SAR TLVs). */
export interface ReplyPart {
  /** The handset's concatenation reference; `scheme` tells where it came from, so two schemes never mix. */
  readonly reference: number;
  readonly scheme: 'udh8' | 'udh16' | 'sar';
  /** 1-based part number. */
  readonly part: number;
  readonly total: number;
}

interface ReplyBase {
  readonly kind: 'reply';
  readonly bindId: string;
  /** The carrier whose SMSC sent it (set by the router). */
  readonly carrier?: string;
  readonly from: string;
  readonly to: string;
  /** The user data without any concatenation header: the reply's identity, and a part's piece to join. */
  readonly payload: Buffer;
  readonly encoding: TextEncoding;
  /**
   * The handset's message reference (TP-MR), when the carrier relays it: tells a citizen's second
   * identical SMS from a retransmission of the first.
   */
  readonly messageReference?: number;
}

/** A whole reply: its text decoded once, by the transport. */
export interface WholeReply extends ReplyBase {
  readonly text: string;
  readonly concat?: undefined;
}

/** One part of a long reply: decoded once whole, after the parts are joined (a character may span two). */
export interface ReplyPiece extends ReplyBase {
  readonly concat: ReplyPart;
}

/** A citizen's reply. */
export type InboundReply = WholeReply | ReplyPiece;

/** A delivery receipt. */
export interface DeliveryReceipt {
  readonly kind: 'receipt';
  readonly bindId: string;
  /** The carrier whose SMSC sent it (set by the router); receipts match ids of this carrier. */
  readonly carrier?: string;
  /** The carrier message id as the receipt gives it; match with parsers/receipt.ts `messageIdKeys`. */
  readonly messageId: string;
  /** Undefined when the receipt names no state we know. */
  readonly stat?: ReceiptStat;
  readonly err?: string;
  /** Where id and state came from: structured fields (preferred) or the receipt text. */
  readonly source: 'tlv' | 'text';
  /** The receipt's source address: the citizen who received the SMS. */
  readonly from: string;
  readonly text: string;
}

export type InboundEvent = InboundReply | DeliveryReceipt;

/** `stored`: durably kept, the carrier may forget it; `try-later`: not kept, the carrier must send it again. */
export type InboundAck = 'stored' | 'try-later';

export type InboundHandler = (event: InboundEvent) => Promise<InboundAck>;

/** The SMS transport port. */
export interface SmsTransport {
  /** Send one SMS (all its parts). Rejects with a {@link TransportError}. */
  submit(message: OutboundSms): Promise<SubmitResult>;
  /**
   * Handle receipts and replies. The carrier is answered only once the handler resolves; a throw
   * answers `try-later`, and so does every event while no handler is set (nothing lost).
   */
  onInbound(handler: InboundHandler): void;
  /**
   * The carrier an SMS to `msisdn` would go to now (with several carriers): what the sender counts
   * its jobs by, so one carrier's SMS cannot hold every job (gateway/core/sender.ts `CarrierShare`).
   */
  carrierFor?(msisdn: string, learned?: string, avoid?: readonly string[]): string;
}
