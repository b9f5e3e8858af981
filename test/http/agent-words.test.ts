/**
 * Every word the console shows comes from the kk and ru catalogues: reply meanings, causes,
 * stages, events and the script, for conversations driven through the real core.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationSchema } from '../../gateway/http/schemas.js';
import { parseReply } from '../../parsers/reply.js';
import { HALYK, homeSchoolingParams, KASPI, markSent } from '../support/core.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Latin words an agent may read in Kazakh or Russian: bank names, SMS, the portal's address. */
const ALLOWED = new Set(['SMS', 'Kaspi', 'Bank', 'Halyk', 'egov', 'kz', 'aleumet']);
const latinWords = (text: string) => (text.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !ALLOWED.has(w));

async function reply(id: string, text: string, n: number) {
  t.core.clock.advance(60_000);
  const r = { text, receivedAt: t.core.clock.now(), smscMessageId: `mo-words-${id}-${n}` };
  await t.core.conversations.apply(
    id,
    { type: 'reply', parsed: parseReply(text), reply: r },
    `reply:${r.smscMessageId}`,
  );
}

async function view(id: string) {
  const res = await request(t.app).get(`/v1/conversations/${id}`).set('Authorization', bearer('agent'));
  expect(res.status).toBe(200);
  return conversationSchema.parse(res.body);
}

/** Everything a view says in words, per language (not the citizen's own texts or the SMS). */
function words(body: ReturnType<typeof conversationSchema.parse>, lang: 'kk' | 'ru'): string[] {
  const out = [body.nextStep[lang], body.stageText[lang], body.script.happened[lang], body.script.can[lang]];
  if (body.script.daysLeft) out.push(body.script.daysLeft[lang]);
  for (const r of body.script.replies) out.push(r.meaning[lang]);
  for (const e of body.timeline) {
    for (const field of ['says', 'stageSays'] as const) {
      const v = e[field] as Record<string, string> | undefined;
      if (v) out.push(v[lang] ?? '');
    }
  }
  return out;
}

