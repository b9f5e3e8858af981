/**
 * The legal acts checked from outside, as an acceptance tester checks them: each SMS form is read from
 * the act file itself (../shared/seeds: 003 Russian and 000 Kazakh Appendix 1-5, 002's Appendix 1), its
 * placeholders filled with the invitation's values, and compared whole, word for word and line for
 * line, with what the independent Perl SMSC received: the raw submit_sm PDUs decoded here (UDH,
 * UCS2, GSM 7-bit), each part checked for a character cut at its ends. Invitations, events and reads
 * go through the HTTP API with the contract's keys; replies are the citizens' SMS through the SMSC's
 * control port; consents and outcomes are read from the BullMQ queues as a consumer would. The clock
 * is the test's, so deadlines (3 working days around a holiday, 3+3 calendar days, two months) and
 * the sending window run in seconds.
 *
 * Readings of the acts this file takes (docs/decisions/0008-acts-checked-from-outside.md):
 * a line of the act that is wrapped continues its paragraph; each paragraph is one line of the SMS;
 * a bank list placeholder ({bankListRu}) is one numbered line per bank; the Kazakh Appendix 1's
 * {payNameBankRu} is the bank's Kazakh name; the citizen's own slot ({порядковый номер банка},
 * {Банктің реттік нөмірі}) stays as the act words it; {code_service} is the service's vocabulary term.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayHandle } from '../../gateway/gateway.js';
import { actForm, fill, type FormSpec, type Repair } from '../support/acts.js';
import { testClock } from '../support/core.js';
import { eventually, KEYS } from '../support/gateway.js';
import { startOnPerlSmsc, WAIT_MS, type PerlGateway } from '../support/perl-gateway.js';
import type { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc, REPO, sharedSeeds } from '../support/requires.js';
import { smsTo, type WholeSms } from '../support/sms-pdus.js';

const skip = missing(perlSmsc, sharedSeeds);

/** A wall-clock time in Almaty (UTC+5), as epoch ms. */
const almaty = (y: number, mo: number, d: number, h: number, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h - 5, mi, s);

// --- the acts' forms, as their files write them ---------------------------------------------------

/** The seed's text extraction moved the hyperlinked words "статьей 8"; 000 reads "Заңының 8-бабына сәйкес". */
const ARTICLE_8: Repair = {
  from: 'со Закона Республики Казахстан "О персональных данных и их статьей 8 защите"',
  to: 'со статьей 8 Закона Республики Казахстан "О персональных данных и их защите"',
  why: 'a hyperlink displaced in the seed',
};
const CODE_0: Repair = { from: '#3 #0', to: '#3#0', why: 'a line break inside the reply code' };
const QUOTE: Repair = {
  from: 'корпорации " Правительство',
  to: 'корпорации "Правительство',
  why: 'a line break after the opening quote',
};

const ru = (n: number, repairs: Repair[]): FormSpec => ({
  act: '003',
  heading: `Приложение ${n}`,
  first: 'Уважаемый',
  end: '____',
  repairs,
});
const kk = (n: number): FormSpec => ({ act: '000', heading: `${n}-қосымша`, first: 'Құрметті', end: '____' });
const MEALS_CAPTION = '(тегі, аты, әкесінің аты (бар болса)';

const FORMS = {
  ru: {
    1: actForm(ru(1, [CODE_0, ARTICLE_8])),
    2: actForm(ru(2, [CODE_0, ARTICLE_8])),
    3: actForm(ru(3, [ARTICLE_8])),
    4: actForm(ru(4, [QUOTE])),
    5: actForm(ru(5, [])),
  },
  kk: { 1: actForm(kk(1)), 2: actForm(kk(2)), 3: actForm(kk(3)), 4: actForm(kk(4)), 5: actForm(kk(5)) },
  meals: {
    request: actForm({
      act: '002',
      heading: '1. SMS-хабарлама-бастау',
      first: 'Құрметті',
      end: '2. SMS-хабарлама',
      captions: [MEALS_CAPTION],
    }),
    refused: actForm({ act: '002', heading: '2. SMS-хабарлама', first: 'Сіз', end: '3. SMS-хабарлама' }),
    consented: actForm({ act: '002', heading: '3. SMS-хабарлама', first: 'Тегін', end: '|' }),
  },
} as const;

