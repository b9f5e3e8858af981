import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { renderSamples, templatesDocument, GENERATED_MARKER } from '../../templates/table.js';
import { REPO, repositoryTemplates } from './support.js';

it('docs/templates.md is the output of `npm run templates -- --write` for the current templates', async () => {
  const { renderer, samples } = await repositoryTemplates();
  const doc = await readFile(join(REPO, 'docs/templates.md'), 'utf8');
  expect(doc.startsWith(GENERATED_MARKER)).toBe(true);
  expect(doc, 'run `npm run templates -- --write`').toBe(templatesDocument(renderSamples(renderer, samples)));
});
