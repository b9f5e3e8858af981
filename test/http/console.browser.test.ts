/**
 * The agent console in a real browser (issue 7, point 3): Debian's chromium
 * driven by playwright-core searches a number the test created, opens the
 * conversation and reads its timeline. The screenshot is a test artefact
 * (artifacts/console.png, gitignored; docs/console.png is a copy of one).
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReply } from '../../parsers/reply.js';
import { homeSchoolingParams, markSent } from '../support/core.js';
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

let t: TestApp;
let server: Server;
let base: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  t = await createTestApp();
  server = await new Promise<Server>((resolve) => {
    const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await playwright.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1100, height: 1400 }, locale: 'ru-RU' });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
});

async function createConversation(): Promise<string> {
  const res = await fetch(`${base}/v1/invitations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEYS.system}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      service: 'home-schooling',
      externalId: 'browser-1',
      msisdn: '+7 701 777 12 34',
      language: 'ru',
      params: homeSchoolingParams(),
    }),
  });
  expect(res.status).toBe(202);
  const { conversationId } = (await res.json()) as { conversationId: string };
  t.core.clock.advance(90_000);
  await t.core.store.append(conversationId, {
    at: t.core.clock.now(),
    kind: 'sms-status',
    smsId: '0.0',
    status: 'delivered',
  });
  // The citizen asks for another bank (003, Appendix 1: 123#3#0): a reply, a transition and a second SMS.
  t.core.clock.advance(10 * 60_000);
  const reply = { text: '123#3#0', receivedAt: t.core.clock.now(), smscMessageId: 'mo-browser-1' };
  await t.core.conversations.apply(
    conversationId,
    { type: 'reply', parsed: parseReply(reply.text), reply },
    'reply:mo-browser-1',
  );
  // The SMSC accepts the second offer: its 3 working days count from now.
  await markSent(t.core, conversationId);
  return conversationId;
}

describe.skipIf(skip)('agent console in chromium', () => {
  it('finds a number, opens the conversation and shows the SMS, its delivery, the state and the next step', async () => {
    const id = await createConversation();
    await page.goto(`${base}/console/`);
    await page.getByTestId('key').fill(KEYS.agent);
    await page.getByTestId('key-save').click();
    await page.getByTestId('msisdn').fill('8 701 777 12 34');
    await page.getByTestId('search').click();

    const row = page.getByTestId('row');
    await row.first().waitFor(WAIT);
    expect(await row.count()).toBe(1);
    expect(await row.first().innerText()).toContain('Ожидается ответ');
    expect(await row.first().innerText()).toContain('27 ноября 23:59');

    await page.getByTestId(`open-${id}`).click();
    const sms = page.getByTestId('sms-text').first();
    await sms.waitFor(WAIT);
    expect(await sms.innerText()).toContain('При согласии отправьте SMS на номер 1414 с текстом 123 #3#1');
    expect(await page.getByTestId('sms-status').first().innerText()).toMatch(
      /Частей SMS: \d+ · .*Доставлено \(2026-11-24 11:01\)/,
    );
    const items = await page.getByTestId('timeline').locator('li').all();
    const kinds = await Promise.all(items.map((li) => li.getAttribute('data-kind')));
    expect(kinds).toEqual(['transition', 'sms', 'reply', 'transition', 'sms']);
    expect(await page.locator('li.reply').innerText()).toMatch(
      /123#3#0[\s\S]*Распознано как: asks for another bank/,
    );
    expect(await page.getByTestId('detail-state').innerText()).toBe('Ожидается ответ');
    expect(await page.getByTestId('next-step').innerText()).toBe(
      'Ожидается ответ 123#3#11 или 123#3#12 или 123#3#13 или 123#3#0 до 27 ноября 23:59.',
    );
    expect(await page.locator('#detail-msisdn').innerText()).toBe('7701***1234');

    await mkdir('artifacts', { recursive: true });
    await page.screenshot({ path: 'artifacts/console.png', fullPage: true });
  });

  it('switches to Kazakh, keeping the conversation on screen', async () => {
    await page.getByTestId('lang').selectOption('kk');
    await expect.poll(() => page.getByTestId('detail-state').innerText(), WAIT).toBe('Жауап күтілуде');
    expect(await page.getByTestId('next-step').innerText()).toContain('27 қараша 23:59');
  });

  it('a wrong key is refused and the console asks for a key again', async () => {
    // The page's own storage, as a key typed earlier that has since been revoked.
    await page.evaluate("sessionStorage.setItem('gw1414.apiKey', 'wrong-key')");
    await page.getByTestId('search').click();
    await page.getByTestId('key').waitFor({ state: 'visible', ...WAIT });
    expect(await page.locator('#work').isHidden()).toBe(true);
  });
});