type Lang = 'kk' | 'ru';
interface Bank {
  readonly code: string;
  readonly nameKk: string;
  readonly nameRu: string;
  readonly link?: string;
}
/** A bank as the assignments job names it (CONTRACT.md: code and both names). */
const contractBank = ({ code, nameKk, nameRu }: Bank) => ({ code, nameKk, nameRu });
const name = (bank: Bank, lang: Lang) => (lang === 'kk' ? bank.nameKk : bank.nameRu);
/** The numbered list; Appendix 3 alone gives each bank's link ("воспользуйтесь нижеперечисленными ссылками"). */
const list = (banks: readonly Bank[], lang: Lang, links = false) =>
  banks.map((b, i) => `\n${i + 1}. ${name(b, lang)}${links && b.link ? ` ${b.link}` : ''}`).join('');
/** {code_service}: what was assigned, the service's vocabulary term (templates/locales). */
const benefit = (lang: Lang) =>
  (
    JSON.parse(readFileSync(path.join(REPO, 'templates', 'locales', `${lang}.json`), 'utf8')) as {
      services: { 'home-schooling': { benefit: string } };
    }
  ).services['home-schooling'].benefit;

const CODE = { ru: '{код услуги}', kk: '{қызмет коды}' } as const;
const LIST = {
  ru: ' {список банков с порядковым номером}/{bankListRu}',
  kk: ' {реттік нөмірі бар банктердің тізімі} / {bankListRu}',
} as const;
const SLOT = { ru: '{порядковый номер банка}', kk: '{Банктің реттік нөмірі}' } as const;
const FIO = { ru: '{ФИО}', kk: '{ТАӘ}' } as const;

/** Appendix 1-5 of 003 (ru) / 000 (kk) with the invitation's values. */
const appendix = {
  1: (lang: Lang, code: string, bank: Bank) =>
    fill(FORMS[lang][1], { [CODE[lang]]: code, '{payNameBankRu}': name(bank, lang) }),
  2: (lang: Lang, code: string, banks: readonly Bank[]) =>
    fill(FORMS[lang][2], { [CODE[lang]]: code, [LIST[lang]]: list(banks, lang) }, [SLOT[lang]]),
  3: (lang: Lang, banks: readonly Bank[]) => fill(FORMS[lang][3], { [LIST[lang]]: list(banks, lang, true) }),
  4: (lang: Lang, fullName: string) => fill(FORMS[lang][4], { [FIO[lang]]: fullName }),
  5: (lang: Lang, fullName: string, bank: Bank) =>
    fill(FORMS[lang][5], {
      [FIO[lang]]: fullName,
      '{code_service}': benefit(lang),
      [lang === 'kk' ? '{payNameBankKz}' : '{payNameBankRu}']: name(bank, lang),
    }),
};

// --- the gateway, the SMSC and the queues, from outside ------------------------------------------

const START = almaty(2026, 11, 24, 11); // Tuesday, a working day, inside 09:00-21:00
const clock = testClock(START);
let smsc: PerlSmsc;
let gateway: GatewayHandle;
let running: PerlGateway | undefined;
let api: PerlGateway['api'];
let invite: PerlGateway['invite'];
let nthSms: PerlGateway['nthSms'];
let reply: PerlGateway['reply'];
let stateOf: PerlGateway['stateOf'];
let settled: PerlGateway['settled'];
let assignments: Queue;
let outcomes: Queue;

beforeAll(async () => {
  if (skip) return;
  running = await startOnPerlSmsc({ name: 'acts', env: { SEND_WINDOW: '09:00-21:00' }, now: clock.now });
  ({ smsc, gateway, api, invite, nthSms, reply, stateOf, settled, assignments, outcomes } = running);
});
afterAll(async () => {
  await running?.stop();
});

/** A home-schooling invitation (CONTRACT.md: `fullName`, `serviceCode`, `banks`, `integratedBanks`). */
const homeSchooling = (externalId: string, msisdn: string, language: Lang, params: Record<string, unknown>) =>
  invite({ service: 'home-schooling', externalId, msisdn, language, params });

/**
 * The conversation's deadline (epoch ms) once it runs: it counts from the SMSC's acceptance of the
 * stage's SMS (003 item 10), which the gateway writes a moment after the submit_sm_resp, so the clock
 * moves only after it.
 */
const deadlineOf = async (id: string, from?: number): Promise<number> =>
  eventually(
    async () => {
      const { body } = await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent);
      if (typeof body.deadline !== 'string' || typeof body.deadlineFrom !== 'string') return undefined;
      if (from !== undefined && new Date(body.deadlineFrom).getTime() !== from) return undefined;
      return new Date(body.deadline).getTime();
    },
    `the deadline of ${id} to run`,
    WAIT_MS,
  );

const outcome = (id: string, what: string) =>
  eventually(() => outcomes.getJob(`${id}.${what}`), `the ${what} outcome of ${id}`, WAIT_MS);

