/**
 * Fault injection: what the simulated carrier does with a submit_sm (pure: `now` is an argument).
 *
 * The faults are those an ESME meets on real binds: throttling (SMPP 3.4 §5.1.3 ESME_RTHROTTLED
 * 0x58, or ESME_RMSGQFUL 0x14 as some carriers answer instead), slow or missing responses, a
 * connection that drops, an SMSC that ignores enquire_link. They apply in the order of
 * smsc.pl (tools/smsc/README.md): drop-after, no-response, reject, throttle-every, per-second; the
 * faults smsc.pl has not (a refused destination, a part's own status) come after reject.
 */

/** Status codes the simulator answers with (SMPP 3.4 §5.1.3). */
export const STATUS = {
  ROK: 0x00,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RINVDSTADR: 0x0b,
  RALYBND: 0x05,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RTHROTTLED: 0x58,
} as const;

/** Faults, all settable at run time with `sim.setFaults()`. */
export interface Faults {
  /** Refuse submits once this many were accepted in the last second (sliding window, all binds). 0 = off. */
  readonly throttlePerSecond: number;
  /** Refuse every Nth submit (counted over all binds). 0 = off. */
  readonly throttleEvery: number;
  /** The status a throttled submit gets: ESME_RTHROTTLED (0x58, default) or ESME_RMSGQFUL (0x14). */
  readonly throttleStatus: number;
  /** Answer every submit with this error status (e.g. 0x0B ESME_RINVDSTADR). 0 = off. */
  readonly rejectStatus: number;
  /** Answer the submits to these numbers only with ESME_RINVDSTADR (0x0B): one citizen's number is wrong. */
  readonly rejectTo: readonly string[];
  /**
   * The parts of a concatenated message with these sequence numbers (1-based, as in the UDH or
   * sar_segment_seqnum) answered with this status, or never answered (`null`): one part refused
   * or lost by the SMSC while the others go through. Empty = off.
   */
  readonly partStatus: Readonly<Record<number, number | null>>;
  /** Delay every submit_sm_resp by this many ms. 0 = off. */
  readonly responseDelayMs: number;
  /** Never answer submit_sm (the PDU is still recorded). */
  readonly noResponse: boolean;
  /**
   * On each connection, the Nth submit_sm cuts the link (see SimConnection.drop). 0 = off. Counted in
   * submits rather than all PDUs so that enquire_link timing cannot move the drop.
   */
  readonly dropAfterSubmits: number;
  /** `noresp`: the Nth submit is not answered; `resp`: it is answered, then the socket drops. */
  readonly dropMode: 'noresp' | 'resp';
  /** Never answer enquire_link. */
  readonly ignoreEnquireLink: boolean;
}

/** The default: a well-behaved carrier. */
export const NO_FAULTS: Faults = Object.freeze({
  throttlePerSecond: 0,
  throttleEvery: 0,
  throttleStatus: STATUS.RTHROTTLED,
  rejectStatus: 0,
  rejectTo: [],
  partStatus: {},
  responseDelayMs: 0,
  noResponse: false,
  dropAfterSubmits: 0,
  dropMode: 'noresp',
  ignoreEnquireLink: false,
});

/** Counters the throttles need; owned by the simulator, replaced on every decision. */
export interface ThrottleState {
  /** Submits seen since `throttleEvery` was last set. */
  readonly seen: number;
  /** Times (ms) of the submits accepted in the last second. */
  readonly acceptedAt: readonly number[];
}

export const FRESH_THROTTLE: ThrottleState = { seen: 0, acceptedAt: [] };

/** What to do with one submit_sm. */
export interface SubmitDecision {
  /** The command_status to answer with; undefined = do not answer. */
  readonly status: number | undefined;
  readonly delayMs: number;
  /** Drop the socket (after answering, when `status` is set). */
  readonly drop: boolean;
}

const WINDOW_MS = 1000;

/**
 * Decides the fate of a submit. `nthOnConnection` counts submits on its connection from 1; `part`
 * is its sequence number in a concatenated message (0 for a whole one). Returns the decision and
 * the next throttle state.
 */
export function decideSubmit(
  faults: Faults,
  state: ThrottleState,
  nthOnConnection: number,
  nowMs: number,
  destination = '',
  part = 0,
): [SubmitDecision, ThrottleState] {
  const seen = state.seen + 1;
  const recent = state.acceptedAt.filter((t) => nowMs - t < WINDOW_MS);
  const next = (accepted: boolean): ThrottleState => ({
    seen,
    acceptedAt: accepted ? [...recent, nowMs] : recent,
  });
  const answer = (status: number, accepted = false): [SubmitDecision, ThrottleState] => [
    { status, delayMs: faults.responseDelayMs, drop: false },
    next(accepted),
  ];
  if (faults.dropAfterSubmits > 0 && nthOnConnection === faults.dropAfterSubmits) {
    const status = faults.dropMode === 'resp' ? STATUS.ROK : undefined;
    return [{ status, delayMs: 0, drop: true }, next(status === STATUS.ROK)];
  }
  if (faults.noResponse) return [{ status: undefined, delayMs: 0, drop: false }, next(false)];
  if (faults.rejectStatus !== 0) return answer(faults.rejectStatus);
  if (faults.rejectTo.includes(destination)) return answer(STATUS.RINVDSTADR);
  const partStatus = part > 0 ? faults.partStatus[part] : undefined;
  if (partStatus === null) return [{ status: undefined, delayMs: 0, drop: false }, next(false)];
  if (partStatus !== undefined) return answer(partStatus, partStatus === STATUS.ROK);
  if (faults.throttleEvery > 0 && seen % faults.throttleEvery === 0) return answer(faults.throttleStatus);
  if (faults.throttlePerSecond > 0 && recent.length >= faults.throttlePerSecond)
    return answer(faults.throttleStatus);
  return answer(STATUS.ROK, true);
}
