/**
 * The phone page for demos and agent training (issue 7, point 4), in a real browser: a person
 * playing the citizen sees the SMS the number got from 1414 and answers it; the answer reaches
 * the gateway as a deliver_sm from the simulator and consents.
 */
import { chromium as playwright, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../dev/simulator/index.js';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
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
});