/**
 * Opens the window at `at` and returns the SMS that went then: the `n`-th to `to`, submitted after this
 * moment of real time (the SMSC's log time), so one sent earlier in the night cannot pass for it.
 */
async function heldUntil(at: number, to: string, n: number): Promise<WholeSms> {
  const opened = Date.now();
  await tick(at);
  const sms = await nthSms(to, n);
  for (const part of sms.parts) expect(Number(part.line.ts_ms)).toBeGreaterThanOrEqual(opened);
  return sms;
}

const tick = async (at: number) => {
  clock.set(at);
  await gateway.sweeper.tick();
};

// Banks as the upstream systems name them.
const HALYK: Bank = { code: 'HSBKKZKX', nameKk: 'Қазақстан Халық Банкі', nameRu: 'Народный Банк Казахстана' };
const KASPI: Bank = {
  code: 'CASPKZKA',
  nameKk: 'Kaspi Bank',
  nameRu: 'Kaspi Bank',
  link: 'https://kaspi.kz/bank',
};
const OTBASY: Bank = { code: 'HCSKKZKA', nameKk: '«Отбасы банк» АҚ', nameRu: 'АО «Отбасы банк»' };
const FREEDOM: Bank = {
  code: 'KSNVKZKA',
  nameKk: 'Фридом Банк Қазақстан',
  nameRu: 'Фридом Банк Казахстан',
  link: 'https://bankffin.kz/ru/open-account',
};

