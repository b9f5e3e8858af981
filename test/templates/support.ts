/** Shared set-up for the template tests: the repository's own templates, loaded once per file. */
import { fileURLToPath } from 'node:url';
import { loadSamples, loadTemplates } from '../../templates/load.js';
import { createRenderer, type Renderer } from '../../templates/renderer.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export async function repositoryTemplates(): Promise<{
  renderer: Renderer;
  samples: Record<string, Record<string, unknown>>;
}> {
  return { renderer: createRenderer(await loadTemplates()), samples: await loadSamples() };
}

/** Whitespace runs (line breaks, the seeds' double spaces) count as one space. */
export const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();
