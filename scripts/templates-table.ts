/**
 * Prints every template set with the cost of each template × language rendered with the sample values
 * (`npm run templates`); `--write` regenerates docs/templates.md instead.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadSamples, loadTemplateSets } from '../templates/load.js';
import { renderSamples, setTables, templatesDocument } from '../templates/table.js';

const DOC = fileURLToPath(new URL('../docs/templates.md', import.meta.url));

const rows = renderSamples(await loadTemplateSets(), await loadSamples());
if (process.argv.includes('--write')) {
  await writeFile(DOC, templatesDocument(rows));
  console.log(`wrote ${DOC}`);
} else {
  console.log(setTables(rows));
}
