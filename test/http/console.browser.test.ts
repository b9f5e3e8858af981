/**
 * The agent console in a real browser: Debian's chromium driven by playwright-core, in Kazakh
 * and Russian, at a desktop (1366×768) and a phone (390×844) size. Every screen is checked for
 * English words outside the citizen's own texts and technical details, and for horizontal
 * scrolling; a failed search must leave nothing of the previous caller on screen; a reply
 * reaches the open conversation without a click; a revoked key is refused at once. Screenshots
 * go to artifacts/console/ (docs/console/ holds copies of them).
 * Longer than 300 lines: one browser session per language and screen size, sharing its setup.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReply } from '../../parsers/reply.js';
import { HALYK, homeSchoolingParams, KASPI, markSent } from '../support/core.js';
import { chromium, missing } from '../support/requires.js';
import { createTestApp, KEYS, type TestApp } from './harness.js';

const skip = missing(chromium);
const CHROMIUM = chromium().found ?? 'chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WAIT = { timeout: 10_000 };
const SIZES = [
  { name: 'desktop', width: 1366, height: 768 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const LANGS = ['ru', 'kk'] as const;
const SHOTS = 'artifacts/console';

let t: TestApp;
let server: Server;
let base: string;
let browser: Browser;
let conversationId: string;
let agentKey: string;
let supervisorKey: string;

async function api(path: string, key: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function reply(id: string, text: string, ref: string) {
  t.core.clock.advance(60_000);
  const r = { text, receivedAt: t.core.clock.now(), smscMessageId: ref };
  await t.core.conversations.apply(id, { type: 'reply', parsed: parseReply(text), reply: r }, `reply:${ref}`);
}

beforeAll(async () => {
  t = await createTestApp({ lookupLimit: { burst: 10_000, perSecond: 100 } });
  server = await new Promise<Server>((resolve) => {
    const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!skip) browser = await playwright.launch({ executablePath: CHROMIUM, args: ARGS });
  agentKey = String(
    (await api('/v1/keys', KEYS.supervisor, { person: 'a.nurlanova', role: 'agent' })).body.key,
  );
  supervisorKey = String(
    (await api('/v1/keys', KEYS.supervisor, { person: 'b.sadykov', role: 'supervisor' })).body.key,
  );
  const created = await api('/v1/invitations', KEYS.system, {
    service: 'home-schooling',
    externalId: 'browser-1',
    msisdn: '+7 701 777 12 34',
    language: 'ru',
    params: homeSchoolingParams([HALYK, KASPI]),
    campaign: 'hs-2026-11',
  });
  expect(created.status).toBe(202);
  conversationId = String(created.body.conversationId);
  // The SMSC accepts the invitation: its 3 working days count from now (003 item 10).
  await markSent(t.core, conversationId);
  t.core.clock.advance(90_000);
  await t.core.store.append(conversationId, {
    at: t.core.clock.now(),
    kind: 'sms-status',
    smsId: '0.0',
    status: 'delivered',
  });
  // A reply not understood: the worklist has it, the timeline says why in the agent's words.
  await reply(conversationId, 'да', 'mo-browser-1');
  // Another conversation whose invitation the carrier could not deliver (a supervisor's action).
  const lost = await t.core.conversations.invite({
    service: 'school-meals',
    externalId: 'browser-2',
    msisdn: '77017771235',
    language: 'kk',
    params: { parentFullName: 'Айгүл Сейітқызы', childFullName: 'Арман Серікұлы' },
  });
  await t.core.store.append(lost.conversation.id, {
    at: t.core.clock.now(),
    kind: 'sms-status',
    smsId: '0.0',
    status: 'failed',
  });
  await t.core.worklists.undelivered(lost.conversation, t.core.clock.now());
  await t.core.conversations.apply(lost.conversation.id, {
    type: 'delivery-failed',
    templateId: lost.conversation.consentTemplate?.id ?? '',
    status: 'UNDELIV',
  });
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
});

/** Latin words an agent may read: bank names, SMS, the portal's address. */
const ALLOWED = new Set(['SMS', 'Kaspi', 'Bank', 'Halyk', 'egov', 'kz', 'aleumet', 'API']);

