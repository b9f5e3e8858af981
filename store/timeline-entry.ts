/** One line of a conversation's timeline, as the agent console shows it (kinds: transition, reply, event, note, sms, sms-status). */
export interface TimelineEntry {
  /** Epoch ms. */
  readonly at: number;
  readonly kind: string;
  readonly [field: string]: unknown;
}