describe.skipIf(skip)('the SMS of 003/000 word for word as the carrier receives them', () => {
  it('Appendix 1 (ru), #3#0 → Appendix 2 with the integrated banks, "123#3#1 2" consents to bank 2, the decision → Appendix 5', async () => {
    clock.set(START);
    const phone = '77071410001';
    const fullName = 'Сейітқызы Айгүл Маратқызы';
    const integrated = [HALYK, OTBASY, FREEDOM];
    const id = await homeSchooling('acts-ru-1', phone, 'ru', {
      fullName,
      serviceCode: '123',
      banks: [KASPI],
      integratedBanks: integrated,
    });
    expect((await nthSms(phone, 1)).text).toBe(appendix[1]('ru', '123', KASPI));

    await reply(phone, '123#3#0');
    const offer = await nthSms(phone, 2);
    expect(offer.text).toBe(appendix[2]('ru', '123', integrated));

    await reply(phone, '123#3#1 2');
    await stateOf(id, 'consented');
    const job = await eventually(() => assignments.getJob(id), 'the assignment', WAIT_MS);
    expect(job.data).toMatchObject({
      bank: contractBank(OTBASY),
      reply: { text: '123#3#1 2' },
      consentTemplate: { language: 'ru', text: offer.text },
    });
    // CONTRACT.md: sha256 is the hash of the template source the citizen consented to.
    const source = readFileSync(path.join(REPO, 'templates', 'ru', 'home-schooling.offer-several-banks.hbs'));
    expect(job.data.consentTemplate).toMatchObject({
      id: 'home-schooling.offer-several-banks',
      sha256: createHash('sha256').update(source).digest('hex'),
    });
    // The acknowledgement of the reply (the gateway's own words) is out before the decision comes.
    await nthSms(phone, 3);

    const decided = await api('POST', '/v1/events', {
      type: 'decision',
      conversationId: id,
      outcome: 'assigned',
    });
    expect(decided.status, JSON.stringify(decided.body)).toBeLessThan(300);
    await stateOf(id, 'assigned');
    expect((await nthSms(phone, 4)).text).toBe(appendix[5]('ru', fullName, OTBASY));
    // One outcome job of each kind, whatever the number of SMS and receipts behind it.
    for (const what of ['sent', 'delivered', 'consented', 'assigned']) await outcome(id, what);
    await settled();
    const mine = (await outcomes.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed'])).filter(
      (j) => (j.data as { conversationId: string }).conversationId === id,
    );
    expect(mine.map((j) => j.id).sort()).toEqual(
      ['assigned', 'consented', 'delivered', 'sent'].map((o) => `${id}.${o}`),
    );
  });

  it('Appendix 2 (kk) with 12 banks over many UCS2 parts, none cut at a boundary; "4567#3#1" without a number is told all 13 valid replies; "4567#3#110" picks bank 10; Appendix 5 (kk)', async () => {
    clock.set(START);
    const phone = '77071410002';
    const fullName = 'Жақсыбекова Әйгерім Нұрсұлтанқызы';
    const banks: Bank[] = Array.from({ length: 12 }, (_, i) => ({
      code: `BANK${i + 1}`,
      nameKk: `«${['Қазақстан Халық', 'Jusan', 'Bereke', 'ForteBank', 'Нұрбанк', 'Шинхан'][i % 6]} Банкі» АҚ № ${i + 1}`,
      nameRu: `АО «Банк № ${i + 1}»`,
    }));
    const id = await homeSchooling('acts-kk-2', phone, 'kk', {
      fullName,
      serviceCode: '4567',
      banks,
      integratedBanks: [HALYK],
    });
    const offer = await nthSms(phone, 1);
    expect(offer.text).toBe(appendix[2]('kk', '4567', banks));
    expect(offer.parts.length).toBeGreaterThanOrEqual(9);
    expect(offer.parts.every((p) => p.dataCoding === 8)).toBe(true);
    // The agent's timeline counts the parts the carrier took, and their receipts.
    await eventually(
      async () => {
        const { body } = await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent);
        const sms = (body.timeline as Array<Record<string, unknown>>).find((e) => e.kind === 'sms');
        return sms?.status === 'delivered' ? sms : undefined;
      },
      'the offer delivered',
      WAIT_MS,
    ).then((sms) => expect(sms).toMatchObject({ parts: offer.parts.length, text: offer.text }));

    // The bank number left out: the help names every valid reply, banks 10-12 too (it named the first 9).
    await reply(phone, '4567#3#1');
    const codes = [...banks.map((_, i) => `4567#3#1${i + 1}`), '4567#3#0'];
    expect((await nthSms(phone, 2)).text).toBe(`Жауап танылмады. Дұрыс жауаптар: ${codes.join(', ')}.`);
    await reply(phone, '4567#3#110');
    await stateOf(id, 'consented');
    const job = await eventually(() => assignments.getJob(id), 'the assignment', WAIT_MS);
    expect(job.data).toMatchObject({
      bank: contractBank(banks[9]!),
      consentTemplate: { language: 'kk', text: offer.text },
    });
    await nthSms(phone, 3);

    await api('POST', '/v1/events', { type: 'decision', conversationId: id, outcome: 'assigned' });
    expect((await nthSms(phone, 4)).text).toBe(appendix[5]('kk', fullName, banks[9]!));
  });

  it.each(['ru', 'kk'] as const)(
    'Appendix 3 (%s) lists the integrated banks with their links; the account opened (item 10) → Appendix 1 for that bank; "123＃3＃1" consents; a rejection sends nothing',
    async (lang) => {
      clock.set(START);
      const phone = lang === 'ru' ? '77071410003' : '77071410004';
      const integrated = [KASPI, HALYK, FREEDOM];
      const id = await homeSchooling(`acts-${lang}-3`, phone, lang, {
        fullName: 'Айгүл Сейітқызы',
        serviceCode: '123',
        banks: [],
        integratedBanks: integrated,
      });
      expect((await nthSms(phone, 1)).text).toBe(appendix[3](lang, integrated));
      await stateOf(id, 'awaiting_account');

      const opened = await api('POST', '/v1/events', {
        type: 'account-opened',
        conversationId: id,
        bank: FREEDOM.code,
      });
      expect(opened.status, JSON.stringify(opened.body)).toBeLessThan(300);
      const offer = await nthSms(phone, 2);
      expect(offer.text).toBe(appendix[1](lang, '123', FREEDOM));
      // Full-width number signs as some keyboards type them (corpus/replies.tsv).
      await reply(phone, '123＃3＃1');
      await stateOf(id, 'consented');
      const job = await eventually(() => assignments.getJob(id), 'the assignment', WAIT_MS);
      expect(job.data).toMatchObject({ bank: contractBank(FREEDOM), consentTemplate: { text: offer.text } });

      // A rejection has no form in the acts: the state and the outcome change, no SMS goes (003 item 14).
      await nthSms(phone, 3);
      const rejected = await api('POST', '/v1/events', {
        type: 'decision',
        conversationId: id,
        outcome: 'rejected',
        params: { reason: 'data-refuted' },
      });
      expect(rejected.status, JSON.stringify(rejected.body)).toBeLessThan(300);
      await stateOf(id, 'rejected');
      expect((await outcome(id, 'rejected')).data).toMatchObject({
        state: 'rejected',
        reason: 'data-refuted',
      });
      await settled();
      expect(smsTo(smsc.log, phone)).toHaveLength(3);
    },
  );

  it('the name in Appendix 5 with a character outside the BMP at the first part boundary: the surrogate pair is never cut', async () => {
    clock.set(START);
    const phone = '77071410005';
    // "Уважаемый(ая), " is 15 UTF-16 units; 51 more put the pair at units 66-67, across the 67-unit part.
    const fullName = `${'Ә'.repeat(50)} 𠀋 Айгүл`;
    const id = await homeSchooling('acts-ru-5-surrogate', phone, 'ru', {
      fullName,
      serviceCode: '123',
      banks: [HALYK],
      integratedBanks: [HALYK],
    });
    await nthSms(phone, 1);
    await reply(phone, '123#3#1');
    await stateOf(id, 'consented');
    await nthSms(phone, 2);
    await api('POST', '/v1/events', { type: 'decision', conversationId: id, outcome: 'assigned' });
    const assigned = await nthSms(phone, 3);
    expect(assigned.text).toBe(appendix[5]('ru', fullName, HALYK));
    expect(assigned.parts.length).toBeGreaterThan(1);
  });
});

