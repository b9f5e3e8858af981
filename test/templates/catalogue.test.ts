import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalogue, type LocaleResource, type TemplateFileInput } from '../../templates/catalogue.js';
import { TemplateError } from '../../templates/errors.js';
import { KNOWN_TEMPLATES } from '../../templates/known.js';
import { DEFAULT_TEMPLATES_DIR, loadTemplates } from '../../templates/load.js';
import { createRenderer } from '../../templates/renderer.js';
import type { Language } from '../../templates/var-types.js';

const locales: Record<Language, LocaleResource> = {
  kk: { callCentre: { line: 'Анықтама: 1414' } },
  ru: { callCentre: { line: 'Справки: 1414' } },
};

function file(
  language: Language,
  id: string,
  vars: string,
  body: string,
  text = 'composed',
): TemplateFileInput {
  const source = `{{!--\n  id: ${id}\n  source: test\n  text: ${text}\n  vars: ${vars}\n--}}\n${body}\n`;
  return { language, fileName: `${id}.hbs`, bytes: Buffer.from(source) };
}

function pair(id: string, vars: string, body: string): TemplateFileInput[] {
  return [file('kk', id, vars, body), file('ru', id, vars, body)];
}

function problemsOf(files: TemplateFileInput[], resources = locales): string {
  try {
    buildCatalogue(files, resources);
  } catch (error) {
    if (error instanceof TemplateError && error.code === 'invalid-catalogue') return error.message;
    throw error;
  }
  throw new Error('expected the catalogue to be rejected');
}

describe('the repository catalogue', () => {
  it('loads every template the documents prescribe, in kk and ru', async () => {
    const catalogue = await loadTemplates();
    expect([...catalogue.ids]).toEqual(Object.keys(KNOWN_TEMPLATES).sort());
  });

  it('known templates match their headers, variable for variable', async () => {
    const catalogue = await loadTemplates();
    for (const [id, vars] of Object.entries(KNOWN_TEMPLATES)) {
      const declared = Object.fromEntries(catalogue.entries.get(id)!.vars.map((v) => [v.name, v.type]));
      expect(declared, id).toEqual(vars);
    }
  });

  it('marks the acts verbatim, the school-meals Russian a translation, the rest composed', async () => {
    const catalogue = await loadTemplates();
    const kinds = Object.fromEntries(
      [...catalogue.entries.values()].map((e) => [
        e.id,
        `${e.files.kk.header.text}/${e.files.ru.header.text}`,
      ]),
    );
    for (const id of ['offer-one-bank', 'offer-several-banks', 'offer-no-account', 'expired', 'assigned']) {
      expect(kinds[`home-schooling.${id}`]).toBe('verbatim/verbatim');
    }
    for (const id of ['request', 'refused', 'consented'])
      expect(kinds[`school-meals.${id}`]).toBe('verbatim/translation');
    for (const id of catalogue.ids.filter((i) => /^(gateway|social-portal)\.|consent-accepted/.test(i))) {
      expect(kinds[id], id).toBe('composed/composed');
    }
  });
});

describe('a catalogue built from files only', () => {
  it('loads a new service from a templates folder with two more files and no code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'templates-'));
    try {
      await cp(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
      for (const [lang, hello] of [
        ['kk', 'Сәлем'],
        ['ru', 'Здравствуйте'],
      ] as const) {
        const header =
          '{{!--\n  id: pension.notice\n  source: test\n  text: composed\n  vars: fullName:text\n--}}\n';
        await writeFile(join(dir, lang, 'pension.notice.hbs'), `${header}${hello}, {{fullName}}!\n`);
      }
      const renderer = createRenderer(await loadTemplates(dir));
      expect(renderer.render('pension.notice', 'kk', { fullName: 'Айгүл' }).text).toBe('Сәлем, Айгүл!');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts a new service with no code change and renders it', () => {
    const files = pair(
      'new-service.offer',
      'fullName:text, serviceCode:code',
      'Hi {{fullName}}: {{serviceCode}}#3#1. {{t "callCentre.line"}}',
    );
    const renderer = createRenderer(buildCatalogue(files, locales));
    expect(renderer.render('new-service.offer', 'ru', { fullName: 'A', serviceCode: '9' }).text).toBe(
      'Hi A: 9#3#1. Справки: 1414',
    );
  });

  it.each([
    ['a template in one language only', [file('kk', 'a.b', '', 'x')], 'a.b: exists only in kk'],
    [
      'kk and ru declaring different vars',
      [file('kk', 'a.b', 'x:text', '{{x}}'), file('ru', 'a.b', 'x:code', '{{x}}')],
      'kk and ru declare different vars',
    ],
    [
      'a variable used but not declared',
      pair('a.b', '', '{{fullName}}'),
      'uses "fullName" but its header does not declare it',
    ],
    [
      'a variable declared but not used',
      pair('a.b', 'fullName:text', 'x'),
      'declares "fullName" but never uses it',
    ],
    ['an unknown variable type', pair('a.b', 'fullName:string', '{{fullName}}'), 'unknown type "string"'],
    [
      'a term missing from the locales',
      pair('a.b', '', '{{t "nope.key"}}'),
      'term "nope.key" is missing from locales/kk.json',
    ],
    [
      'a header id that differs from the file name',
      [file('kk', 'a.b', '', 'x'), { ...file('ru', 'a.c', '', 'x'), fileName: 'a.b.hbs' }],
      'header id "a.c" differs',
    ],
    [
      'an unknown text kind',
      [file('kk', 'a.b', '', 'x', 'paraphrase'), file('ru', 'a.b', '', 'x')],
      '"text: paraphrase" is not one of',
    ],
    [
      'a file with no header',
      [{ ...file('kk', 'a.b', '', 'x'), bytes: Buffer.from('x') }],
      'kk/a.b.hbs: does not begin with',
    ],
    ['a partial', pair('a.b', '', '{{> other}}'), 'partials are not supported'],
    ['a handlebars syntax error', pair('a.b', '', '{{#each}}'), 'kk/a.b.hbs:'],
  ])('rejects %s', (_case, files, problem) => {
    expect(problemsOf(files)).toContain(problem);
  });

  it('rejects locales whose keys differ between languages', () => {
    const uneven = { kk: { a: 'x', b: 'y' }, ru: { a: 'x' } };
    expect(problemsOf(pair('a.b', '', 'x'), uneven)).toContain('"b" is in kk.json but not in ru.json');
  });

  it('reads variables inside #each from the item, not the root', () => {
    const files = pair('a.b', 'banks:banks', '{{#each banks}}{{number}}. {{name}}{{/each}}');
    const renderer = createRenderer(buildCatalogue(files, locales));
    const banks = [{ code: 'K', nameKk: 'Каспи', nameRu: 'Каспий' }];
    expect(renderer.render('a.b', 'kk', { banks }).text).toBe('1. Каспи');
  });

  it('is strict at render time too: a misspelt field of a declared variable throws, naming the template', () => {
    const renderer = createRenderer(buildCatalogue(pair('a.b', 'bank:bank', 'в {{bank.nmae}}'), locales));
    const bank = { code: 'K', nameKk: 'Каспи', nameRu: 'Каспий' };
    expect(() => renderer.render('a.b', 'ru', { bank })).toThrow(
      /template "a\.b" \(ru\): "nmae" not defined/,
    );
  });

  it('treats a misspelt helper as a compile error at start-up, not as an empty string', () => {
    const files = pair('a.b', 'x:texts', '{{#eahc x}}{{this}}{{/eahc}}');
    expect(() => createRenderer(buildCatalogue(files, locales))).toThrow(/eahc/);
  });
});