/**
 * Latin words in what the page shows, leaving out the citizen's own texts and the SMS (`pre`,
 * `code`), data (`.data`: ids, campaign names, the person's login) and closed "details".
 */
async function englishOnScreen(page: Page): Promise<string[]> {
  // A string, not a function: the test's types have no DOM (the page runs it as it is).
  const text = await page.evaluate<string>(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest('pre, code, .data, option, script, style')) continue;
      const closed = parent.closest('details:not([open])');
      if (closed && !parent.closest('summary')) continue;
      if (!parent.checkVisibility()) continue;
      out.push(node.textContent ?? '');
    }
    return out.join(' ');
  })()`);
  return (text.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !ALLOWED.has(w));
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const [scroll, client] = await page.evaluate<[number, number]>(
    '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
  );
  expect(scroll).toBeLessThanOrEqual(client);
}

async function login(page: Page, key: string, lang: 'kk' | 'ru') {
  await page.goto(`${base}/console/`);
  await page.getByTestId('lang').selectOption(lang);
  await page.getByTestId('key').fill(key);
  await page.getByTestId('key-save').click();
  await page.getByTestId('msisdn').waitFor({ state: 'visible', ...WAIT });
}

async function check(page: Page, shot: string | null, scrollTo?: string) {
  expect(await englishOnScreen(page)).toEqual([]);
  await noHorizontalScroll(page);
  if (scrollTo) await page.locator(scrollTo).first().scrollIntoViewIfNeeded();
  if (shot) await page.screenshot({ path: `${SHOTS}/${shot}.png` });
}

describe.skipIf(skip).each(LANGS.flatMap((lang) => SIZES.map((size) => [lang, size] as const)))(
  'the console in %s at %o',
  (lang, size) => {
    let page: Page;
    const shot = (name: string) =>
      size.name === 'desktop' || name === 'conversation' ? `${name}-${lang}-${size.name}` : null;
    beforeAll(async () => {
      page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
    });
    afterAll(async () => {
      await page.close();
    });

    it('logs in, searches a number and opens the conversation: every word in the language, times in Almaty', async () => {
      await login(page, agentKey, lang);
      await check(page, shot('login'));
      await page.getByTestId('msisdn').fill('8 701 777 12 34');
      await page.getByTestId('search').click();
      const row = page.getByTestId('row');
      await row.first().waitFor(WAIT);
      expect(await row.count()).toBe(1);
      const rowText = await row.first().innerText();
      expect(rowText).toContain(lang === 'ru' ? 'Ожидается ответ' : 'Жауап күтілуде');
      expect(rowText).toContain('hs-2026-11');
      expect(rowText).toContain(conversationId.slice(-6));
      expect(rowText).toContain('Алматы');
      await check(page, shot('search'));

      await page.getByTestId(`open-${conversationId}`).click();
      await page.getByTestId('sms-text').first().waitFor(WAIT);
      // Which act and version the invitation followed (templates/sets/).
      expect(await page.getByTestId('sms-act').first().innerText()).toMatch(
        lang === 'ru'
          ? /^Акт: № 42 .*, 2024-02-16, .*Appendix 1-5.* · текст акта · Набор текстов: home-schooling\.2024-02-16 [0-9a-f]{12}$/
          : /^Акт: № 42 .*, 2024-02-16, .*Appendix 1-5.* · актінің мәтіні · Мәтіндер жинағы: home-schooling\.2024-02-16 [0-9a-f]{12}$/,
      );
      const codes = await page.getByTestId('script-codes').innerText();
      expect(codes).toContain(
        lang === 'ru' ? '123#3#12 — согласие, Kaspi Bank' : '123#3#12 — келісім, Kaspi Bank',
      );
      expect(await page.getByTestId('script-days').innerText()).toBe(
        lang === 'ru' ? '3 рабочих дня после сегодняшнего' : 'бүгіннен кейін 3 жұмыс күні',
      );
      expect(await page.locator('li.reply').innerText()).toContain(
        lang === 'ru' ? 'слово «да» без кода' : 'кодсыз «иә» сөзі',
      );
      expect(await page.getByTestId('detail-deadline').innerText()).toMatch(
        /27 (ноября|қараша) 23:59 Алматы/,
      );
      expect(await page.getByTestId('updated').innerText()).toMatch(/\d\d:\d\d:\d\d Алматы/);
      await check(page, shot('conversation'), '#detail');
      // Technical fields are there, behind the toggle.
      await page.locator('li.sms details.tech summary').first().click();
      expect(await page.locator('li.sms details.tech[open]').first().innerText()).toContain('templateId');
    });

    it('a failed search clears the previous results before anything else, with the error in the language', async () => {
      await page.getByTestId('msisdn').fill('12345');
      await page.getByTestId('search').click();
      await page.getByTestId('error').waitFor({ state: 'visible', ...WAIT });
      expect(await page.getByTestId('row').count()).toBe(0);
      expect(await page.getByTestId('detail').isHidden()).toBe(true);
      expect(await page.getByTestId('results-section').isHidden()).toBe(true);
      // What the number takes, not only that it is wrong.
      expect(await page.getByTestId('error').innerText()).toBe(
        lang === 'ru'
          ? 'Номер телефона: 11 цифр, начиная с 7 (можно +7… или 8…)'
          : 'Телефон нөмірі: 7-ден басталатын 11 цифр (+7… немесе 8… деп те жазуға болады)',
      );
      await check(page, null);
    });

    it("shows today's worklists, and finds by the inviting system's reference and by conversation id", async () => {
      await page.getByTestId('wl-not-understood').click();
      await page.getByTestId(`open-${conversationId}`).waitFor(WAIT);
      await check(page, shot('worklist'));
      await page.getByTestId('wl-undelivered').click();
      await page.getByTestId('row').first().waitFor(WAIT);
      expect(await page.getByTestId(`open-${conversationId}`).count()).toBe(0);

      await page.getByTestId('search-by').selectOption('reference');
      await page.getByTestId('ref-service').selectOption('home-schooling');
      await page.getByTestId('ref-external').fill('browser-1');
      await page.getByTestId('search').click();
      await page.getByTestId(`open-${conversationId}`).waitFor(WAIT);
      expect(await page.getByTestId('row').count()).toBe(1);

      await page.getByTestId('search-by').selectOption('id');
      await page.getByTestId('conv-id').fill(conversationId);
      await page.getByTestId('search').click();
      await page.getByTestId('script-codes').waitFor(WAIT);
      await check(page, null);
      await page.getByTestId('search-by').selectOption('msisdn');
    });
  },
);

describe.skipIf(skip)('the console follows its conversation and its key', () => {
  it('a reply arriving while the conversation is open appears without a click, with a fresh "updated" time', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${base}/console/`);
    await page.evaluate("document.body.setAttribute('data-poll-ms', '300')");
    await page.getByTestId('lang').selectOption('ru');
    await page.getByTestId('key').fill(agentKey);
    await page.getByTestId('key-save').click();
    await page.getByTestId('search-by').selectOption('id');
    await page.getByTestId('conv-id').fill(conversationId);
    await page.getByTestId('search').click();
    await page.getByTestId('script-codes').waitFor(WAIT);
    const before = await page.locator('li.reply').count();
    await reply(conversationId, '123#3#0', 'mo-browser-live');
    await expect.poll(() => page.locator('li.reply').count(), WAIT).toBe(before + 1);
    expect(await page.locator('li.reply').last().innerText()).toContain('просит предложить другой банк');
    expect(await page.getByTestId('script-codes').innerText()).toContain('123#3#0');
    await page.close();
  });

  it('hides the conversation after the idle time, so the next caller does not see it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await login(page, agentKey, 'kk');
    await page.getByTestId('msisdn').fill('77017771234');
    await page.getByTestId('search').click();
    await page.getByTestId('row').first().waitFor(WAIT);
    await page.evaluate("document.body.setAttribute('data-idle-ms', '800')");
    await page.getByTestId('idle').waitFor({ state: 'visible', ...WAIT });
    expect(await page.getByTestId('row').count()).toBe(0);
    expect(await page.getByTestId('results-section').isHidden()).toBe(true);
    await page.close();
  });

  it('a supervisor resends an undelivered SMS with a reason and annotates; the page shows both', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await login(page, supervisorKey, 'ru');
    await page.getByTestId('wl-undelivered').click();
    await page.getByTestId('row').first().locator('button').click();
    await page.getByTestId('resend-0.0').waitFor(WAIT);
    await check(page, 'supervisor-ru-desktop', 'li.sms');
    await page.getByTestId('resend-reason-0.0').fill('номер подтверждён по телефону');
    await page.getByTestId('resend-0.0').click();
    await page.getByTestId('action-done').waitFor({ state: 'visible', ...WAIT });
    expect(await page.getByTestId('detail-state').innerText()).toBe('Ожидается ответ');
    expect(await page.getByTestId('timeline').locator('li.sms').count()).toBe(2);
    await page.getByTestId('note-text').fill('Перезвонили, ответит сегодня');
    await page.getByTestId('annotate').click();
    await expect.poll(() => page.locator('li.note').count(), WAIT).toBe(2);
    expect(await page.locator('li.note').last().innerText()).toContain('Перезвонили, ответит сегодня');
    await page.getByTestId('lang').selectOption('kk');
    await expect.poll(() => page.getByTestId('detail-state').innerText(), WAIT).toBe('Жауап күтілуде');
    await check(page, 'supervisor-kk-desktop', '#actions');
    await page.close();
  });

  it('a supervisor unmasking without a reason in words is told what the reason takes, then sees the number', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await login(page, supervisorKey, 'kk');
    await expect.poll(() => page.getByTestId('whoami').innerText(), WAIT).toBe('b.sadykov');
    await page.getByTestId('msisdn').fill('77017771234');
    await page.getByTestId('reason').fill('керек');
    await page.getByTestId('search').click();
    await page.getByTestId('error').waitFor({ state: 'visible', ...WAIT });
    expect(await page.getByTestId('error').innerText()).toBe(
      'Себебін кемінде үш сөзбен жазыңыз, мысалы «азамат қоңырау шалды, өтініш 881»',
    );
    await page.getByTestId('reason').fill('азамат қоңырау шалды, өтініш 881');
    await page.getByTestId('search').click();
    await page.getByTestId('row').first().waitFor(WAIT);
    await page.getByTestId('row').first().locator('button').click();
    await page.getByTestId('detail').waitFor({ state: 'visible', ...WAIT });
    await expect.poll(() => page.getByTestId('detail').innerText(), WAIT).toContain('77017771234');
    await page.close();
  });

  it('a supervisor creates a key in the page and revokes it there: refused at once at the next search', async () => {
    const boss = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await login(boss, supervisorKey, 'ru');
    await boss.getByTestId('new-person').fill('c.leaver');
    await boss.getByTestId('key-create').click();
    await boss.getByTestId('new-key').waitFor({ state: 'visible', ...WAIT });
    const key = await boss.getByTestId('new-key').innerText();
    expect(key).toMatch(/^gw1414_/);
    await boss.getByTestId('revoke-c.leaver').waitFor(WAIT);
    await check(boss, 'keys-ru-desktop', '#keys');

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await login(page, key, 'ru');
    // The page asks /v1/me after the search box shows: wait for its answer, not for the box.
    await expect.poll(() => page.getByTestId('whoami').innerText(), WAIT).toBe('c.leaver');
    await page.getByTestId('msisdn').fill('77017771234');
    await page.getByTestId('search').click();
    await page.getByTestId('row').first().waitFor(WAIT);

    await boss.getByTestId('revoke-reason').fill('left the team');
    await boss.getByTestId('revoke-c.leaver').click();
    await boss.getByTestId('revoke-c.leaver').waitFor({ state: 'detached', ...WAIT });
    await boss.getByTestId('lang').selectOption('kk');
    await expect.poll(() => boss.getByTestId('revoke-a.nurlanova').innerText(), WAIT).toBe('Қайтарып алу');
    await check(boss, 'keys-kk-desktop', '#keys');

    await page.getByTestId('search').click();
    await page.getByTestId('key').waitFor({ state: 'visible', ...WAIT });
    expect(await page.locator('#work').isHidden()).toBe(true);
    expect(await page.getByTestId('row').count()).toBe(0);
    expect(await page.getByTestId('error').innerText()).toBe('Ключ не принят');
    await page.close();
    await boss.close();
  });
});
