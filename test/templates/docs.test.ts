import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadSamples, loadTemplateSets } from '../../templates/load.js';
import {
  renderSamples,
  reviewChecklist,
  sentences,
  templatesDocument,
  GENERATED_MARKER,
} from '../../templates/table.js';
import { REPO } from './support.js';

const rows = renderSamples(await loadTemplateSets(), await loadSamples());

it('docs/templates.md is the output of `npm run templates -- --write` for the current sets', async () => {
  const doc = await readFile(join(REPO, 'docs/templates.md'), 'utf8');
  expect(doc.startsWith(GENERATED_MARKER)).toBe(true);
  expect(doc, 'run `npm run templates -- --write`').toBe(templatesDocument(rows));
});

it('the review checklist lists every sentence of every composed or translated SMS, and no verbatim one', () => {
  const checklist = reviewChecklist(rows);
  for (const row of rows) {
    for (const sentence of sentences(row.sms.text)) {
      const listed = checklist.includes(
        `${row.sms.language} · \`${row.sms.templateId}\` (${row.set.id}): ${sentence}`,
      );
      const anywhere = checklist.includes(`: ${sentence}\n`) || checklist.endsWith(`: ${sentence}`);
      if (row.text === 'verbatim') expect(listed, sentence).toBe(false);
      else expect(listed || anywhere, `${row.sms.templateId} ${row.sms.language}: ${sentence}`).toBe(true);
    }
  }
});
