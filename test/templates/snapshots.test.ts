/**
 * Every template × language rendered with its sample, kept in test/fixtures/rendered/ so that any change
 * to a text the law fixes shows in review as a diff of plain text. `npx vitest run -u` rewrites them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../templates/var-types.js';
import { FIXTURES, repositoryTemplates } from './support.js';

const { renderer, samples } = await repositoryTemplates();
const cases = renderer.catalogue.ids.flatMap((id) => LANGUAGES.map((lang) => ({ id, lang })));
const RENDERED = join(FIXTURES, 'rendered');

describe('rendered templates', () => {
  it.each(cases)('$id ($lang) matches its committed rendering', async ({ id, lang }) => {
    const sms = renderer.render(id, lang, samples[id]!);
    const s = sms.segmentation;
    const header = `${id} (${lang}) · ${s.encoding} · ${s.characters} characters · ${s.parts} parts\n\n`;
    await expect(header + sms.text + '\n').toMatchFileSnapshot(join(RENDERED, `${id}.${lang}.txt`));
  });

  it('keeps no rendering of a template that no longer exists', () => {
    const expected = cases.map(({ id, lang }) => `${id}.${lang}.txt`).sort();
    expect(readdirSync(RENDERED).sort()).toEqual(expected);
  });
});
