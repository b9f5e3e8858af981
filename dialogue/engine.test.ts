// Longer than 300 lines: each service's dialogue (003/000, 002, 004) end to end through the pure engine.
import { describe, expect, it } from 'vitest';
import { parseReply } from '../parsers/reply.js';
import { loadServices } from '../services/load.js';
import type { DeadlineSpec, ServiceDefinition } from '../services/schema.js';
import { newConversation, type Bank, type Conversation } from './conversation.js';
import { HELP_LIMIT, start, step, validReplies, wait, type EngineDeps, type Outcome } from './engine.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 24, 6, 0); // Tue 24 Nov 2026, 11:00 Almaty
// The calendar has its own tests; here a day is a day, so the flows read plainly.
const deadline = (spec: DeadlineSpec, now: number): number =>
  'workingDays' in spec
    ? now + spec.workingDays * DAY
    : 'calendarDays' in spec
      ? now + spec.calendarDays * DAY
      : now + spec.months * 30 * DAY;

const services = await loadServices();
function deps(id: string): EngineDeps {
  return { service: services.get(id) as ServiceDefinition, deadline };
}

const halyk: Bank = { code: 'HSBK', nameKk: 'Halyk Bank', nameRu: 'Халык Банк' };
const kaspi: Bank = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Каспи Банк' };
const otbasy: Bank = { code: 'HCSK', nameKk: 'Отбасы банк', nameRu: 'Отбасы банк' };

function conversation(service: string, params: Record<string, unknown>): Conversation {
  return newConversation({
    id: 'c1',
    service,
    externalId: 'e1',
    msisdn: '77011234567',
    language: 'ru',
    params,
    createdAt: T0,
  });
}

const hs = (banks: Bank[]): Record<string, unknown> => ({
  fullName: 'Айгүл Сейітқызы',
  serviceCode: '123',
  banks,
  integratedBanks: [halyk, kaspi, otbasy],
});

/** Started, and its SMS accepted by the SMSC at the same moment: the deadline counts from `at`. */
function begin(d: EngineDeps, conv: Conversation, at = T0): Outcome {
  const first = start(d, conv, at);
  const templateId = first.messages[0]?.templateId ?? '';
  const sent = step(d, first.conversation, { type: 'sent', templateId, at }, at);
  return { ...first, conversation: sent.conversation };
}

function reply(d: EngineDeps, conv: Conversation, text: string, at = T0 + 1000): Outcome {
  return step(
    d,
    conv,
    { type: 'reply', parsed: parseReply(text), reply: { text, receivedAt: at, smscMessageId: 'm1' } },
    at,
  );
}