describe.skipIf(skip)('deadlines of 003 (3 working days) and the window, through the carrier', () => {
  it('Appendix 2 (ru) → "123#3#0" (sent from a phone in UCS2) → Appendix 2 of the integrated banks → "123#3#0" → Appendix 3; no account in 3 working days after Kurban Ait (27 May 2026) → Appendix 4 (ru)', async () => {
    clock.set(almaty(2026, 5, 25, 10)); // Monday
    const phone = '77071410013';
    const fullName = 'Ермекова Айнұр Болатқызы';
    const banks = [KASPI, HALYK];
    const integrated = [OTBASY, FREEDOM];
    const id = await homeSchooling('acts-chain-ru', phone, 'ru', {
      fullName,
      serviceCode: '77',
      banks,
      integratedBanks: integrated,
    });
    expect((await nthSms(phone, 1)).text).toBe(appendix[2]('ru', '77', banks));
    expect(await reply(phone, '77#3#0', { coding: 'ucs2' })).toMatchObject({ data_coding: 8 });
    expect((await nthSms(phone, 2)).text).toBe(appendix[2]('ru', '77', integrated));
    await reply(phone, '77 #3#0');
    expect((await nthSms(phone, 3)).text).toBe(appendix[3]('ru', integrated));
    await stateOf(id, 'awaiting_account');
    // Sent Monday 25 May: 26 May, (27 May Kurban Ait, a religious day off), 28, 29 May: late from 30 May.
    expect(await deadlineOf(id, almaty(2026, 5, 25, 10))).toBe(almaty(2026, 5, 30, 0));
    await tick(almaty(2026, 5, 29, 23, 59));
    await settled();
    expect((await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent)).body.state).toBe(
      'awaiting_account',
    );
    await tick(almaty(2026, 5, 30, 0));
    await stateOf(id, 'expired');
    expect((await heldUntil(almaty(2026, 6, 1, 9), phone, 4)).text).toBe(appendix[4]('ru', fullName));
  });

  it('sent Friday 11 December 2026 before Independence Day (16 December): a reply at 17 December 23:59:59 consents; one at 18 December 00:00 is told at once it is late, and Appendix 4 of both late ones waits for 09:00', async () => {
    const friday = almaty(2026, 12, 11, 15);
    clock.set(friday);
    const [inTime, silent, late] = ['77071410011', '77071410012', '77071410014'];
    const params = {
      fullName: 'Омарова Гүлназ',
      serviceCode: '123',
      banks: [KASPI],
      integratedBanks: [KASPI],
    };
    const a = await homeSchooling('acts-dl-a', inTime, 'ru', params);
    const b = await homeSchooling('acts-dl-b', silent, 'kk', params);
    const c = await homeSchooling('acts-dl-c', late, 'ru', params);
    for (const msisdn of [inTime, silent, late]) await nthSms(msisdn, 1);
    // Working days after Friday 11th: 14, 15, 17 (16 December is a holiday): late from 18th 00:00.
    const deadline = almaty(2026, 12, 18, 0);
    for (const id of [a, b, c]) expect(await deadlineOf(id)).toBe(deadline);

    clock.set(almaty(2026, 12, 17, 23, 59, 59));
    await reply(inTime, '123#3#1');
    await stateOf(a, 'consented');

    // No sweep yet: the reply finds the deadline passed. Its answer goes at once, at night.
    clock.set(deadline);
    await reply(late, '123#3#1');
    await stateOf(c, 'expired');
    expect((await nthSms(late, 2)).text).toMatch(/^Срок ответа истек, ответ не принят\./);

    await tick(deadline);
    await stateOf(b, 'expired');
    await outcome(b, 'expired');
    // Midnight is outside the window: Appendix 4 is a notice the citizen did not ask for.
    await settled();
    expect(smsTo(smsc.log, silent)).toHaveLength(1);
    expect(smsTo(smsc.log, late)).toHaveLength(2);

    const opened = Date.now();
    expect((await heldUntil(almaty(2026, 12, 18, 9), silent, 2)).text).toBe(
      appendix[4]('kk', 'Омарова Гүлназ'),
    );
    const fourth = await nthSms(late, 3);
    expect(fourth.text).toBe(appendix[4]('ru', 'Омарова Гүлназ'));
    expect(Number(fourth.parts[0]!.line.ts_ms)).toBeGreaterThanOrEqual(opened);
    for (const id of [b, c]) expect(await assignments.getJob(id)).toBeUndefined();
  });

  it('over New Year 2025: the transfer made Sunday 5 January a working day, so it counts and the window opens on it', async () => {
    // Sent Friday 27 December 2024: 30, 31 December, (1-2 January holidays, 3 January the day off
    // transferred from Sunday 5 January), 5 January: late from Monday 6 January 00:00.
    clock.set(almaty(2024, 12, 27, 15));
    const [before, weekend] = ['77071410015', '77071410016'];
    const params = {
      fullName: 'Қасымова Ләззат',
      serviceCode: '123',
      banks: [KASPI],
      integratedBanks: [KASPI],
    };
    const a = await homeSchooling('acts-ny-a', before, 'kk', params);
    await nthSms(before, 1);
    expect(await deadlineOf(a)).toBe(almaty(2025, 1, 6, 0));

    // Posted on Saturday 4 January: it waits for the working Sunday's 09:00, not for Monday.
    clock.set(almaty(2025, 1, 4, 12));
    const b = await homeSchooling('acts-ny-b', weekend, 'kk', params);
    await stateOf(b, 'waiting');
    await tick(almaty(2025, 1, 5, 8, 59));
    await settled();
    expect(smsTo(smsc.log, weekend)).toEqual([]);
    expect((await heldUntil(almaty(2025, 1, 5, 9), weekend, 1)).text).toBe(appendix[1]('kk', '123', KASPI));
    // Sunday 5th does not count (the day of sending); 6th, (7th Orthodox Christmas), 8th, 9th: late from the 10th.
    expect(await deadlineOf(b, almaty(2025, 1, 5, 9))).toBe(almaty(2025, 1, 10, 0));

    await tick(almaty(2025, 1, 6, 0));
    await stateOf(a, 'expired');
    expect((await heldUntil(almaty(2025, 1, 6, 9), before, 2)).text).toBe(
      appendix[4]('kk', 'Қасымова Ләззат'),
    );
  });
});

