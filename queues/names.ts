/**
 * BullMQ queue names. DO NOT CHANGE THE VALUES: they are persisted in Redis and
 * `assignments` is the contract with the downstream systems (CONTRACT.md).
 */
export const QUEUES = {
  /** One job per resolved consent, job id = conversation id (CONTRACT.md, "Downstream queue"). */
  assignments: 'assignments',
  /** One job per outcome of a conversation, job id `<conversationId>.<outcome>` (CONTRACT.md). */
  outcomes: 'outcomes',
  /** SMS to send: survives restarts and dead links; drained by the SMPP workers. */
  smsOut: 'sms-out',
  /** Replies and receipts accepted from the SMSC, stored before the deliver_sm_resp. */
  inbound: 'inbound',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Retries of a job the downstream consumer threw on (`assignments`, `outcomes`): 15 attempts,
 * 5 s doubling (about 23 hours in all), then it stays failed until someone retries it.
 */
export const DOWNSTREAM_RETRY = { attempts: 15, backoff: { type: 'exponential', delay: 5_000 } } as const;