describe('the first transition', () => {
  const d = deps('school-meals');
  const params = { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' };

  it('of an invitation sent at once is from `new`, as that of one held `waiting` is', () => {
    const conv = conversation('school-meals', params);
    expect(start(d, conv, T0).timeline[0]).toMatchObject({ kind: 'transition', from: 'new', to: 'invited' });
    expect(wait(conv, T0, 'turn').timeline[0]).toMatchObject({
      kind: 'transition',
      from: 'new',
      to: 'waiting',
    });
  });

  it('of a held invitation going out is from `waiting`', () => {
    const held = wait(conversation('school-meals', params), T0, 'window').conversation;
    const released = step(d, held, { type: 'release' }, T0 + DAY);
    expect(released.timeline[0]).toMatchObject({ kind: 'transition', from: 'waiting', to: 'invited' });
  });
});

describe('home-schooling (003 / 000)', () => {
  const d = deps('home-schooling');

  it('with one bank, the invitation is Appendix 1 and 123#3#1 consents with that bank', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    expect(started.messages.map((m) => m.templateId)).toEqual(['home-schooling.offer-one-bank']);
    expect(started.messages[0]?.asksConsent).toBe(true);
    expect(started.conversation.deadline).toBe(T0 + 3 * DAY);
    const answered = reply(d, started.conversation, '123#3#1');
    expect(answered.consent).toBe(true);
    expect(answered.conversation.state).toBe('consented');
    expect(answered.conversation.bank).toEqual(kaspi);
    expect(answered.conversation.deadline).toBeNull();
    expect(answered.messages.map((m) => m.templateId)).toEqual(['home-schooling.consent-accepted']);
  });

  it('when the citizen replies 123#3#12, the second bank is assigned', () => {
    const started = begin(d, conversation('home-schooling', hs([halyk, kaspi])), T0);
    expect(started.messages[0]?.templateId).toBe('home-schooling.offer-several-banks');
    const answered = reply(d, started.conversation, '123#3#12');
    expect(answered.conversation.bank).toEqual(kaspi);
    expect(answered.consent).toBe(true);
  });

  it('a bank number out of range gets the not-understood SMS listing the valid numbers, and stays open', () => {
    const started = begin(d, conversation('home-schooling', hs([halyk, kaspi])), T0);
    const answered = reply(d, started.conversation, '123#3#17');
    expect(answered.consent).toBe(false);
    expect(answered.conversation.state).toBe('invited');
    expect(answered.messages).toEqual([
      {
        templateId: 'gateway.not-understood',
        vars: { replies: ['123#3#11', '123#3#12', '123#3#0'] },
        asksConsent: false,
        unsolicited: false,
        startsDeadline: false,
      },
    ]);
  });

  it('a reply after the 3 working days, before the sweep, expires it: Appendix 4 stays a notice held outside the window, the "too late" answer goes at once', () => {
    const started = begin(d, conversation('home-schooling', hs([halyk])), T0);
    const late = reply(d, started.conversation, '123#3#1', T0 + 3 * DAY);
    expect(late.conversation.state).toBe('expired');
    expect(late.messages.map((m) => [m.templateId, m.unsolicited])).toEqual([
      ['home-schooling.expired', true],
      ['gateway.after-deadline', false],
    ]);
  });

  it('123#3#0 offers the integrated banks, then 123#3#13 consents with the third', () => {
    const started = begin(d, conversation('home-schooling', hs([halyk])), T0);
    const other = reply(d, started.conversation, '123#3#0');
    expect(other.consent).toBe(false);
    expect(other.messages[0]?.templateId).toBe('home-schooling.offer-several-banks');
    expect(other.conversation.offered).toEqual([halyk, kaspi, otbasy]);
    const chosen = reply(d, other.conversation, '123#3#13', T0 + 2000);
    expect(chosen.conversation.bank).toEqual(otbasy);
    expect(chosen.consent).toBe(true);
  });

  it('without an account, Appendix 3; the account-opened event brings Appendix 1 with that bank', () => {
    const started = begin(d, conversation('home-schooling', hs([])), T0);
    expect(started.conversation.state).toBe('awaiting_account');
    expect(started.messages[0]?.templateId).toBe('home-schooling.offer-no-account');
    const opened = step(
      d,
      started.conversation,
      { type: 'upstream', name: 'account-opened', key: 'k1', bank: otbasy },
      T0 + DAY,
    );
    expect(opened.conversation.state).toBe('invited');
    expect(opened.messages[0]?.templateId).toBe('home-schooling.offer-one-bank');
    expect(opened.messages[0]?.vars.bank).toEqual(otbasy);
    const again = step(
      d,
      opened.conversation,
      { type: 'upstream', name: 'account-opened', key: 'k1', bank: otbasy },
      T0 + DAY,
    );
    expect(again.changed).toBe(false);
    expect(again.rejected).toBeUndefined();
    expect(reply(d, opened.conversation, '123#3#1', T0 + DAY + 1).conversation.bank).toEqual(otbasy);
  });

  it('no reply in time: Appendix 4 with the name, state expired; a later reply gets the deadline-passed SMS and no consent', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    const early = step(d, started.conversation, { type: 'deadline' }, T0 + 3 * DAY - 1);
    expect(early.changed).toBe(false);
    const expired = step(d, started.conversation, { type: 'deadline' }, T0 + 3 * DAY);
    expect(expired.conversation.state).toBe('expired');
    expect(expired.messages[0]).toMatchObject({
      templateId: 'home-schooling.expired',
      vars: { fullName: 'Айгүл Сейітқызы' },
    });
    const late = reply(d, expired.conversation, '123#3#1', T0 + 4 * DAY);
    expect(late.consent).toBe(false);
    expect(late.messages.map((m) => m.templateId)).toEqual(['gateway.after-deadline']);
    expect(step(d, expired.conversation, { type: 'deadline' }, T0 + 9 * DAY).changed).toBe(false);
  });

  it('a reply delivered before the deadline but processed after the sweep still consents (the citizen answered in time)', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    const expired = step(d, started.conversation, { type: 'deadline' }, T0 + 3 * DAY);
    expect(expired.conversation.state).toBe('expired');
    const inTime = reply(d, expired.conversation, '123#3#1', T0 + 3 * DAY - 1);
    expect(inTime.consent).toBe(true);
    expect(inTime.conversation.state).toBe('consented');
    expect(inTime.conversation.bank).toEqual(kaspi);
    expect(inTime.timeline[0]).toMatchObject({
      kind: 'transition',
      from: 'expired',
      to: 'invited',
      cause: 'reply delivered before the deadline',
    });
  });

  it('an in-time reply that does not fit the stage does not reopen an expired conversation', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    const expired = step(d, started.conversation, { type: 'deadline' }, T0 + 3 * DAY).conversation;
    for (const text of ['Иә', '123#3#5', '999#3#1']) {
      const out = reply(d, expired, text, T0 + 3 * DAY - 1);
      expect(out.consent).toBe(false);
      expect(out.conversation.state).toBe('expired');
      expect(out.messages.map((m) => m.templateId)).toEqual(['gateway.after-deadline']);
    }
  });

  it('a reply that arrives after the deadline, before the sweeper fired, expires the conversation and is not a consent', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    const late = reply(d, started.conversation, '123#3#1', T0 + 3 * DAY);
    expect(late.consent).toBe(false);
    expect(late.conversation.state).toBe('expired');
    expect(late.messages.map((m) => m.templateId)).toEqual([
      'home-schooling.expired',
      'gateway.after-deadline',
    ]);
  });

  it('a decision brings Appendix 5 and state assigned; a decision before consent is rejected', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    expect(
      step(d, started.conversation, { type: 'upstream', name: 'decision', key: 'd', outcome: 'assigned' }, T0)
        .rejected,
    ).toMatch(/decision/);
    const consented = reply(d, started.conversation, '123#3#1').conversation;
    const assigned = step(
      d,
      consented,
      { type: 'upstream', name: 'decision', key: 'd', outcome: 'assigned' },
      T0 + DAY,
    );
    expect(assigned.conversation.state).toBe('assigned');
    expect(assigned.messages[0]).toMatchObject({
      templateId: 'home-schooling.assigned',
      vars: { bank: kaspi },
    });
  });

  it('yes-words and garbage are never a consent; help is rate limited', () => {
    let conv = begin(d, conversation('home-schooling', hs([kaspi])), T0).conversation;
    let sent = 0;
    for (let i = 0; i < HELP_LIMIT + 3; i++) {
      const out = reply(d, conv, i % 2 ? 'Иә' : 'согласен', T0 + i * 11 * 60_000);
      expect(out.consent).toBe(false);
      sent += out.messages.length;
      conv = out.conversation;
    }
    expect(sent).toBe(HELP_LIMIT);
    expect(conv.state).toBe('invited');
  });

  it('a code for another service is not understood', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    expect(reply(d, started.conversation, '999#3#1').consent).toBe(false);
  });

  it('lists the valid replies with the real service code', () => {
    const started = begin(d, conversation('home-schooling', hs([kaspi])), T0);
    expect(validReplies(d.service, started.conversation)).toEqual(['123#3#1', '123#3#0']);
  });
});

