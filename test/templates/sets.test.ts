/**
 * Template sets by act (templates/sets.ts): the repository's sets, the set in force on a day, and every
 * way a set can be wrong, each stopping start-up with one line that names the file.
 */
import { rm } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTemplateSets } from '../../templates/load.js';
import { TemplateError } from '../../templates/errors.js';
import { almatyDay, type TemplateSets } from '../../templates/sets.js';
import { ALMATY_ZONE, toLocal } from '../../dialogue/time.js';
import fc from 'fast-check';
import { copyTemplates, type TemplatesCopy } from '../support/template-sets.js';

const day = (iso: string) => Date.parse(iso);

let repo: TemplateSets;
beforeAll(async () => {
  repo = await loadTemplateSets();
});

describe("the repository's sets", () => {
  it('name their act (number, date, appendix), their period and a SHA-256 each', () => {
    expect(repo.sets.map((s) => s.id).sort()).toEqual([
      'gateway.2024-01-01',
      'home-schooling.2024-02-16',
      'school-meals.2023-11-17',
      'social-portal.2023-08-17',
    ]);
    for (const set of repo.sets) {
      expect(set.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(set.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (set.service === 'gateway') expect(set.act).toBeNull();
      else
        expect(set.act).toMatchObject({
          number: expect.any(String),
          date: set.from,
          appendix: expect.any(String),
        });
    }
    expect(repo.get('home-schooling.2024-02-16')?.act?.number).toContain('№ 42');
  });

  it('hold the templates of their own service only', () => {
    for (const set of repo.sets)
      for (const id of set.catalogue.ids) expect(id.startsWith(`${set.service}.`)).toBe(true);
  });

  it('mark every template of the gateway and of 004 as composed', () => {
    for (const id of ['gateway.2024-01-01', 'social-portal.2023-08-17']) {
      for (const entry of repo.get(id)!.catalogue.entries.values()) {
        expect(entry.files.kk.header.text, entry.id).toBe('composed');
        expect(entry.files.ru.header.text, entry.id).toBe('composed');
      }
    }
  });

  it('render an SMS with the set it followed and how its text relates to the act', () => {
    const sms = repo.render('school-meals.request', 'ru', { parentFullName: 'А Б', childFullName: 'В Г' });
    const set = repo.get('school-meals.2023-11-17')!;
    expect(sms.set).toEqual({ id: set.id, sha256: set.sha256 });
    expect(sms.wording).toBe('translation');
    expect(
      repo.render('school-meals.request', 'kk', { parentFullName: 'А Б', childFullName: 'В Г' }).wording,
    ).toBe('verbatim');
  });

  it('answer no set before the first act came into force', () => {
    expect(repo.inForce('home-schooling', day('2024-02-15T12:00:00+05:00'))).toBeUndefined();
    expect(repo.inForce('home-schooling', day('2024-02-16T00:00:00+05:00'))?.id).toBe(
      'home-schooling.2024-02-16',
    );
    expect(repo.inForceOn('home-schooling', '2024-02-15')).toBeUndefined();
    expect(repo.inForceOn('home-schooling', '2026-12-04')?.id).toBe('home-schooling.2024-02-16');
    expect(repo.inForceOn('pensions', '2026-12-04')).toBeUndefined();
    expect(() =>
      repo.render(
        'home-schooling.expired',
        'ru',
        { fullName: 'А Б' },
        { at: day('2024-01-01T12:00:00+05:00') },
      ),
    ).toThrow(/no template set of "home-schooling" is in force on 2024-01-01/);
  });
});

describe('the Almaty day of an instant', () => {
  it("is the wall clock's date for instants in any order, across midnights and the 2024 change of zone", () => {
    const zoneChange = Date.parse('2024-02-29T18:00:00Z');
    const near = (at: number) => fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 }).map((d) => at + d);
    const instant = fc.oneof(
      near(zoneChange),
      near(Date.parse('2026-12-05T19:00:00Z')),
      fc.integer({ min: Date.parse('2005-06-01T00:00:00Z'), max: Date.parse('2060-01-01T00:00:00Z') }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (ats) => {
        for (const at of ats) expect(almatyDay(at)).toBe(toLocal(ALMATY_ZONE, new Date(at)).date);
      }),
    );
    // The last instant of 29 February 2024 (25 hours long) and the first of 1 March.
    expect(almatyDay(zoneChange + 3_600_000 - 1)).toBe('2024-02-29');
    expect(almatyDay(zoneChange + 3_600_000)).toBe('2024-03-01');
    expect(almatyDay(zoneChange - 1)).toBe('2024-02-29');
  });
});

