/**
 * Only the invitation's SMS — its first, or its second try through another carrier — makes the
 * `sent` and `delivered` outcomes an inviting system reads back; acknowledgements never do.
 */
import { describe, expect, it } from 'vitest';
import { newConversation } from '../../dialogue/conversation.js';
import { isInvitationSms, outcomesFromTimeline } from '../../gateway/core/outcomes.js';
import type { SmsStatusEntry } from '../../store/timeline-entry.js';

const conv = {
  ...newConversation({
    id: 'c1',
    service: 'school-meals',
    externalId: 'e1',
    msisdn: '77010000001',
    language: 'ru' as const,
    params: {},
    createdAt: 0,
  }),
  invitationSmsId: '1.0',
};
const status = (at: number, smsId: string, s: SmsStatusEntry['status']): SmsStatusEntry => ({
  at,
  kind: 'sms-status',
  smsId,
  status: s,
});

describe('the outcomes of the invitation SMS', () => {
  it('takes the invitation and its second try elsewhere, never another SMS', () => {
    expect(['1.0', '1.0r'].map((id) => isInvitationSms(conv, id))).toEqual([true, true]);
    expect(['2.0', '2.0r', '1.1', undefined].map((id) => isInvitationSms(conv, id))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(isInvitationSms({ ...conv, invitationSmsId: null }, '1.0')).toBe(false);
  });

  it('reads sent from the invitation and delivered from its second try, not from an acknowledgement', () => {
    const timeline = [
      status(1, '2.0', 'sent'),
      status(2, '2.0', 'delivered'),
      status(3, '1.0', 'sent'),
      status(4, '1.0r', 'sent'),
      status(5, '1.0r', 'delivered'),
    ];
    expect(outcomesFromTimeline(conv, timeline)).toEqual([
      { outcome: 'sent', at: 3 },
      { outcome: 'delivered', at: 5, carrier: { stat: 'DELIVRD' } },
    ]);
  });
});
