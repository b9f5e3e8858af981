/**
 * Prints the cost of every SMS template × language with the sample values (`npm run templates`);
 * `--write` regenerates docs/templates.md instead.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadSamples, loadTemplates } from '../templates/load.js';
import { createRenderer } from '../templates/renderer.js';
import { markdownTable, renderSamples, templatesDocument } from '../templates/table.js';

const DOC = fileURLToPath(new URL('../docs/templates.md', import.meta.url));

const renderer = createRenderer(await loadTemplates());
const rows = renderSamples(renderer, await loadSamples());
if (process.argv.includes('--write')) {
  await writeFile(DOC, templatesDocument(rows));
  console.log(`wrote ${DOC}`);
} else {
  console.log(markdownTable(rows));
}