describe('sets loaded from files', () => {
  let copy: TemplatesCopy;
  afterEach(async () => copy?.remove());

  it('a new act is a new set: the day it comes into force (Asia/Almaty) picks it, with no code change', async () => {
    copy = await copyTemplates();
    await copy.manifest('home-schooling.2024-02-16', (m) => ({
      ...m,
      inForce: { from: '2024-02-16', until: '2026-12-31' },
    }));
    await copy.addSet(
      {
        id: 'home-schooling.2027-01-01',
        service: 'home-schooling',
        act: { title: 'An amendment', number: '№ 1', date: '2027-01-01', appendix: 'Appendix 1-5' },
        inForce: { from: '2027-01-01', until: null },
        dir: 'hs-2027',
      },
      (body) => body.replace('Уважаемый(ая)', 'Уважаемый(ая) 2027'),
    );
    const sets = await loadTemplateSets(copy.dir);
    // 19:00 UTC on 31 December is midnight in Almaty (UTC+5).
    expect(sets.inForce('home-schooling', day('2026-12-31T18:59:59Z'))?.id).toBe('home-schooling.2024-02-16');
    expect(sets.inForce('home-schooling', day('2026-12-31T19:00:00Z'))?.id).toBe('home-schooling.2027-01-01');
    const vars = { fullName: 'А Б' };
    const at = day('2027-01-05T10:00:00+05:00');
    expect(sets.render('home-schooling.expired', 'ru', vars, { at }).text).toMatch(/^Уважаемый\(ая\) 2027/);
    // A conversation that started under the old set keeps it.
    const kept = sets.render('home-schooling.expired', 'ru', vars, { at, set: 'home-schooling.2024-02-16' });
    expect(kept.text).toMatch(/^Уважаемый\(ая\), А Б!/);
    expect(kept.set.id).toBe('home-schooling.2024-02-16');
    // The gateway's own messages are in their own set, whatever the conversation's.
    expect(
      sets.render('gateway.after-deadline', 'ru', {}, { at, set: 'home-schooling.2024-02-16' }).set.id,
    ).toBe('gateway.2024-01-01');
  });

  it('a changed term is a changed version', async () => {
    copy = await copyTemplates();
    const locale = JSON.parse(await copy.read('locales/ru.json')) as { callCentre: { line: string } };
    locale.callCentre.line = 'Справки: 1414.';
    await copy.write('locales/ru.json', JSON.stringify(locale));
    const sets = await loadTemplateSets(copy.dir);
    expect(sets.get('gateway.2024-01-01')?.sha256).not.toBe(repo.get('gateway.2024-01-01')?.sha256);
    expect(sets.get('home-schooling.2024-02-16')?.sha256).toBe(repo.get('home-schooling.2024-02-16')?.sha256);
  });

  async function failure(prepare: (copy: TemplatesCopy) => Promise<void>): Promise<TemplateError> {
    copy = await copyTemplates();
    await prepare(copy);
    const error = await loadTemplateSets(copy.dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TemplateError);
    const message = (error as TemplateError).message;
    expect(message, 'one line').not.toContain('\n');
    return error as TemplateError;
  }

  const edit = async (c: TemplatesCopy, file: string, change: (text: string) => string) =>
    c.write(file, change(await c.read(file)));

  it.each([
    [
      'an unknown placeholder',
      (c: TemplatesCopy) => edit(c, 'ru/school-meals.refused.hbs', (t) => `${t}{{childName}}\n`),
      /^templates\/sets\/school-meals\.2023-11-17\.json: .*ru\/school-meals\.refused\.hbs: uses "childName" but its header does not declare it/,
    ],
    [
      'a placeholder in single braces',
      (c: TemplatesCopy) => edit(c, 'kk/school-meals.refused.hbs', (t) => `${t}{ТАӘ}\n`),
      /^templates\/sets\/school-meals\.2023-11-17\.json: .*kk\/school-meals\.refused\.hbs: a brace outside/,
    ],
    [
      'a template missing in one language',
      (c: TemplatesCopy) => rm(c.path('kk', 'school-meals.refused.hbs')),
      /^templates\/sets\/school-meals\.2023-11-17\.json: .*school-meals\.refused: exists only in ru/,
    ],
    [
      'a malformed link',
      (c: TemplatesCopy) =>
        edit(c, 'ru/school-meals.consented.hbs', (t) =>
          t.replace('https://egovmobile.page.link/socwallet', 'https://egovmobile/socwallet'),
        ),
      /^templates\/sets\/school-meals\.2023-11-17\.json: ru\/school-meals\.consented\.hbs: link "https:\/\/egovmobile\/socwallet" must name a host with a domain$/,
    ],
    [
      'a period that overlaps another set of the same service',
      (c: TemplatesCopy) =>
        c.addSet({
          id: 'school-meals.2026-09-01',
          service: 'school-meals',
          act: { title: 'A new pilot order', number: '№ 2', date: '2026-09-01', appendix: '1-қосымша' },
          inForce: { from: '2026-09-01', until: null },
          dir: 'sm-2026',
        }),
      /^templates\/sets\/school-meals\.2026-09-01\.json: its period 2026-09-01\.\. overlaps sets\/school-meals\.2023-11-17\.json/,
    ],
    [
      'a date that is no date',
      (c: TemplatesCopy) =>
        c.manifest('social-portal.2023-08-17', (m) => ({
          ...m,
          inForce: { from: '2023-02-30', until: null },
        })),
      /^templates\/sets\/social-portal\.2023-08-17\.json: inForce\.from: must be a date YYYY-MM-DD$/,
    ],
    [
      'an act missing from a service set',
      (c: TemplatesCopy) => c.manifest('social-portal.2023-08-17', (m) => ({ ...m, act: null })),
      /^templates\/sets\/social-portal\.2023-08-17\.json: act is null/,
    ],
    [
      'a template no set claims',
      (c: TemplatesCopy) => c.write('ru/pensions.notice.hbs', 'x'),
      /^templates\/ru\/pensions\.notice\.hbs: belongs to no set/,
    ],
  ])('%s stops start-up with one line naming the file', async (_case, prepare, message) => {
    const error = await failure(prepare);
    expect(error.code).toBe('invalid-set');
    expect(error.message).toMatch(message);
  });
});
