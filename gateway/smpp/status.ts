import { TransportError, type SubmitResume, type TransportErrorKind } from '../core/ports.js';

/**
 * Every ESME command_status (SMPP 3.4 §5.1.3, Table 5-2) with what the gateway
 * does about it. One table, no branches elsewhere: `retryable` means the same
 * submit may succeed later unchanged; `backoffMs` means "wait this long on this
 * bind before sending again" (the SMSC is asking us to slow down).
 */
export interface EsmeStatusInfo {
  readonly name: string;
  readonly retryable: boolean;
  /** Pause before retrying on the same bind; absent = retry without pausing the bind. */
  readonly backoffMs?: number;
}

const row = (name: string, retryable: boolean, backoffMs?: number): EsmeStatusInfo =>
  backoffMs === undefined ? { name, retryable } : { name, retryable, backoffMs };

/** command_status → meaning. Unknown values fall back to {@link statusInfo}'s default. */
export const ESME_STATUS: ReadonlyMap<number, EsmeStatusInfo> = new Map([
  [0x00, row('ESME_ROK', false)],
  [0x01, row('ESME_RINVMSGLEN', false)],
  [0x02, row('ESME_RINVCMDLEN', false)],
  [0x03, row('ESME_RINVCMDID', false)],
  // Not bound (yet): the bind is being re-established; the same PDU will go once it is.
  [0x04, row('ESME_RINVBNDSTS', true, 1000)],
  [0x05, row('ESME_RALYBND', false)],
  [0x06, row('ESME_RINVPRTFLG', false)],
  [0x07, row('ESME_RINVREGDLVFLG', false)],
  // A system error in the SMSC is usually transient (SMPP 3.4 §5.1.3 gives no guidance; carriers retry).
  [0x08, row('ESME_RSYSERR', true, 1000)],
  [0x0a, row('ESME_RINVSRCADR', false)],
  [0x0b, row('ESME_RINVDSTADR', false)],
  [0x0c, row('ESME_RINVMSGID', false)],
  [0x0d, row('ESME_RBINDFAIL', true, 5000)],
  [0x0e, row('ESME_RINVPASWD', false)],
  [0x0f, row('ESME_RINVSYSID', false)],
  [0x11, row('ESME_RCANCELFAIL', false)],
  [0x13, row('ESME_RREPLACEFAIL', false)],
  // Message queue full: the SMSC is congested (SMPP 3.4 §5.1.3); slow down and retry.
  [0x14, row('ESME_RMSGQFUL', true, 2000)],
  [0x15, row('ESME_RINVSERTYP', false)],
  [0x33, row('ESME_RINVNUMDESTS', false)],
  [0x34, row('ESME_RINVDLNAME', false)],
  [0x40, row('ESME_RINVDESTFLAG', false)],
  [0x42, row('ESME_RINVSUBREP', false)],
  [0x43, row('ESME_RINVESMCLASS', false)],
  [0x44, row('ESME_RCNTSUBDL', false)],
  [0x45, row('ESME_RSUBMITFAIL', true, 1000)],
  [0x48, row('ESME_RINVSRCTON', false)],
  [0x49, row('ESME_RINVSRCNPI', false)],
  [0x50, row('ESME_RINVDSTTON', false)],
  [0x51, row('ESME_RINVDSTNPI', false)],
  [0x53, row('ESME_RINVSYSTYP', false)],
  [0x54, row('ESME_RINVREPFLAG', false)],
  [0x55, row('ESME_RINVNUMMSGS', false)],
  // Throttling error: we exceeded the carrier's rate (SMPP 3.4 §5.1.3); pause the bind, retry.
  [0x58, row('ESME_RTHROTTLED', true, 1000)],
  [0x61, row('ESME_RINVSCHED', false)],
  [0x62, row('ESME_RINVEXPIRY', false)],
  [0x63, row('ESME_RINVDFTMSGID', false)],
  [0x64, row('ESME_RX_T_APPN', true, 1000)],
  [0x65, row('ESME_RX_P_APPN', false)],
  [0x66, row('ESME_RX_R_APPN', false)],
  [0x67, row('ESME_RQUERYFAIL', false)],
  [0xc0, row('ESME_RINVOPTPARSTREAM', false)],
  [0xc1, row('ESME_ROPTPARNOTALLWD', false)],
  [0xc2, row('ESME_RINVPARLEN', false)],
  [0xc3, row('ESME_RMISSINGOPTPARAM', false)],
  [0xc4, row('ESME_RINVOPTPARAMVAL', false)],
  [0xfe, row('ESME_RDELIVERYFAILURE', false)],
  [0xff, row('ESME_RUNKNOWNERR', true, 1000)],
]);

