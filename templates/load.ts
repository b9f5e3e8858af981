/**
 * The one place the template layer touches the disk: reads `kk/*.hbs`, `ru/*.hbs`, `locales/*.json` and
 * `samples.json` from the templates folder. Call once at start-up.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  buildCatalogue,
  type LocaleResource,
  type TemplateCatalogue,
  type TemplateFileInput,
} from './catalogue.js';
import { TemplateError } from './errors.js';
import { buildTemplateSets, manifestSchema, type TemplateSets } from './sets.js';
import { LANGUAGES, type Language } from './var-types.js';

/** This folder: where the repository keeps its templates. */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('.', import.meta.url));

async function readLanguage(dir: string, language: Language): Promise<TemplateFileInput[]> {
  const names = (await readdir(join(dir, language))).filter((n) => n.endsWith('.hbs')).sort();
  return Promise.all(
    names.map(async (fileName) => ({
      language,
      fileName,
      bytes: await readFile(join(dir, language, fileName)),
    })),
  );
}

const localeSchema: z.ZodType<LocaleResource> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), localeSchema])),
);
const samplesSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function readFolder(dir: string, folder: string): Promise<TemplateFileInput[]> {
  const perLanguage = await Promise.all(
    LANGUAGES.map(async (language) => {
      const path = folder === '.' ? join(dir, language) : join(dir, language, folder);
      const names = (await readdir(path).catch(() => [] as string[]))
        .filter((n) => n.endsWith('.hbs'))
        .sort();
      return Promise.all(
        names.map(async (fileName) => ({ language, fileName, bytes: await readFile(join(path, fileName)) })),
      );
    }),
  );
  return perLanguage.flat();
}

/**
 * Read and check every template set (`sets/*.json`, templates/sets.ts) with the files of the folders
 * they name and the shared vocabulary.
 * @throws TemplateError `invalid-set`, one line naming the file at fault.
 */
export async function loadTemplateSets(dir: string = DEFAULT_TEMPLATES_DIR): Promise<TemplateSets> {
  const names = (await readdir(join(dir, 'sets')).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.json'))
    .sort();
  const manifests = await Promise.all(
    names.map(async (name) => ({ file: `sets/${name}`, bytes: await readFile(join(dir, 'sets', name)) })),
  );
  const folders = new Set<string>(['.']);
  for (const m of manifests) {
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(Buffer.from(m.bytes).toString('utf8')));
      if (parsed.success) folders.add(parsed.data.dir);
    } catch {
      // buildTemplateSets reports it, naming the file.
    }
  }
  const files = new Map(
    await Promise.all([...folders].map(async (f) => [f, await readFolder(dir, f)] as const)),
  );
  let locales: Record<Language, LocaleResource>;
  try {
    const [kk = {}, ru = {}] = await Promise.all(
      LANGUAGES.map((lang) => readJson(join(dir, 'locales', `${lang}.json`), localeSchema)),
    );
    locales = { kk, ru };
  } catch (error) {
    throw new TemplateError('invalid-set', (error as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  return buildTemplateSets(manifests, files, locales);
}

/**
 * Read and check every template.
 * @param dir the templates folder; default: the folder of this module (`templates/`).
 * @throws TemplateError `invalid-catalogue` when the files disagree (the message lists every problem).
 */
export async function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<TemplateCatalogue> {
  const files = (await Promise.all(LANGUAGES.map((lang) => readLanguage(dir, lang)))).flat();
  const [kk = {}, ru = {}] = await Promise.all(
    LANGUAGES.map((lang) => readJson(join(dir, 'locales', `${lang}.json`), localeSchema)),
  );
  return buildCatalogue(files, { kk, ru });
}

/** Sample variables per template id (`samples.json`): the table, the docs and the tests render with these. */
export async function loadSamples(
  dir: string = DEFAULT_TEMPLATES_DIR,
): Promise<Record<string, Record<string, unknown>>> {
  return readJson(join(dir, 'samples.json'), samplesSchema);
}
