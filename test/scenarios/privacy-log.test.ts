/**
 * Personal data stays out of what operators read, at the most talkative level: a gateway at
 * LOG_LEVEL=debug takes invitations with names in all three services, replies in which citizens type
 * an IIN, a card, a phone number and their names, a number with no open request, bad and mismatching
 * requests and a decision whose reason names the citizen; no log line, no /metrics label and no answer
 * to an agent holds any of them whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeSchoolingParams, KASPI } from '../support/core.js';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLog, type CapturedLog, type LogLine } from '../support/log-lines.js';

let t: TestGateway;
let out: CapturedLog;
beforeAll(async () => {
  out = captureLog('debug');
  t = await startTestGateway({ log: out.log });
});
afterAll(async () => {
  await t?.stop();
});

const HOME = '77015550811';
const MEALS = '77015550812';
const PORTAL = '77015550813';
const STRANGER = '77015550814';
const OTHER = '77015550815';
/** What must appear whole nowhere an operator or an agent reads. */
const SECRETS = [
  HOME,
  MEALS,
  PORTAL,
  STRANGER,
  OTHER,
  'Айгүл',
  'Сейітқызы',
  'Жанар',
  'Темирбекова',
  'Ерлан',
  'Болат',
  'Нурланов',
  'Данияр',
  'Ахметов',
  '900101300124',
  '900101300125',
  '4400430012345678',
  '77051234567',
  '045123456',
];

async function call(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  return fetch(`${t.gateway.httpUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function invite(body: Record<string, unknown>): Promise<string> {
  const res = await call('POST', '/v1/invitations', KEYS.system, body);
  expect(res.status).toBe(202);
  return ((await res.json()) as { conversationId: string }).conversationId;
}

const decided = (conversationId: string | undefined, n: number) => {
  let seen = 0;
  return (l: LogLine) =>
    l.event === 'reply.decided' && (conversationId === undefined || l.conversationId === conversationId)
      ? ++seen >= n
      : false;
};

describe('personal data at LOG_LEVEL=debug', () => {
  it('no log line, metric or agent view holds a number, a name or a typed number whole', async () => {
    const home = await invite({
      service: 'home-schooling',
      externalId: 'privacy-1',
      msisdn: `+7 ${HOME.slice(1, 4)} ${HOME.slice(4)}`,
      language: 'kk',
      params: { ...homeSchoolingParams([KASPI]), fullName: 'Айгүл Сейітқызы' },
    });
    const meals = await invite({
      service: 'school-meals',
      externalId: 'privacy-2',
      recipients: [
        { role: 'father', msisdn: OTHER },
        { role: 'mother', msisdn: MEALS },
      ],
      language: 'ru',
      params: { parentFullName: 'Жанар Темирбекова', childFullName: 'Ерлан Темирбеков' },
    });
    const portal = await invite({
      service: 'social-portal',
      externalId: 'privacy-3',
      msisdn: PORTAL,
      language: 'ru',
      params: { fullName: 'Болат Нурланов', dataReceivedOn: '2026-11-20' },
    });
    // The same reference with another number and name; a bad number; a name breaking the rules.
    const mismatch = await call('POST', '/v1/invitations', KEYS.system, {
      service: 'social-portal',
      externalId: 'privacy-3',
      msisdn: OTHER,
      language: 'ru',
      params: { fullName: 'Данияр Ахметов', dataReceivedOn: '2026-11-20' },
    });
    expect(mismatch.status).toBe(409);
    const bad = await call('POST', '/v1/invitations', KEYS.system, {
      service: 'social-portal',
      externalId: 'privacy-4',
      msisdn: `${OTHER}9`,
      language: 'ru',
      params: { fullName: 'Данияр {Ахметов} 900101300124', dataReceivedOn: '2026-11-20' },
    });
    expect(bad.status).toBe(400);
    for (const to of [HOME, MEALS, PORTAL]) await t.sim.nextMessage((m) => m.destination === to);

    await t.sim.injectReply({ from: HOME, text: '123#3#1 мой ИИН 900101300124' });
    // An IIN typed where the service code goes: read as another service's code.
    await t.sim.injectReply({ from: HOME, text: '900101300125#3#1' });
    await t.sim.injectReply({
      from: MEALS,
      text: 'Меня зовут Данияр Ахметов, удостоверение 045123456, карта 4400430012345678, звоните +77051234567',
    });
    await t.sim.injectReply({ from: MEALS, text: '3#1' });
    await t.sim.injectReply({ from: PORTAL, text: 'спасибо, Болат' });
    await t.sim.injectReply({ from: STRANGER, text: 'ИИН 900101300124 кто это' });
    await out.waitFor(decided(home, 2), 'both replies with an IIN decided');
    await out.waitFor(decided(meals, 2), 'both replies of the meals conversation decided');
    await out.waitFor(decided(portal, 1), 'the portal reply decided');
    await out.waitFor((l) => l.event === 'reply.decided' && l.result === 'no-open-request', 'the stranger');
    const decision = await call('POST', '/v1/events', KEYS.system, {
      type: 'decision',
      conversationId: meals,
      outcome: 'rejected',
      params: { reason: 'ИИН 900101300124 не найден: Жанар Темирбекова' },
    });
    expect(decision.status).toBe(200);
    await out.waitFor(
      (l) => l.event === 'outcome.published' && l.conversationId === meals && l.outcome === 'rejected',
      'the rejection published',
    );

    const agentView = await (await call('GET', `/v1/conversations/${meals}`, KEYS.agent)).text();
    const agentHome = await (await call('GET', `/v1/conversations/${home}`, KEYS.agent)).text();
    const agentSearch = await (await call('GET', `/v1/conversations?msisdn=${MEALS}`, KEYS.agent)).text();
    const metrics = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
    // The agent still reads what the citizen meant, with the number's tail to check it by phone.
    expect(agentView).toContain('Меня зовут Д*** А***');
    expect(agentView).toContain('************5678');
    expect(out.lines().some((l) => l.level === 'debug')).toBe(true);
    for (const [where, text] of [
      ['the log', out.raw()],
      ['/metrics', metrics],
      ["the agent's view", agentView],
      ["the agent's view of the IINs", agentHome],
      ["the agent's search", agentSearch],
      ['the 409', JSON.stringify(await mismatch.json())],
      ['the 400', JSON.stringify(await bad.json())],
    ] as const) {
      for (const secret of SECRETS) expect(text, `${secret} in ${where}`).not.toContain(secret);
    }
  });
});