describe.skipIf(skip)('002 school meals (kk) word for word, 3 + 3 calendar days', () => {
  const parentFullName = 'Нұрланова Сәуле Маратқызы';
  const childFullName = 'Нұрланов Ерасыл';
  /** A school-meals invitation (kk) to one number. */
  const meals = (externalId: string, msisdn: string) =>
    invite({
      service: 'school-meals',
      externalId,
      language: 'kk',
      msisdn,
      params: { parentFullName, childFullName },
    });
  const request = () =>
    fill(FORMS.meals.request, { ___________________: parentFullName, ___________: childFullName });

  it('to the mother first; no reply in 3 calendar days → the one repeat; "3#1" after it → the consent SMS with the wallet link', async () => {
    const monday = almaty(2026, 11, 30, 10);
    clock.set(monday);
    const [mother, father] = ['77071410021', '77071410022'];
    const id = await invite({
      service: 'school-meals',
      externalId: 'acts-meals-1',
      language: 'kk',
      recipients: [
        { role: 'father', msisdn: father },
        { role: 'mother', msisdn: mother },
      ],
      params: { parentFullName, childFullName },
    });
    expect((await nthSms(mother, 1)).text).toBe(request());
    // Sent Monday 30 November: 1, 2, 3 December, repeated at 4 December 00:00 → held until 09:00.
    expect(await deadlineOf(id)).toBe(almaty(2026, 12, 4, 0));
    await tick(almaty(2026, 12, 3, 23, 59));
    await settled();
    expect(smsTo(smsc.log, mother)).toHaveLength(1);
    await tick(almaty(2026, 12, 4, 0));
    expect((await heldUntil(almaty(2026, 12, 4, 9), mother, 2)).text).toBe(request());
    // The repeat's 3 calendar days count from its own sending.
    expect(await deadlineOf(id, almaty(2026, 12, 4, 9))).toBe(almaty(2026, 12, 8, 0));
    expect(smsTo(smsc.log, father)).toEqual([]);

    await reply(mother, '3#1');
    await stateOf(id, 'consented');
    expect((await nthSms(mother, 3)).text).toBe(fill(FORMS.meals.consented, {}));
    await eventually(() => assignments.getJob(id), 'the assignment', WAIT_MS);
  });

  it('"3 # 2" refuses with the act\'s refusal SMS; silence after the repeat closes the process with one closed outcome', async () => {
    clock.set(almaty(2026, 11, 30, 10));
    const [refusing, silent] = ['77071410023', '77071410024'];
    const refused = await meals('acts-meals-2', refusing);
    const guardian = '77071410025';
    // No mother's number: the father's, before the other legal representative's (002, item 9).
    const closed = await invite({
      service: 'school-meals',
      externalId: 'acts-meals-3',
      language: 'kk',
      recipients: [
        { role: 'guardian', msisdn: guardian },
        { role: 'father', msisdn: silent },
      ],
      params: { parentFullName, childFullName },
    });
    await nthSms(refusing, 1);
    await reply(refusing, '3 # 2');
    await stateOf(refused, 'refused');
    expect((await nthSms(refusing, 2)).text).toBe(fill(FORMS.meals.refused, {}));

    await nthSms(silent, 1);
    expect(await deadlineOf(closed)).toBe(almaty(2026, 12, 4, 0));
    await tick(almaty(2026, 12, 4, 9));
    await nthSms(silent, 2);
    expect(await deadlineOf(closed, almaty(2026, 12, 4, 9))).toBe(almaty(2026, 12, 8, 0));
    // The repeat went at 4 December 09:00: 5, 6, 7 December, closed from 8 December 00:00.
    await tick(almaty(2026, 12, 7, 23, 59));
    await settled();
    expect((await api('GET', `/v1/conversations/${closed}`, undefined, KEYS.agent)).body.state).toBe(
      'invited',
    );
    await tick(almaty(2026, 12, 8, 0));
    await stateOf(closed, 'closed');
    expect((await outcome(closed, 'closed')).data).toMatchObject({
      service: 'school-meals',
      state: 'closed',
    });
    await settled();
    expect(smsTo(smsc.log, silent)).toHaveLength(2);
    expect(smsTo(smsc.log, guardian)).toEqual([]);
  });

  it('a "3#1" one second after the first 3 calendar days, before the sweep, consents: the repeat asking the same question is not sent (it went at midnight, after the consent confirmation)', async () => {
    clock.set(almaty(2026, 11, 30, 10));
    const phone = '77071410028';
    const id = await meals('acts-meals-late-first', phone);
    await nthSms(phone, 1);
    expect(await deadlineOf(id)).toBe(almaty(2026, 12, 4, 0));
    clock.set(almaty(2026, 12, 4, 0, 0, 1));
    await reply(phone, '3#1');
    await stateOf(id, 'consented');
    expect((await nthSms(phone, 2)).text).toBe(fill(FORMS.meals.consented, {}));
    await settled();
    await tick(almaty(2026, 12, 4, 9));
    await settled();
    expect(smsTo(smsc.log, phone)).toHaveLength(2);
    const job = await eventually(() => assignments.getJob(id), 'the assignment', WAIT_MS);
    expect(job.data).toMatchObject({ reply: { text: '3#1' }, consentTemplate: { text: request() } });
  });

  it('a "3#1" at 23:59:59 on the last calendar day after the repeat consents; the first second of the next day is late', async () => {
    clock.set(almaty(2026, 11, 30, 10));
    const [inTime, late] = ['77071410026', '77071410027'];
    const ids = [];
    for (const [n, msisdn] of [inTime, late].entries()) {
      ids.push(
        await invite({
          service: 'school-meals',
          externalId: `acts-meals-last-${n}`,
          language: 'kk',
          msisdn,
          params: { parentFullName, childFullName },
        }),
      );
      await nthSms(msisdn, 1);
      await deadlineOf(ids[n]!);
    }
    await tick(almaty(2026, 12, 4, 9));
    for (const [n, msisdn] of [inTime, late].entries()) {
      await nthSms(msisdn, 2);
      expect(await deadlineOf(ids[n]!, almaty(2026, 12, 4, 9))).toBe(almaty(2026, 12, 8, 0));
    }
    clock.set(almaty(2026, 12, 7, 23, 59, 59));
    await reply(inTime, '3#1');
    await stateOf(ids[0]!, 'consented');
    expect((await nthSms(inTime, 3)).text).toBe(fill(FORMS.meals.consented, {}));
    clock.set(almaty(2026, 12, 8, 0));
    await reply(late, '3#1');
    await stateOf(ids[1]!, 'closed');
    await settled();
    expect(await assignments.getJob(ids[1]!)).toBeUndefined();
  });
});