describe('school-meals (002)', () => {
  const d = deps('school-meals');
  const params = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Нұрлан Ерланұлы' };

  it('3#1 consents and sends the wallet link', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    const out = reply(d, started.conversation, '3#1');
    expect(out.consent).toBe(true);
    expect(out.messages[0]?.templateId).toBe('school-meals.consented');
  });

  it('3#2 refuses', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    const out = reply(d, started.conversation, '3 # 2');
    expect(out.conversation.state).toBe('refused');
    expect(out.messages[0]?.templateId).toBe('school-meals.refused');
  });

  it('no reply for 3 calendar days: the request once more, then 3 more days: closed without SMS', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    const repeat = step(d, started.conversation, { type: 'deadline' }, T0 + 3 * DAY);
    expect(repeat.messages[0]?.templateId).toBe('school-meals.request');
    expect(repeat.conversation.state).toBe('invited');
    // The repeat's 3 days count from when the SMSC accepted it (held till the morning, say).
    expect(repeat.conversation.deadline).toBeNull();
    const sentAt = T0 + 3 * DAY + 2 * 3600_000;
    const sent = step(
      d,
      repeat.conversation,
      { type: 'sent', templateId: 'school-meals.request', at: sentAt },
      sentAt,
    );
    expect(sent.conversation).toMatchObject({ deadline: sentAt + 3 * DAY, deadlineFrom: sentAt });
    const closed = step(d, sent.conversation, { type: 'deadline' }, sentAt + 3 * DAY);
    expect(closed.conversation.state).toBe('closed');
    expect(closed.messages).toEqual([]);
  });

  it('3#1 while the repeat is held for the night: the consent answers the first request, the held repeat is never to be sent', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    const repeat = step(d, started.conversation, { type: 'deadline' }, T0 + 3 * DAY);
    // The step that committed the repeat named its SMS (gateway/core/conversations.ts).
    const held = { ...repeat.conversation, deadlineSms: '1.0' };
    const out = reply(d, held, '3#1', T0 + 3 * DAY + 3600_000);
    expect(out.consent).toBe(true);
    expect(out.unsent).toBe('1.0');
    const meanings = out.timeline.flatMap((e) => (e.kind === 'reply' ? [e.meaning] : []));
    expect(meanings).toEqual(['agrees to free meals (3#1)']);
    expect(out.timeline).toContainEqual({
      kind: 'note',
      text: 'repeat SMS not sent: the reply answered the SMS before it',
    });
    // Once the repeat went, a reply is one after the repeat.
    const sentAt = T0 + 3 * DAY + 4 * 3600_000;
    const sent = step(d, held, { type: 'sent', templateId: 'school-meals.request', at: sentAt }, sentAt);
    const after = reply(d, sent.conversation, '3#2', sentAt + 1000);
    expect(after.unsent).toBeUndefined();
    expect(after.timeline.flatMap((e) => (e.kind === 'reply' ? [e.meaning] : []))).toEqual([
      'refuses (3#2), after the repeat',
    ]);
    expect(after.timeline.some((e) => e.kind === 'note')).toBe(false);
  });

  it('3#1 arriving after the first 3 days, before the sweep, consents: the repeat asking the same question is not sent (it went after the consent confirmation)', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    const late = reply(d, started.conversation, '3#1', T0 + 3 * DAY + 1000);
    expect(late.consent).toBe(true);
    expect(late.messages.map((m) => m.templateId)).toEqual(['school-meals.consented']);
    // Its timeline says so: the reply answered the first request, the repeat was never sent.
    expect(late.timeline.flatMap((e) => (e.kind === 'reply' ? [e.meaning] : []))).toEqual([
      'agrees to free meals (3#1)',
    ]);
    expect(late.timeline).toContainEqual({
      kind: 'note',
      text: 'repeat SMS not sent: the reply answered the SMS before it',
    });
    expect(late.unsent).toBeUndefined();
  });

  it('a reply not understood after the first 3 days gets help at once; the repeat stays a notice held outside the window', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    const late = reply(d, started.conversation, 'Иә', T0 + 3 * DAY + 1000);
    expect(late.messages.map((m) => [m.templateId, m.unsolicited])).toEqual([
      ['school-meals.request', true],
      ['gateway.not-understood', false],
    ]);
  });

  it('the service code of another service is not understood (002 replies carry none)', () => {
    const started = begin(d, conversation('school-meals', params), T0);
    expect(reply(d, started.conversation, '123#3#1').consent).toBe(false);
  });
});

