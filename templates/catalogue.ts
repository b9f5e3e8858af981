/**
 * The template catalogue: every template id with its variables, its text per language and the SHA-256 of
 * each source file. Built from the files alone (headers + bodies + locales), and checked as a whole: one
 * error lists every problem, so a new service's templates are fixed in one pass.
 */
import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import { parseHeader, type TemplateHeader, type TextKind, type VarDecl } from './header.js';
import { inspectTemplate } from './inspect.js';
import { TemplateError } from './errors.js';
import { LANGUAGES, type Language } from './var-types.js';

/** i18next resource for one language: nested keys, string leaves. */
export interface LocaleResource {
  readonly [key: string]: string | LocaleResource;
}

/** One template source file as read from disk. */
export interface TemplateFileInput {
  readonly language: Language;
  /** File name inside `templates/<language>/`, e.g. `home-schooling.expired.hbs`. */
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

export interface TemplateFile {
  readonly id: string;
  readonly language: Language;
  /** Path relative to the templates folder, e.g. `ru/home-schooling.expired.hbs`. */
  readonly path: string;
  readonly source: string;
  /** Hex SHA-256 of the file's bytes: what a consent record cites to prove the text the citizen saw. */
  readonly sha256: string;
  readonly header: TemplateHeader;
  readonly ast: hbs.AST.Program;
}

export interface TemplateEntry {
  readonly id: string;
  /** Declared in the header; the same in both languages (checked). */
  readonly vars: readonly VarDecl[];
  readonly files: Readonly<Record<Language, TemplateFile>>;
}

export interface TemplateCatalogue {
  /** Every template id, sorted. */
  readonly ids: readonly string[];
  readonly entries: ReadonlyMap<string, TemplateEntry>;
  readonly locales: Readonly<Record<Language, LocaleResource>>;
}

const TEMPLATE_ID = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** The string at a dotted key, or undefined. */
export function lookupTerm(resource: LocaleResource, key: string): string | undefined {
  let node: string | LocaleResource | undefined = resource;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Every dotted key with a string value. */
export function termKeys(resource: LocaleResource, prefix = ''): string[] {
  return Object.entries(resource).flatMap(([k, v]) =>
    typeof v === 'string' ? [prefix + k] : termKeys(v, `${prefix}${k}.`),
  );
}

function readFile(input: TemplateFileInput, dir: string, problems: string[]): TemplateFile | undefined {
  const path =
    dir === '.' ? `${input.language}/${input.fileName}` : `${input.language}/${dir}/${input.fileName}`;
  const id = input.fileName.replace(/\.hbs$/, '');
  const source = Buffer.from(input.bytes).toString('utf8');
  const parsed = parseHeader(source);
  if (!parsed.ok) {
    problems.push(...parsed.problems.map((p) => `${path}: ${p}`));
    return undefined;
  }
  if (!TEMPLATE_ID.test(id)) problems.push(`${path}: "${id}" is not a template id (service.message)`);
  if (parsed.header.id !== id)
    problems.push(`${path}: header id "${parsed.header.id}" differs from the file name`);
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (error) {
    problems.push(`${path}: ${(error as Error).message}`);
    return undefined;
  }
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  return { id, language: input.language, path, source, sha256, header: parsed.header, ast };
}

/** The text with every declared slot taken out. */
export function withoutSlots(text: string, slots: readonly string[]): string {
  return slots.reduce((t, slot) => t.replaceAll(slot, ''), text);
}

function sameVars(a: readonly VarDecl[], b: readonly VarDecl[]): boolean {
  const key = (vars: readonly VarDecl[]) =>
    vars
      .map((v) => `${v.name}:${v.type}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}

/** The body must use exactly the declared variables, and only terms both locales define. */
function checkUsage(file: TemplateFile, locales: Record<Language, LocaleResource>, problems: string[]): void {
  const usage = inspectTemplate(file.ast);
  const declared = new Set(file.header.vars.map((v) => v.name));
  problems.push(...usage.problems.map((p) => `${file.path}: ${p}`));
  for (const name of usage.vars) {
    if (!declared.has(name)) problems.push(`${file.path}: uses "${name}" but its header does not declare it`);
  }
  for (const name of declared) {
    if (!usage.vars.has(name)) problems.push(`${file.path}: declares "${name}" but never uses it`);
  }
  // A brace in the literal text is a placeholder nobody fills (`{bank.name}` for `{{bank.name}}`),
  // unless it is one of the act's slots the header names.
  const literal = withoutSlots(usage.literals.join('\n'), file.header.slots);
  if (/[{}]/.test(literal)) {
    const line =
      literal
        .split('\n')
        .find((l) => /[{}]/.test(l))
        ?.trim() ?? '';
    problems.push(`${file.path}: a brace outside {{…}} and the header's slots: "${line}"`);
  }
  for (const slot of file.header.slots) {
    if (!usage.literals.some((l) => l.includes(slot)))
      problems.push(`${file.path}: declares slot "${slot}" but its text never writes it`);
  }
  for (const term of usage.terms) {
    if (lookupTerm(locales[file.language], term) === undefined) {
      problems.push(`${file.path}: term "${term}" is missing from locales/${file.language}.json`);
    }
  }
}

function pairUp(files: readonly TemplateFile[], problems: string[]): TemplateEntry[] {
  const ids = [...new Set(files.map((f) => f.id))].sort();
  const entries: TemplateEntry[] = [];
  for (const id of ids) {
    const [kk, ru] = LANGUAGES.map((lang) => files.find((f) => f.id === id && f.language === lang));
    if (!kk || !ru) {
      problems.push(`${id}: exists only in ${(kk ?? ru)?.language ?? '?'}; every template needs kk/ and ru/`);
      continue;
    }
    if (!sameVars(kk.header.vars, ru.header.vars)) problems.push(`${id}: kk and ru declare different vars`);
    entries.push({ id, vars: kk.header.vars, files: { kk, ru } });
  }
  return entries;
}

function checkLocales(locales: Record<Language, LocaleResource>, problems: string[]): void {
  const kk = new Set(termKeys(locales.kk));
  const ru = new Set(termKeys(locales.ru));
  for (const key of kk) if (!ru.has(key)) problems.push(`locales: "${key}" is in kk.json but not in ru.json`);
  for (const key of ru) if (!kk.has(key)) problems.push(`locales: "${key}" is in ru.json but not in kk.json`);
}

/**
 * Build and check the catalogue from file contents (pure: no disk).
 * @throws TemplateError `invalid-catalogue` listing every problem found.
 */
export function buildCatalogue(
  files: readonly TemplateFileInput[],
  locales: Record<Language, LocaleResource>,
  /** The files' folder inside each language folder ("." for the language folder itself). */
  dir = '.',
): TemplateCatalogue {
  const problems: string[] = [];
  const read = files.flatMap((f) => readFile(f, dir, problems) ?? []);
  for (const file of read) checkUsage(file, locales, problems);
  checkLocales(locales, problems);
  const entries = pairUp(read, problems);
  if (problems.length > 0) {
    throw new TemplateError('invalid-catalogue', `templates are inconsistent:\n- ${problems.join('\n- ')}`);
  }
  return { ids: entries.map((e) => e.id), entries: new Map(entries.map((e) => [e.id, e])), locales };
}

/** Text kinds per language, for reports. */
export function textKinds(entry: TemplateEntry): Record<Language, TextKind> {
  return { kk: entry.files.kk.header.text, ru: entry.files.ru.header.text };
}