describe.skipIf(skip)('replies the acts do not define, and the night, through the carrier', () => {
  it('"Иә" and "123#31" (corpus: no valid reply) record nothing: one "not understood" SMS naming the exact replies, then "123 #3#1" as Appendix 1 writes it consents', async () => {
    clock.set(START);
    const phone = '77071410031';
    const id = await homeSchooling('acts-help-1', phone, 'kk', {
      fullName: 'Айгүл Сейітқызы',
      serviceCode: '123',
      banks: [HALYK],
      integratedBanks: [HALYK],
    });
    await nthSms(phone, 1);
    await reply(phone, 'Иә');
    expect((await nthSms(phone, 2)).text).toBe('Жауап танылмады. Дұрыс жауаптар: 123#3#1, 123#3#0.');
    // Within the help interval the second one is recorded without another SMS.
    await reply(phone, '123#31');
    await settled();
    expect(smsTo(smsc.log, phone)).toHaveLength(2);
    expect(await assignments.getJob(id)).toBeUndefined();
    expect((await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent)).body.state).toBe('invited');

    await reply(phone, '123 #3#1');
    await stateOf(id, 'consented');
    expect((await assignments.getJob(id))?.data).toMatchObject({ bank: contractBank(HALYK) });
  });

  it('a consent at 23:30 is answered at once; the decision at 23:40 sends Appendix 5 only at 09:00 the next working day', async () => {
    clock.set(START);
    const phone = '77071410032';
    const fullName = 'Серікова Дана';
    const id = await homeSchooling('acts-night-1', phone, 'ru', {
      fullName,
      serviceCode: '123',
      banks: [HALYK],
      integratedBanks: [HALYK],
    });
    await nthSms(phone, 1);
    await deadlineOf(id);
    // Friday 27 November 2026, 23:30 Almaty: outside the window, but the citizen asked.
    clock.set(almaty(2026, 11, 27, 23, 30));
    await reply(phone, '123#3#1');
    await stateOf(id, 'consented');
    await nthSms(phone, 2);

    clock.set(almaty(2026, 11, 27, 23, 40));
    await api('POST', '/v1/events', { type: 'decision', conversationId: id, outcome: 'assigned' });
    await stateOf(id, 'assigned');
    await settled();
    expect(smsTo(smsc.log, phone)).toHaveLength(2);
    // Saturday and Sunday are no working days: the notice waits for Monday 30 November, 09:00.
    await tick(almaty(2026, 11, 30, 8, 59));
    await settled();
    expect(smsTo(smsc.log, phone)).toHaveLength(2);
    expect((await heldUntil(almaty(2026, 11, 30, 9), phone, 3)).text).toBe(
      appendix[5]('ru', fullName, HALYK),
    );
  });
});

