/**
 * Downstream decisions (CONTRACT.md, `POST /v1/events`, `decision`): the outcomes a system may
 * report and the reason codes of a rejection. Public and persisted (events, `outcomes` jobs):
 * DO NOT RENAME a code; add new ones, and say so in docs/integration.md.
 */
export const DECISION_OUTCOMES = ['assigned', 'rejected'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** Why an application was rejected: a code the citizen's case can be explained by, never free text. */
export const REJECTION_REASONS = {
  'not-eligible': 'The citizen or the child does not meet the conditions of the service.',
  'already-assigned': 'The service or benefit is already assigned on another application.',
  'data-refuted': 'A source system refuted the facts the invitation was based on (003, item 14).',
  'account-unusable': 'The bank account named in the consent cannot receive the payment.',
  'documents-required': 'The decision needs documents the citizen must bring in person.',
  other: 'Another reason, recorded in the deciding system.',
} as const;
export type RejectionReason = keyof typeof REJECTION_REASONS;
export const REJECTION_REASON_CODES = Object.keys(REJECTION_REASONS) as [
  RejectionReason,
  ...RejectionReason[],
];
