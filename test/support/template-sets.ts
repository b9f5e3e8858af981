/**
 * A copy of the repository's templates folder in a temp dir, for tests that add, amend or break a
 * template set the way an operator would: by files alone.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TEMPLATES_DIR } from '../../templates/load.js';

export interface TemplatesCopy {
  readonly dir: string;
  /** Path inside the copy. */
  path(...parts: string[]): string;
  write(path: string, text: string): Promise<void>;
  read(path: string): Promise<string>;
  /** Edit a set's manifest as JSON. */
  manifest(id: string, edit: (m: Record<string, unknown>) => Record<string, unknown>): Promise<void>;
  /**
   * A new set of `service` in folder `folder`: its templates copied from the top-level files, each body
   * passed through `edit`, and its manifest.
   */
  addSet(
    manifest: Record<string, unknown> & { id: string; service: string; dir: string },
    edit?: (body: string, file: string) => string,
  ): Promise<void>;
  remove(): Promise<void>;
}

export async function copyTemplates(): Promise<TemplatesCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-templates-'));
  await cp(DEFAULT_TEMPLATES_DIR, dir, {
    recursive: true,
    filter: (src) => !src.endsWith('.ts'),
  });
  const path = (...parts: string[]) => join(dir, ...parts);
  const copy: TemplatesCopy = {
    dir,
    path,
    write: (p, text) => writeFile(path(p), text),
    read: (p) => readFile(path(p), 'utf8'),
    async manifest(id, edit) {
      const file = `sets/${id}.json`;
      await copy.write(
        file,
        JSON.stringify(edit(JSON.parse(await copy.read(file)) as Record<string, unknown>)),
      );
    },
    async addSet(manifest, edit = (body) => body) {
      for (const lang of ['kk', 'ru']) {
        await mkdir(path(lang, manifest.dir), { recursive: true });
        const names = (await readdir(path(lang))).filter((n) => n.startsWith(`${manifest.service}.`));
        for (const name of names) {
          const source = await copy.read(join(lang, name));
          const end = source.indexOf('--}}\n') + 5;
          await copy.write(
            join(lang, manifest.dir, name),
            source.slice(0, end) + edit(source.slice(end), name),
          );
        }
      }
      await copy.write(`sets/${manifest.id}.json`, JSON.stringify(manifest));
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return copy;
}