describe('social-portal (004)', () => {
  const d = deps('social-portal');
  it('choose a supplier, and after two months the choice is blocked', () => {
    const started = begin(
      d,
      conversation('social-portal', { fullName: 'Айгүл Сейітқызы', dataReceivedOn: '2026-11-20' }),
      T0,
    );
    expect(started.messages[0]?.templateId).toBe('social-portal.choose-supplier');
    // 004 item 10: from the day the data reached the portal (20 November, 00:00 Almaty), not from the SMS.
    const from = Date.UTC(2026, 10, 19, 19, 0);
    expect(started.conversation).toMatchObject({ deadlineFrom: from, deadline: from + 60 * DAY });
    const blocked = step(d, started.conversation, { type: 'deadline' }, T0 + 60 * DAY);
    expect(blocked.conversation.state).toBe('closed');
    expect(blocked.messages[0]?.templateId).toBe('social-portal.choice-blocked');
  });

  it('a reply to an information-only SMS gets the no-reply-needed help', () => {
    const started = begin(
      d,
      conversation('social-portal', { fullName: 'Айгүл Сейітқызы', dataReceivedOn: '2026-11-20' }),
      T0,
    );
    expect(reply(d, started.conversation, '3#1').messages[0]?.templateId).toBe('gateway.no-reply-needed');
  });

  it('a reply after the blocking notice is told no reply is needed, not that a deadline passed', () => {
    const started = begin(
      d,
      conversation('social-portal', { fullName: 'Айгүл Сейітқызы', dataReceivedOn: '2026-11-20' }),
      T0,
    );
    const blocked = step(d, started.conversation, { type: 'deadline' }, T0 + 60 * DAY);
    const late = reply(d, blocked.conversation, 'жауап', T0 + 61 * DAY);
    expect(late.messages.map((m) => m.templateId)).toEqual(['gateway.no-reply-needed']);
  });
});

describe('undelivered invitation', () => {
  it('the carrier reporting the invitation undelivered ends the conversation as undeliverable', () => {
    const d = deps('school-meals');
    const started = start(
      d,
      conversation('school-meals', { parentFullName: 'А Б', childFullName: 'В Г' }),
      T0,
    );
    const conv = {
      ...started.conversation,
      consentTemplate: {
        id: 'school-meals.request',
        language: 'ru' as const,
        sha256: 'x',
        text: 't',
        wording: 'translation' as const,
        set: { id: 'school-meals.2023-11-17', sha256: 'y' },
      },
    };
    const out = step(
      d,
      conv,
      { type: 'delivery-failed', templateId: 'school-meals.request', status: 'UNDELIV' },
      T0 + 1,
    );
    expect(out.conversation.state).toBe('undeliverable');
    expect(out.conversation.deadline).toBeNull();
  });
});
