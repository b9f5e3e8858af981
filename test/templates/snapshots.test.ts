/**
 * Every template × language of every set rendered with its sample, kept in test/fixtures/rendered/<set>/
 * so that any change to a text the law fixes shows in review as a diff of plain text.
 * `npx vitest run -u` rewrites them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSamples, loadTemplateSets } from '../../templates/load.js';
import { renderSamples } from '../../templates/table.js';
import { FIXTURES } from './support.js';

const rows = renderSamples(await loadTemplateSets(), await loadSamples());
const cases = rows.map((row) => ({ set: row.set.id, id: row.sms.templateId, lang: row.sms.language, row }));
const RENDERED = join(FIXTURES, 'rendered');

describe('rendered templates', () => {
  it.each(cases)('$set: $id ($lang) matches its committed rendering', async ({ row }) => {
    const { sms, set, text } = row;
    const s = sms.segmentation;
    const header = `${sms.templateId} (${sms.language}) · ${set.id} · ${text} · ${s.encoding} · ${s.characters} characters · ${s.parts} parts\n\n`;
    await expect(header + sms.text + '\n').toMatchFileSnapshot(
      join(RENDERED, set.id, `${sms.templateId}.${sms.language}.txt`),
    );
  });

  it('keeps no rendering of a template or set that no longer exists', () => {
    const expected = cases.map(({ set, id, lang }) => `${set}/${id}.${lang}.txt`).sort();
    const kept = readdirSync(RENDERED, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `${join(e.parentPath, e.name).slice(RENDERED.length + 1)}`)
      .sort();
    expect(kept).toEqual(expected);
  });
});
