/**
 * Test traffic (a `test` role key, docs/integration.md "Test keys"): an integrator runs the whole
 * flow without reaching a carrier. A test conversation is told apart by its id alone, so every
 * path (the sender, the outcomes, the routes) knows it without reading the conversation: ids of
 * real conversations are base-36 times, which never begin with `0`, and test ones begin `0t`.
 * Its `(service, externalId)` claims live in a namespace of their own, so a test invitation
 * cannot collide with a real one of the same reference.
 */
import { newConversationId } from '../../store/conversations.js';
import { segment } from '../../sms/encoding.js';
import type { SmsOutJob } from '../../queues/jobs.js';
import type { SubmitResult } from './ports.js';

export const TEST_ID_PREFIX = '0t';

/** The carrier test SMS are "sent" through: no carrier's id (those come from CARRIERS_FILE) is needed. */
export const TEST_CARRIER = 'test';

/** True for a test conversation's id. */
export const isTestId = (id: string): boolean => id.startsWith(TEST_ID_PREFIX);

/** A new test conversation's id. */
export const newTestConversationId = (now: number): string => `${TEST_ID_PREFIX}${newConversationId(now)}`;

/** The namespace of `(service, externalId)` claims: test ones apart from real ones. */
export const externalIdNamespace = (service: string, test: boolean): string =>
  test ? `test.${service}` : service;

/**
 * Test numbers whose SMS the carrier "cannot deliver", as GOV.UK Notify's test numbers do: the
 * receipt's `stat` and `err`. Every other number's test SMS is delivered (`DELIVRD`, `000`).
 */
export const TEST_FAILURES: ReadonlyMap<string, { readonly stat: string; readonly err: string }> = new Map([
  ['77009000002', { stat: 'UNDELIV', err: '001' }],
]);

/** The receipt a test SMS to `to` gets. */
export const testReceiptOf = (to: string): { readonly stat: string; readonly err: string } =>
  TEST_FAILURES.get(to) ?? { stat: 'DELIVRD', err: '000' };

/**
 * What the simulator's SMSC would answer for a test SMS (dev/simulator): every part accepted with a
 * message id of its own, in the encoding a carrier would use. Nothing leaves the gateway.
 */
export function simulatedSubmit(sms: Pick<SmsOutJob, 'conversationId' | 'smsId' | 'text'>): SubmitResult {
  const seg = segment(sms.text);
  return {
    reference: `${sms.conversationId}.${sms.smsId}`,
    encoding: seg.encoding,
    parts: seg.parts.map((_, index) => ({ index, messageId: `${sms.conversationId}.${sms.smsId}.${index}` })),
    bindId: TEST_CARRIER,
    carrier: TEST_CARRIER,
  };
}
