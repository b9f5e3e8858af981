import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newConversation } from '../../dialogue/conversation.js';
import { start, validReplies } from '../../dialogue/engine.js';
import { loadServices } from '../../services/load.js';
import { segment } from '../../sms/encoding.js';
import { TemplateError } from '../../templates/errors.js';
import type { Renderer } from '../../templates/renderer.js';
import { sampleFor } from '../../templates/table.js';
import { LANGUAGES, MAX_BANKS, MAX_TEXT_LENGTH, type Language } from '../../templates/var-types.js';
import { fitWhichRequest, WHICH_REQUEST_MAX_PARTS } from '../../gateway/core/reply-limits.js';
import { REPO, repositoryTemplates } from './support.js';

let renderer: Renderer;
let samples: Record<string, Record<string, unknown>>;
beforeAll(async () => ({ renderer, samples } = await repositoryTemplates()));

const halyk = { code: 'HSBKKZKX', nameKk: 'Қазақстан Халық Банкі', nameRu: 'Народный Банк Казахстана' };

/** Render a template with its sample; the id is a plain string, so the variables are checked at run time. */
function renderSample(id: string, lang: Language) {
  return renderer.render(id, lang, sampleFor(samples, id, lang));
}

function thrown(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('every template with its sample values', () => {
  it('has a sample for every template id and no sample for an unknown id', () => {
    expect(Object.keys(samples).sort()).toEqual([...renderer.catalogue.ids]);
  });

  it('renders in both languages to text with no brace but the act\'s slots, "undefined", blank line or trailing space', () => {
    for (const id of renderer.catalogue.ids) {
      for (const lang of LANGUAGES) {
        const { text } = renderSample(id, lang);
        const slots = renderer.catalogue.entries.get(id)!.files[lang].header.slots;
        const rest = slots.reduce((t, slot) => t.replaceAll(slot, ''), text);
        expect(rest, `${id} ${lang}`).not.toMatch(/[{}]|undefined|null|\n\s*\n|[ \t]\n|^\s|\s$/);
        expect(text.length, `${id} ${lang}`).toBeGreaterThan(0);
      }
    }
  });

  it('carries the template id, the language and the SHA-256 of the source file', async () => {
    const sms = renderSample('home-schooling.offer-one-bank', 'kk');
    const bytes = await readFile(join(REPO, 'templates/kk/home-schooling.offer-one-bank.hbs'));
    expect(sms.templateId).toBe('home-schooling.offer-one-bank');
    expect(sms.language).toBe('kk');
    expect(sms.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const ru = renderSample('home-schooling.offer-one-bank', 'ru');
    expect(ru.sha256).not.toBe(sms.sha256);
  });

  it('counts encoding, characters and parts as sms/encoding segment() does', () => {
    const sms = renderSample('school-meals.request', 'ru');
    const expected = segment(sms.text);
    expect(sms.segmentation).toEqual({
      encoding: 'ucs2',
      characters: expected.characters,
      units: expected.units,
      parts: expected.parts.length,
    });
    expect(sms.segmentation.parts).toBeGreaterThan(1);
  });
});

describe('variables', () => {
  it('picks the bank name in the language of the SMS', () => {
    const vars = { fullName: 'Ахметова Айгүл', bank: halyk };
    expect(renderer.render('home-schooling.assigned', 'kk', vars).text).toContain(
      'шотыңызға Қазақстан Халық Банкі түседі',
    );
    expect(renderer.render('home-schooling.assigned', 'ru', vars).text).toContain(
      'счет в Народный Банк Казахстана.',
    );
  });

  it("numbers the banks from 1 in the order given and writes the act's reply sentence with the real code and the citizen's slot", () => {
    const banks = [
      { code: 'A', nameKk: 'Бірінші', nameRu: 'Первый' },
      { code: 'B', nameKk: 'Екінші', nameRu: 'Второй' },
    ];
    const { text } = renderer.render('home-schooling.offer-several-banks', 'ru', {
      serviceCode: '705',
      banks,
    });
    expect(text).toContain('\n1. Первый\n2. Второй\n');
    expect(text).toContain('\nОтправьте SMS на номер 1414 с текстом 705#3#1{порядковый номер банка}\n');
    expect(text).not.toContain('например');
    expect(text).toContain('с текстом 705 #3#0.');
    const kk = renderer.render('home-schooling.offer-several-banks', 'kk', {
      serviceCode: '705',
      banks,
    }).text;
    expect(kk).toContain('\n1414 нөміріне 705 #3#1{Банктің реттік нөмірі} мәтінімен SMS жіберіңіз\n');
    expect(kk).not.toContain('мысалы');
  });

  it("lists each bank's link for opening an account after its name, and the name alone without one (Appendix 3)", () => {
    const banks = [
      { code: 'A', nameKk: 'Бірінші', nameRu: 'Первый', link: 'https://first.kz/open?x=1' },
      { code: 'B', nameKk: 'Екінші', nameRu: 'Второй' },
    ];
    const ru = renderer.render('home-schooling.offer-no-account', 'ru', { banks }).text;
    expect(ru).toContain('нижеперечисленными ссылками:\n1. Первый https://first.kz/open?x=1\n2. Второй\n');
    const kk = renderer.render('home-schooling.offer-no-account', 'kk', { banks }).text;
    expect(kk).toContain('сілтемелерді пайдаланыңыз:\n1. Бірінші https://first.kz/open?x=1\n2. Екінші\n');
  });

  it('keeps & < > " as they are: an SMS is not HTML', () => {
    const bank = { code: 'X', nameKk: 'A&B <Bank> "1"', nameRu: 'A&B <Bank> "1"' };
    const { text } = renderer.render('home-schooling.consent-accepted', 'ru', { bank });
    expect(text).toContain('A&B <Bank> "1"');
    expect(text).not.toContain('&amp;');
  });

  it('lists every valid reply and every open code', () => {
    const replies = ['123#3#1', '123#3#0'];
    expect(renderer.render('gateway.not-understood', 'ru', { replies }).text).toContain(
      ': 123#3#1, 123#3#0.',
    );
    const options = ['үйде оқыту төлемі — 123#3#1', 'тегін тамақ (Ерлан) — 3#1'];
    expect(renderer.render('gateway.which-request', 'kk', { options, more: 0 }).text).toMatch(
      /:\nүйде оқыту төлемі — 123#3#1\nтегін тамақ \(Ерлан\) — 3#1$/,
    );
  });

  it.each([
    ['kk', /^Қалған сұраулар \((\d+)\) SMS-ке сыймады\. Анықтама: 1414 \(тегін\)\.$/],
    ['ru', /^Остальные запросы \((\d+)\) не вошли в SMS\. Справки: 1414 \(бесплатно\)\.$/],
  ] as const)(
    'the "which request?" SMS (%s) for 50 open requests lists the oldest that fit its part limit, then how many are left out and the call centre',
    (language, rest) => {
      const label = language === 'kk' ? 'тегін тамақ' : 'бесплатное питание';
      const options = Array.from(
        { length: 50 },
        (_, i) => `${label} (Ахметова Айгерім Серікқызы ${i + 1}) — ${100 + i}#3#1`,
      );
      const { sms, listed } = fitWhichRequest(renderer, language, options);
      expect(sms.segmentation.parts).toBeLessThanOrEqual(WHICH_REQUEST_MAX_PARTS);
      expect(listed).toBeGreaterThan(1);
      expect(listed).toBeLessThan(options.length);
      const lines = sms.text.split('\n');
      expect(lines.slice(1, -1)).toEqual(options.slice(0, listed));
      expect(lines.at(-1)).toMatch(rest);
      expect(Number(rest.exec(lines.at(-1) ?? '')?.[1])).toBe(options.length - listed);
      // No room for one more: the next request would take the SMS over its limit.
      const more = renderer.render('gateway.which-request', language, {
        options: options.slice(0, listed + 1),
        more: options.length - listed - 1,
      });
      expect(more.segmentation.parts).toBeGreaterThan(WHICH_REQUEST_MAX_PARTS);
    },
  );

  it('the "which request?" SMS of a few requests lists them all, with no call-centre line', () => {
    for (const language of LANGUAGES) {
      const options = ['үйде оқыту төлемі — 123#3#1', 'үйде оқыту төлемі — 456#3#1'];
      const { sms, listed } = fitWhichRequest(renderer, language, options);
      expect(listed).toBe(2);
      expect(sms.text.split('\n').slice(1)).toEqual(options);
      expect(sms.text).not.toContain('1414');
    }
  });

  it('one request on a line of the longest a line may be, and 49 left out, fit in the "which request?" SMS\'s part limit', () => {
    for (const language of LANGUAGES) {
      const options = ['Ә'.repeat(MAX_TEXT_LENGTH)];
      const sms = renderer.render('gateway.which-request', language, { options, more: 49 });
      expect(sms.segmentation.parts, language).toBeLessThanOrEqual(WHICH_REQUEST_MAX_PARTS);
    }
  });

  it('the "not understood" SMS at a list of MAX_BANKS banks names every bank\'s reply and the stage\'s other answers', async () => {
    const service = (await loadServices()).get('home-schooling');
    if (!service) throw new Error('home-schooling is not loaded');
    const banks = Array.from({ length: MAX_BANKS }, (_, i) => ({ ...halyk, code: `BANK${i}` }));
    const conv = newConversation({
      id: 'c1',
      service: 'home-schooling',
      externalId: 'e1',
      msisdn: '77011234567',
      language: 'ru',
      params: { fullName: 'Айгүл', serviceCode: '123', banks, integratedBanks: [halyk] },
      createdAt: 0,
    });
    const invited = start({ service, deadline: (_, now) => now + 86_400_000 }, conv, 0).conversation;
    const replies = validReplies(service, invited);
    expect(replies).toHaveLength(MAX_BANKS + 1);
    for (const language of LANGUAGES) {
      const { text } = renderer.render('gateway.not-understood', language, { replies });
      expect(text).toContain(`123#3#1${MAX_BANKS}, 123#3#0.`);
    }
  });

  it.each([
    ['a missing variable', 'home-schooling.expired', {}, 'variable "fullName"'],
    [
      'a missing bank name',
      'home-schooling.assigned',
      { fullName: 'X', bank: { code: 'H', nameKk: 'Х' } },
      'variable "bank.nameRu"',
    ],
    ['an empty bank list', 'home-schooling.offer-no-account', { banks: [] }, 'variable "banks"'],
    [
      'a service code with a #',
      'home-schooling.offer-one-bank',
      { serviceCode: '12#3', bank: halyk },
      'variable "serviceCode"',
    ],
    ['a name with a brace', 'home-schooling.expired', { fullName: '{ФИО}' }, 'variable "fullName"'],
    ['a blank name', 'social-portal.choose-supplier', { fullName: '   ' }, 'variable "fullName"'],
    ['a number for a name', 'home-schooling.expired', { fullName: 42 }, 'variable "fullName"'],
    [
      'a bank link over http',
      'home-schooling.offer-no-account',
      { banks: [{ ...halyk, link: 'http://halykbank.kz/open' }] },
      'variable "banks.0.link": must be an https:// URL',
    ],
    [
      'a bank link that is no URL',
      'home-schooling.offer-no-account',
      { banks: [{ ...halyk, link: 'halykbank.kz' }] },
      'variable "banks.0.link": must be an absolute URL',
    ],
    [
      'a bank link with a space',
      'home-schooling.offer-no-account',
      { banks: [{ ...halyk, link: 'https://halykbank.kz/ open' }] },
      'variable "banks.0.link"',
    ],
  ])('rejects %s, naming the template and the variable', (_case, id, vars, variable) => {
    const error = thrown(() => renderer.render(id, 'ru', vars));
    expect(error.code).toBe('invalid-variables');
    expect(error.message).toContain(`template "${id}" (ru)`);
    expect(error.message).toContain(variable);
  });

  it('types the variables of the known templates at compile time and checks them at run time', () => {
    // @ts-expect-error: consent-accepted takes a bank (tsc fails this file if the typing is lost)
    expect(() => renderer.render('home-schooling.consent-accepted', 'ru', {})).toThrow(TemplateError);
    const typed = renderer.render('home-schooling.consent-accepted', 'kk', { bank: halyk });
    expect(typed.text).toContain('Қазақстан Халық Банкі');
  });

  it('rejects an unknown template id', () => {
    const error = thrown(() => renderer.render('home-schooling.nope', 'kk', {}));
    expect(error.code).toBe('unknown-template');
    expect(error.message).toContain('home-schooling.nope');
  });

  it('trims a name the caller padded with spaces', () => {
    const { text } = renderer.render('home-schooling.expired', 'ru', { fullName: '  Ахметова Айгүл  ' });
    expect(text.split('\n')[0]).toBe('Уважаемый(ая), Ахметова Айгүл!');
  });
});

describe('shared vocabulary', () => {
  it('gives the call-centre line in both languages, with 1414', () => {
    expect(renderer.term('callCentre.line', 'kk')).toContain('1414');
    expect(renderer.term('callCentre.line', 'ru')).toContain('1414');
    expect(renderer.term('console.state.awaiting_account', 'kk')).not.toBe(
      renderer.term('console.state.awaiting_account', 'ru'),
    );
  });

  it('throws on a term that does not exist instead of printing its key', () => {
    expect(() => renderer.term('console.state.nope', 'ru')).toThrow(/console\.state\.nope/);
  });
});