describe("the agent's words", () => {
  it('home-schooling with several banks: codes with their meaning, not-understood replies and the consent, all in kk and ru', async () => {
    const { conversation } = await t.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'words-1',
      msisdn: '77015550001',
      language: 'ru',
      params: homeSchoolingParams([HALYK, KASPI]),
    });
    const id = conversation.id;
    // The SMSC accepts the offer: its deadline counts from now (003 item 10).
    await markSent(t.core, id);
    const first = await view(id);
    expect(first.script.replies.map((r) => `${r.code} — ${r.meaning.ru}`)).toEqual([
      '123#3#11 — согласие, Народный банк (Halyk)',
      '123#3#12 — согласие, Kaspi Bank',
      '123#3#0 — просит предложить другой банк',
    ]);
    expect(first.script.replies[1]?.meaning.kk).toBe('келісім, Kaspi Bank');
    // Invited Tuesday 24 November 2026: 25, 26, 27 November are the three working days (003, item 9).
    expect(first.script.daysLeft).toEqual({
      ru: '3 рабочих дня после сегодняшнего',
      kk: 'бүгіннен кейін 3 жұмыс күні',
    });
    expect(first.stageText.ru).toContain('Приложение 2');

    await reply(id, 'да', 1);
    await reply(id, '123#3#19', 2);
    await reply(id, '123#3#12', 3);
    const body = await view(id);
    const replies = body.timeline.filter((e) => e.kind === 'reply').map((e) => (e.says as { ru: string }).ru);
    expect(replies).toEqual([
      'слово «да» без кода: согласием не считается',
      'банка с таким номером нет в списке',
      'согласие, Kaspi Bank',
    ]);
    const transitions = body.timeline.filter((e) => e.kind === 'transition');
    expect(transitions.map((e) => (e.says as { ru: string }).ru)).toEqual([
      'отправлено приглашение',
      'ответ гражданина 123#3#12',
    ]);
    expect(body.script.replies).toEqual([]);
    expect(body.script.daysLeft).toBeNull();
    for (const lang of ['kk', 'ru'] as const) expect(words(body, lang).flatMap(latinWords)).toEqual([]);
  });

  it('an event, a decision and a deadline are named in both languages, never by their ids', async () => {
    const { conversation } = await t.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'words-2',
      msisdn: '77015550002',
      language: 'kk',
      params: homeSchoolingParams([KASPI]),
    });
    const id = conversation.id;
    await reply(id, '123#3#1', 1);
    await t.core.conversations.upstream(id, 'decision', { outcome: 'assigned', key: 'd-1' });
    const body = await view(id);
    const event = body.timeline.find((e) => e.kind === 'event');
    expect(event?.says).toEqual({ ru: 'решение: назначено', kk: 'шешім: тағайындалды' });
    const last = body.timeline.filter((e) => e.kind === 'transition').at(-1);
    expect(last?.says).toEqual({ ru: 'сообщение ведомства: решение', kk: 'ведомство хабары: шешім' });
    for (const lang of ['kk', 'ru'] as const) expect(words(body, lang).flatMap(latinWords)).toEqual([]);

    const { conversation: late } = await t.core.conversations.invite({
      service: 'school-meals',
      externalId: 'words-3',
      msisdn: '77015550003',
      language: 'ru',
      params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
    });
    await markSent(t.core, late.id);
    const meals = await view(late.id);
    expect(meals.script.replies.map((r) => `${r.code} — ${r.meaning.ru}`)).toEqual([
      '3#1 — согласие на бесплатное питание',
      '3#2 — отказ',
    ]);
    expect(meals.script.daysLeft?.ru).toBe('3 календарных дня после сегодняшнего');
    t.core.clock.advance(4 * 86_400_000);
    await t.core.conversations.apply(late.id, { type: 'deadline' });
    const repeated = await view(late.id);
    expect(repeated.timeline.filter((e) => e.kind === 'transition').at(-1)?.says).toEqual({
      ru: 'истёк срок ответа',
      kk: 'жауап беру мерзімі өтті',
    });
    for (const lang of ['kk', 'ru'] as const) expect(words(repeated, lang).flatMap(latinWords)).toEqual([]);
  });

  it('a waiting invitation says why it waits: the window, or the number’s other request', async () => {
    const meals = { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман' };
    const invite = (externalId: string, msisdn: string) =>
      t.core.conversations.invite({
        service: 'school-meals',
        externalId,
        msisdn,
        language: 'ru',
        params: meals,
      });
    t.core.clock.set(Date.UTC(2026, 10, 24, 6, 0));
    await invite('words-5a', '77015550005');
    const behind = await invite('words-5b', '77015550005');
    t.core.clock.set(Date.UTC(2026, 10, 24, 17, 0));
    const night = await invite('words-6', '77015550006');
    const says = async (id: string) => (await view(id)).timeline.find((e) => e.says)?.says;
    expect(await says(behind.conversation.id)).toEqual({
      kk: 'кейінге қалдырылды: осы нөмірде жауабы кодсыз берілетін басқа сұрау ашық',
      ru: 'отложено: по этому номеру открыт другой запрос, ответ на который идёт без кода',
    });
    expect(await says(night.conversation.id)).toEqual({
      kk: 'кейінге қалдырылды: хабарлама жіберу уақытынан тыс',
      ru: 'отложено: вне времени отправки уведомлений',
    });
    // What to tell the caller names both reasons and that no deadline runs yet.
    expect((await view(behind.conversation.id)).nextStep.ru).toMatch(
      /другой запрос этого номера; срок еще не идет/,
    );
  });

  it('social-portal counts its two months in months and days', async () => {
    // A working morning: outside the sending window the notice would wait, and nothing counts yet.
    t.core.clock.set(Date.UTC(2026, 10, 24, 6, 0));
    const { conversation } = await t.core.conversations.invite({
      service: 'social-portal',
      externalId: 'words-4',
      msisdn: '77015550004',
      language: 'ru',
      params: {
        fullName: 'Айгүл Сейітқызы',
        dataReceivedOn: t.core.calendar.toAlmaty(new Date(t.core.clock.now())).date,
      },
    });
    const body = await view(conversation.id);
    expect(body.script.replies).toEqual([]);
    expect(body.script.daysLeft?.ru).toMatch(/^(1|2) месяц/);
    // A notice that asks for no reply: the agent never tells the citizen to answer it.
    expect(body.nextStep.ru).toMatch(/^Отвечать на SMS не нужно/);
    expect(body.nextStep.kk).toMatch(/^SMS-ке жауап берудің қажеті жоқ/);
    expect(body.script.happened.ru).toMatch(
      /^Гражданину отправлено уведомление; ответа по SMS не требуется\./,
    );
    for (const lang of ['kk', 'ru'] as const) {
      expect(`${body.nextStep[lang]} ${body.script.happened[lang]}`).not.toMatch(
        /ждём ответа|жауап күтілуде|ответить на SMS|жауап беруі керек/,
      );
    }
    for (const lang of ['kk', 'ru'] as const) expect(words(body, lang).flatMap(latinWords)).toEqual([]);
  });
});
