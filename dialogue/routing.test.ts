import { describe, expect, it } from 'vitest';
import { parseReply } from '../parsers/reply.js';
import { loadServices } from '../services/load.js';
import { newConversation, type Conversation } from './conversation.js';
import { routeReply, whichOptions } from './routing.js';
import { MAX_TEXT_LENGTH } from '../templates/var-types.js';

const services = await loadServices();
const T0 = Date.UTC(2026, 10, 24, 6, 0);
const kaspi = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' };

function open(
  id: string,
  service: string,
  stage: string,
  params: Record<string, unknown>,
  at = 0,
): Conversation {
  return {
    ...newConversation({
      id,
      service,
      externalId: id,
      msisdn: '77011234567',
      language: 'ru',
      params,
      createdAt: T0 + at,
    }),
    stage,
    version: 0,
  };
}
const meals = (id: string, child: string, at = 0) =>
  open(id, 'school-meals', 'request', { parentFullName: 'Мама', childFullName: child }, at);
const home = (id: string, code: string, at = 0) =>
  open(
    id,
    'home-schooling',
    'offer-one-bank',
    {
      fullName: 'Мама',
      serviceCode: code,
      banks: [kaspi],
      integratedBanks: [kaspi],
    },
    at,
  );
const portal = (id: string, at = 0) => open(id, 'social-portal', 'choose', { fullName: 'Мама' }, at);
const target = (route: ReturnType<typeof routeReply>) =>
  route.kind === 'conversation' ? route.conversation.id : route.kind;

describe('routing a reply among the open requests of one number', () => {
  it('a codeless reply goes to the one request that asks without a code, past a coded offer', () => {
    const list = [home('hs', '123', 2), meals('sm', 'Ерлан', 1)];
    expect(target(routeReply(services, list, parseReply('3#1')))).toBe('sm');
    expect(target(routeReply(services, list, parseReply('123#3#1')))).toBe('hs');
  });

  it('a portal notice takes no replies and never makes a reply ambiguous', () => {
    const list = [portal('sp', 2), meals('sm', 'Ерлан', 1)];
    expect(target(routeReply(services, list, parseReply('3#1')))).toBe('sm');
    expect(target(routeReply(services, [portal('sp')], parseReply('3#1')))).toBe('sp');
  });

  it('a reply that fits two requests asks which, naming each with the exact text to send, codeless ones too', () => {
    const list = [home('hs', '123', 3), meals('b', 'Айгерим', 2), meals('a', 'Ерлан', 1)];
    const route = routeReply(services, list, parseReply('3#1'));
    expect(route.kind).toBe('which');
    if (route.kind !== 'which') return;
    expect(whichOptions(services, route.candidates, parseReply('3#1'), 'ru')).toEqual([
      'бесплатное питание (Ерлан) — 3#1',
      'бесплатное питание (Айгерим) — 3#1',
      'выплата за обучение на дому — 123#3#1',
    ]);
  });

  it('two coded offers and a codeless reply: which, with each code', () => {
    const list = [home('b', '456', 2), home('a', '123', 1)];
    const route = routeReply(services, list, parseReply('3#2'));
    expect(route.kind).toBe('which');
    if (route.kind !== 'which') return;
    // 3#2 is no answer of home-schooling: each line shows that request's first valid reply.
    expect(whichOptions(services, route.candidates, parseReply('3#2'), 'kk')).toEqual([
      'үйде оқыту төлемі — 123#3#1',
      'үйде оқыту төлемі — 456#3#1',
    ]);
  });

  it('a reply that fits nothing with several requests open asks which; with none open, nothing', () => {
    const list = [home('b', '456', 2), meals('a', 'Ерлан', 1)];
    expect(routeReply(services, list, parseReply('привет')).kind).toBe('which');
    expect(routeReply(services, list, parseReply('999#3#1')).kind).toBe('which');
    expect(routeReply(services, [], parseReply('3#1')).kind).toBe('none');
  });

  it('a request named with the longest name a field takes: its line is cut to the one-line limit before the answer, never in it', () => {
    const name = `${'Ә'.repeat(MAX_TEXT_LENGTH - 1)}😀`;
    const list = [meals('b', name, 2), home('a', '123', 1)];
    for (const language of ['kk', 'ru'] as const) {
      const [offer, request] = whichOptions(services, list, parseReply('3#1'), language);
      expect(offer).toMatch(/ — 123#3#1$/);
      expect(request).toHaveLength(MAX_TEXT_LENGTH);
      expect(request).toMatch(/^(тегін тамақ|бесплатное питание) \(ӘӘӘ+… — 3#1$/);
    }
  });
});
