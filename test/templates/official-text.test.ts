/**
 * The official sentences of each act appear word for word in the rendered SMS. The sentences are listed in
 * test/fixtures/seeds/official.json and checked twice: against the excerpts of the acts kept in
 * test/fixtures/seeds/ (copied verbatim from ../shared/seeds), and, after filling the placeholders with the
 * sample values, against the rendered text. When ../shared/seeds is present, the excerpts are checked
 * against the seeds themselves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Renderer } from '../../templates/renderer.js';
import { sampleFor } from '../../templates/table.js';
import { localizeVar, type Language } from '../../templates/var-types.js';
import { missing, sharedSeeds } from '../support/requires.js';
import { FIXTURES, collapse, repositoryTemplates } from './support.js';

interface Replacement {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}
interface Form {
  readonly excerpt: string;
  readonly from: string;
  readonly to?: string;
  readonly sentences: readonly string[];
}
interface Terms {
  /** Excerpts of the act the terms are taken from; none for a language the act is not written in. */
  readonly excerpts?: readonly string[];
  readonly terms: readonly string[];
}
interface Official {
  readonly repairs: Record<Language, Replacement[]>;
  readonly rewrites: Record<Language, Replacement[]>;
  readonly placeholders: Record<Language, Record<string, string>>;
  readonly templates: Record<string, Partial<Record<Language, Form>>>;
  readonly terms: Record<string, Partial<Record<Language, Terms>>>;
}

const SEEDS = join(FIXTURES, 'seeds');
const official = JSON.parse(readFileSync(join(SEEDS, 'official.json'), 'utf8')) as Official;
const forms = Object.entries(official.templates).flatMap(([id, byLang]) =>
  Object.entries(byLang).map(([lang, form]) => ({ id, lang: lang as Language, form })),
);

/** The excerpt without its first line (ours: where it was copied from), whitespace collapsed. */
function excerptText(name: string): string {
  return collapse(readFileSync(join(SEEDS, name), 'utf8').split('\n').slice(1).join('\n'));
}

function section(form: Form, lang: Language): string {
  let text = excerptText(form.excerpt);
  for (const r of official.repairs[lang]) text = text.replaceAll(r.from, r.to);
  const start = text.indexOf(form.from);
  const end = form.to === undefined ? text.length : text.indexOf(form.to, start + form.from.length);
  expect(start, `"${form.from}" in ${form.excerpt}`).toBeGreaterThanOrEqual(0);
  expect(end, `"${form.to}" in ${form.excerpt}`).toBeGreaterThan(start);
  return text.slice(start, end);
}

function valueOf(
  renderer: Renderer,
  expression: string,
  context: Record<string, unknown>,
  lang: Language,
): string {
  if (expression.startsWith('t:')) return renderer.term(expression.slice(2), lang);
  const value = expression
    .split('.')
    .reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], context);
  if (typeof value !== 'string') throw new Error(`placeholder value ${expression} is not a string`);
  return value;
}

/** The sentence as the citizen must read it: rewrites applied, placeholders filled from the sample. */
function expected(
  renderer: Renderer,
  id: string,
  lang: Language,
  sentence: string,
  sample: Record<string, unknown>,
) {
  const entry = renderer.catalogue.entries.get(id)!;
  const context = Object.fromEntries(
    entry.vars.map((v) => [v.name, localizeVar(v.type, sample[v.name], lang)]),
  );
  let text = sentence;
  for (const r of official.rewrites[lang]) text = text.replaceAll(r.from, r.to);
  // Longest placeholder first: the 002 form's child blank is a prefix of the parent's.
  const placeholders = Object.entries(official.placeholders[lang]).sort(([a], [b]) => b.length - a.length);
  for (const [token, expression] of placeholders) {
    if (text.includes(token)) text = text.replaceAll(token, valueOf(renderer, expression, context, lang));
  }
  return text;
}

let renderer: Renderer;
let samples: Record<string, Record<string, unknown>>;
beforeAll(async () => ({ renderer, samples } = await repositoryTemplates()));

describe('official sentences', () => {
  it('cover every verbatim template in every language it is verbatim in', () => {
    const verbatim = [...renderer.catalogue.entries.values()].flatMap((e) =>
      (['kk', 'ru'] as const).filter((l) => e.files[l].header.text === 'verbatim').map((l) => `${e.id} ${l}`),
    );
    expect(forms.map((f) => `${f.id} ${f.lang}`).sort()).toEqual(verbatim.sort());
  });

  it.each(forms)('$id ($lang): each sentence is in the act', ({ lang, form }) => {
    const act = section(form, lang);
    for (const sentence of form.sentences) expect(act).toContain(sentence);
  });

  it.each(forms)('$id ($lang): each sentence is in the rendered SMS, word for word', ({ id, lang, form }) => {
    const sample = sampleFor(samples, id, lang);
    const text = collapse(renderer.render(id, lang, sample).text);
    for (const sentence of form.sentences)
      expect(text).toContain(expected(renderer, id, lang, sentence, sample));
  });

  it.each(forms)(
    '$id ($lang): the SMS adds no sentence, example or hint the act does not have',
    ({ id, lang, form }) => {
      const sample = sampleFor(samples, id, lang);
      // The numbered bank list ({bankListRu}) is the act's placeholder: each line is a number, a name
      // and, in Appendix 3, the bank's link.
      const lines = renderer
        .render(id, lang, sample)
        .text.split('\n')
        .filter((line) => !/^\d+\. /.test(line));
      let rest = collapse(lines.join('\n'));
      for (const sentence of form.sentences)
        rest = rest.replace(expected(renderer, id, lang, sentence, sample), '');
      expect(rest.trim()).toBe('');
    },
  );
});

const termCases = Object.entries(official.terms).flatMap(([id, byLang]) =>
  Object.entries(byLang).map(([lang, terms]) => ({ id, lang: lang as Language, terms })),
);
const lower = (text: string) => text.toLocaleLowerCase('kk');

describe("the act's terms in the SMS it describes without wording (004, items 2, 9-10)", () => {
  it.each(termCases.filter((c) => c.terms.excerpts))("$id ($lang): each term is the act's", ({ terms }) => {
    const act = lower(terms.excerpts!.map(excerptText).join(' '));
    for (const term of terms.terms) expect(act).toContain(lower(term));
  });

  it.each(termCases)('$id ($lang): each term is in the rendered SMS', ({ id, lang, terms }) => {
    const text = lower(collapse(renderer.render(id, lang, sampleFor(samples, id, lang)).text));
    for (const term of terms.terms) expect(text).toContain(lower(term));
  });
});

const EXCERPTS = {
  '003-appendix-1-5.ru.txt': '003_9ba37b2a674fef4e.txt',
  '000-appendix-1-5.kk.txt': '000_2f93f590f284f56c.txt',
  '002-appendix-1.kk.txt': '002_5ca116f3f5d21278.txt',
  '004-items-9-10.kk.txt': '004_d2dd2011a21628cf.txt',
  '004-item-2.kk.txt': '004_d2dd2011a21628cf.txt',
};

describe.skipIf(missing(sharedSeeds))('the excerpts kept in the repository', () => {
  it.each(Object.entries(EXCERPTS))('%s is copied verbatim from %s', (excerpt, seed) => {
    const lines = readFileSync(join(SEEDS, excerpt), 'utf8').split('\n');
    expect(lines[0]).toContain(seed);
    const body = lines.slice(1).join('\n');
    expect(readFileSync(join(sharedSeeds().found!, seed), 'utf8')).toContain(body.replace(/\n$/, ''));
  });
});
