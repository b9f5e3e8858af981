/**
 * The phone page for demos and agent training, in a real browser: a person
 * playing the citizen sees the SMS the number got from 1414 and answers it; the answer reaches
 * the gateway as a deliver_sm from the simulator and consents. The thread is the simulator's own
 * record, in time order, so a reload shows the same and replies sent elsewhere appear; an agent
 * with the conversation open in the console sees the reply without a click.
 */
import { chromium as playwright, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../dev/simulator/index.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { chromium, missing } from '../support/requires.js';

const skip = missing(chromium);
const CHROMIUM = chromium().found ?? 'chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'];
const MORE_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync'];

let t: TestGateway;
let control: ControlServer;
let browser: Browser;
beforeAll(async () => {
  t = await startTestGateway();
  control = await startControlServer(t.sim, { port: 0 });
  browser = await playwright.launch({ executablePath: CHROMIUM, args: [...ARGS, ...MORE_ARGS] });
});
afterAll(async () => {
  await browser?.close();
  await control?.close();
  await t?.stop();
});

describe.skipIf(skip)('the phone page of the simulator', () => {
  it('shows the invitation from 1414 and sends the typed answer, which consents', async () => {
    const to = '77015558001';
    const { conversation } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'phone-1',
      msisdn: to,
      language: 'ru',
      params: homeSchoolingParams([KASPI]),
    });
    await t.sim.nextMessage((m) => m.destination === to);
    const page = await browser.newPage();
    await page.goto(`${control.url}/phone?msisdn=${to}`);
    await page
      .getByText('Вы имеете право на получение государственной услуги', { exact: false })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.fill('#text', '123#3#1');
    await page.click('button[type=submit]');
    await page.getByText('принято шлюзом').waitFor({ timeout: 10_000 });
    const job = await eventually(
      () => t.gateway.core.queues.assignments.getJob(conversation.id),
      'the consent typed on the phone page',
    );
    expect(job.data.reply.text).toBe('123#3#1');
    // The acknowledgement appears on the phone too.
    await page.getByText('Ответ принят', { exact: false }).waitFor({ timeout: 10_000 });
    await page.close();
  }, 40_000);

  it('keeps a reply above the help SMS it caused across a reload, shows replies sent elsewhere, and the open console follows', async () => {
    const to = '77015558002';
    const { conversation } = await t.gateway.core.conversations.invite({
      service: 'home-schooling',
      externalId: 'phone-2',
      msisdn: to,
      language: 'ru',
      params: homeSchoolingParams([KASPI]),
    });
    await t.sim.nextMessage((m) => m.destination === to);

    const agent = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await agent.goto(`${t.gateway.httpUrl}/console/`);
    await agent.evaluate("document.body.setAttribute('data-poll-ms', '300')");
    await agent.getByTestId('key').fill(KEYS.agent);
    await agent.getByTestId('key-save').click();
    await agent.getByTestId('search-by').selectOption('id');
    await agent.getByTestId('conv-id').fill(conversation.id);
    await agent.getByTestId('search').click();
    await agent.getByTestId('script-codes').waitFor({ timeout: 10_000 });
    expect(await agent.locator('li.reply').count()).toBe(0);

    const phone = await browser.newPage();
    await phone.goto(`${control.url}/phone?msisdn=${to}`);
    await phone.getByTestId('sms-in').first().waitFor({ timeout: 10_000 });
    await phone.fill('#text', 'да');
    await phone.click('button[type=submit]');
    // The gateway answers a bare "yes" with the code to type (a help SMS), after the reply.
    await expect.poll(() => phone.getByTestId('sms-in').count(), { timeout: 10_000 }).toBe(2);
    const order = () =>
      phone
        .locator('#thread > div')
        .evaluateAll((divs: ReadonlyArray<{ className: string }>) => divs.map((d) => d.className));
    expect(await order()).toEqual(['sms in', 'sms out', 'sms in']);
    // The agent's open conversation shows the reply by itself.
    await agent.locator('li.reply').first().waitFor({ timeout: 10_000 });
    expect(await agent.locator('li.reply').innerText()).toContain('слово «да» без кода');

    await phone.reload();
    await expect.poll(() => phone.locator('#thread > div').count(), { timeout: 10_000 }).toBe(3);
    expect(await order()).toEqual(['sms in', 'sms out', 'sms in']);
    expect(await phone.getByTestId('sms-out').innerText()).toContain('да');

    // A reply sent elsewhere (another tab, the CLI, the control port) appears too.
    await t.sim.injectReply({ from: to, text: '123#3#1' });
    await phone.getByTestId('sms-out').filter({ hasText: '123#3#1' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => agent.locator('li.reply').count(), { timeout: 10_000 }).toBe(2);
    await phone.close();
    await agent.close();
  }, 40_000);
});