/** ESME_ROK and the two statuses our own deliver_sm_resp uses. */
export const STATUS = {
  ok: 0x00,
  invalidCommandLength: 0x02,
  invalidCommandId: 0x03,
  throttled: 0x58,
  queueFull: 0x14,
  temporaryAppError: 0x64,
} as const;

/** The table row for a status; unknown (vendor-specific 0x400–0x4FF etc.) counts as permanent. */
export function statusInfo(status: number): EsmeStatusInfo {
  return (
    ESME_STATUS.get(status) ?? { name: `ESME_0x${status.toString(16).padStart(4, '0')}`, retryable: false }
  );
}

/** Failures that are ours, not an SMSC command_status. */
export type LocalErrorCode =
  'CONNECTION_LOST' | 'RESPONSE_TIMEOUT' | 'NOT_BOUND' | 'CLOSED' | 'PROTOCOL_ERROR';

/** What core is told of a local failure: the link is not there, or the answer did not come. */
const LOCAL_KIND: Readonly<Record<LocalErrorCode, TransportErrorKind>> = {
  CONNECTION_LOST: 'unavailable',
  NOT_BOUND: 'unavailable',
  CLOSED: 'unavailable',
  RESPONSE_TIMEOUT: 'timeout',
  PROTOCOL_ERROR: 'temporary',
};

/** Statuses that mean "slow down" (SMPP 3.4 §5.1.3): the bind pauses and retries the same segment. */
export const SLOW_DOWN: ReadonlySet<number> = new Set([STATUS.throttled, STATUS.queueFull]);

/** The port's kind of an SMSC command_status, classified by {@link ESME_STATUS}. */
export function kindOfStatus(status: number): TransportErrorKind {
  if (SLOW_DOWN.has(status)) return 'throttled';
  return statusInfo(status).retryable ? 'temporary' : 'rejected';
}

/**
 * Why a submit (or bind) failed: an SMSC command_status, or a local failure. Core sees it as the
 * port's {@link TransportError} (kind, retryable, the status's name); the numeric `code` stays here.
 */
export class SmppError extends TransportError {
  override readonly name = 'SmppError';

  constructor(
    /** The SMSC's command_status, or a {@link LocalErrorCode}. */
    readonly code: number | LocalErrorCode,
    message: string,
    resume?: SubmitResume,
    kind: TransportErrorKind = typeof code === 'number' ? kindOfStatus(code) : LOCAL_KIND[code],
  ) {
    super(
      kind,
      // Local failures are all retryable: nothing was accepted for certain (docs/smpp.md).
      typeof code === 'number' ? statusInfo(code).retryable : true,
      message,
      typeof code === 'number' ? statusInfo(code).name : undefined,
      resume,
    );
  }

  /** An error for an SMSC command_status, classified by {@link ESME_STATUS}. */
  static fromStatus(status: number, context: string): SmppError {
    return new SmppError(status, `${context}: ${statusInfo(status).name} (0x${status.toString(16)})`);
  }

  /**
   * A local failure. All are retryable: nothing was accepted for certain, so the
   * message may go again (on another bind, or after restart). A response timeout
   * is the one ambiguous case (the SMSC may have accepted it): see docs/smpp.md.
   */
  static local(code: LocalErrorCode, message: string): SmppError {
    return new SmppError(code, message);
  }

  /** The same failure, with the parts of a long message accepted before it. */
  withResume(resume: SubmitResume): SmppError {
    return new SmppError(this.code, this.message, resume, this.kind);
  }

  /** The same failure, as "not our subscriber" (CARRIERS_FILE `notSubscriber.esme`). */
  asSubscriberElsewhere(): SmppError {
    return new SmppError(this.code, this.message, this.resume, 'subscriber-elsewhere');
  }
}
