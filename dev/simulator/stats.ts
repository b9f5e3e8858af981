/** Counters of what the simulator saw and did, for `sim.stats()` and `GET /stats`. */
export interface SimCounters {
  /** TCP connections accepted. */
  connections: number;
  /** Successful binds. */
  binds: number;
  /** Binds refused (bad credentials, already bound). */
  bindFailures: number;
  /** Every PDU received from ESMEs. */
  pdusReceived: number;
  enquireLinks: number;
  submitsReceived: number;
  /** Answered ESME_ROK with a message id. */
  submitsAccepted: number;
  /** Answered with an error status (throttle, reject, not bound). */
  submitsRefused: number;
  /** Never answered (fault). */
  submitsUnanswered: number;
  /** Whole messages reassembled (single-part ones included). */
  messagesCompleted: number;
  receiptsSent: number;
  /** Citizen-reply deliver_sm sent. */
  repliesSent: number;
  /** Connections the simulator dropped (fault or `drop()`). */
  drops: number;
}

/** Counters at zero. */
export function newCounters(): SimCounters {
  return {
    connections: 0,
    binds: 0,
    bindFailures: 0,
    pdusReceived: 0,
    enquireLinks: 0,
    submitsReceived: 0,
    submitsAccepted: 0,
    submitsRefused: 0,
    submitsUnanswered: 0,
    messagesCompleted: 0,
    receiptsSent: 0,
    repliesSent: 0,
    drops: 0,
  };
}