describe.skipIf(skip)('004: two months from the day the programme reached the portal', () => {
  it('data received 25 August 2026: open at 25 October 23:59; blocked at 26 October 00:00, its SMS held over the moved day off until Tuesday 27 October 09:00', async () => {
    clock.set(almaty(2026, 10, 20, 10));
    const phone = '77071410041';
    const id = await invite({
      service: 'social-portal',
      externalId: 'acts-portal-1',
      msisdn: phone,
      language: 'kk',
      params: { fullName: 'Ахметова Жанар', dataReceivedOn: '2026-08-25' },
    });
    const notice = await nthSms(phone, 1);
    // 004 describes the SMS without wording: item 9's and item 10's own terms are in it.
    expect(notice.text).toContain('авторландырудан');
    expect(notice.text).toContain('екі ай ішінде');
    expect(await deadlineOf(id)).toBe(almaty(2026, 10, 26, 0));

    await tick(almaty(2026, 10, 25, 23, 59));
    await settled();
    expect((await api('GET', `/v1/conversations/${id}`, undefined, KEYS.agent)).body.state).toBe('invited');
    await tick(almaty(2026, 10, 26, 0));
    await stateOf(id, 'closed');
    // 25 October (Republic Day) fell on a Sunday: Monday 26 October is its day off.
    await tick(almaty(2026, 10, 27, 8, 59));
    await settled();
    expect(smsTo(smsc.log, phone)).toHaveLength(1);
    const blocked = await heldUntil(almaty(2026, 10, 27, 9), phone, 2);
    expect(blocked.text).toContain('бұғатталды');
    expect(blocked.text).toContain('"жеткізушіні таңдауды іске қосу"');
  });
});
