/**
 * Strict rendering (pure: no disk, clock or network). One handlebars instance, every template compiled
 * once when the renderer is created; `strict` so a missing variable throws instead of printing nothing,
 * `noEscape` because an SMS is not HTML (`&` stays `&`), `knownHelpersOnly` so a misspelt variable can
 * never be taken for a helper. Each result carries the template's id, language and SHA-256: the consent
 * record (CONTRACT, `consentTemplate`) proves with it which text the citizen saw.
 */
import Handlebars from 'handlebars';
import i18next, { type i18n } from 'i18next';
import { z } from 'zod';
import { segment, type SmsEncoding } from '../sms/encoding.js';
import { withoutSlots, type TemplateCatalogue, type TemplateEntry } from './catalogue.js';
import { TemplateError } from './errors.js';
import type { KnownTemplateId, KnownTemplateVars } from './known.js';
import { LANGUAGES, VAR_TYPES, localizeVar, type Language } from './var-types.js';

export interface SmsSegmentation {
  readonly encoding: SmsEncoding;
  /** Characters as a reader counts them. */
  readonly characters: number;
  /** Septets (GSM 03.38) or UTF-16 code units (UCS2). */
  readonly units: number;
  /** SMS parts the text takes (70/67 per part in UCS2, 160/153 in GSM). */
  readonly parts: number;
}

export interface RenderedSms {
  readonly templateId: string;
  readonly language: Language;
  /** Hex SHA-256 of the template source file's bytes. */
  readonly sha256: string;
  readonly text: string;
  readonly segmentation: SmsSegmentation;
}

/** Variables for a template: typed for the ids the code knows, checked at run time for every id. */
export type VarsFor<K extends string> = K extends KnownTemplateId
  ? KnownTemplateVars[K]
  : Record<string, unknown>;

export interface Renderer {
  readonly catalogue: TemplateCatalogue;
  /**
   * Render one SMS.
   * @throws TemplateError `unknown-template`, `invalid-variables` (names the template and the variable) or
   *   `render-failed`.
   */
  render<K extends string>(id: K, language: Language, vars: VarsFor<K>): RenderedSms;
  /** A shared vocabulary term (locales/*.json) in one language, e.g. for the agent console. */
  term(key: string, language: Language): string;
}

type Compiled = Record<Language, Handlebars.TemplateDelegate>;

const COMPILE_OPTIONS: CompileOptions = {
  strict: true,
  noEscape: true,
  knownHelpers: { t: true },
  knownHelpersOnly: true,
};

function createI18n(catalogue: TemplateCatalogue): i18n {
  const instance = i18next.createInstance();
  // Resources are in memory, so with initAsync false the instance is ready when init returns.
  void instance.init({
    resources: { kk: { translation: catalogue.locales.kk }, ru: { translation: catalogue.locales.ru } },
    lng: 'ru',
    fallbackLng: false,
    initAsync: false,
    interpolation: { escapeValue: false },
    // Keeps i18next's advertisement out of the gateway's logs.
    showSupportNotice: false,
  });
  return instance;
}

function schemaFor(entry: TemplateEntry): z.ZodType<Record<string, unknown>> {
  return z.object(Object.fromEntries(entry.vars.map((v) => [v.name, VAR_TYPES[v.type].schema])));
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `variable "${issue.path.join('.') || '(all)'}": ${issue.message}`)
    .join('; ');
}

/** Validate and localize the caller's variables into the template's context. */
function buildContext(
  entry: TemplateEntry,
  schema: z.ZodType<Record<string, unknown>>,
  language: Language,
  vars: unknown,
): Record<string, unknown> {
  const parsed = schema.safeParse(vars);
  if (!parsed.success) {
    const where = `template "${entry.id}" (${language})`;
    throw new TemplateError('invalid-variables', `${where}: ${describeIssues(parsed.error)}`);
  }
  return Object.fromEntries(
    entry.vars.map((v) => [v.name, localizeVar(v.type, parsed.data[v.name], language)]),
  );
}

function segmentation(text: string): SmsSegmentation {
  const s = segment(text);
  return { encoding: s.encoding, characters: s.characters, units: s.units, parts: s.parts.length };
}

interface Prepared {
  readonly entry: TemplateEntry;
  readonly schema: z.ZodType<Record<string, unknown>>;
  readonly fn: Compiled;
}

/** Compile both languages of every template with one handlebars instance. */
function compileAll(hb: typeof Handlebars, catalogue: TemplateCatalogue): Map<string, Prepared> {
  const prepared = new Map<string, Prepared>();
  for (const entry of catalogue.entries.values()) {
    // Handlebars compiles lazily on first use: precompile now so a broken template fails at start-up.
    for (const lang of LANGUAGES) hb.precompile(entry.files[lang].source, COMPILE_OPTIONS);
    const fn = Object.fromEntries(
      LANGUAGES.map((lang) => [lang, hb.compile(entry.files[lang].source, COMPILE_OPTIONS)]),
    ) as Compiled;
    prepared.set(entry.id, { entry, schema: schemaFor(entry), fn });
  }
  return prepared;
}

function run(found: Prepared, language: Language, context: Record<string, unknown>): string {
  const where = `template "${found.entry.id}" (${language})`;
  let text: string;
  try {
    text = found.fn[language](context, { data: { language } }).trim();
  } catch (error) {
    throw new TemplateError(
      'render-failed',
      `${where}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (/[{}]/.test(withoutSlots(text, found.entry.files[language].header.slots)))
    throw new TemplateError('render-failed', `${where} left a brace in the text`);
  return text;
}

/** Compile every template of the catalogue (once, here) and return the renderer. */
export function createRenderer(catalogue: TemplateCatalogue): Renderer {
  const hb = Handlebars.create();
  const i18n = createI18n(catalogue);
  const term = (key: string, language: Language): string => {
    if (!i18n.exists(key, { lng: language })) {
      throw new TemplateError('render-failed', `no term "${key}" in locales/${language}.json`);
    }
    return i18n.t(key, { lng: language });
  };
  hb.registerHelper('t', (key: unknown, options: Handlebars.HelperOptions) =>
    term(String(key), (options.data as { language: Language }).language),
  );
  const prepared = compileAll(hb, catalogue);

  function render(id: string, language: Language, vars: unknown): RenderedSms {
    const found = prepared.get(id);
    if (!found)
      throw new TemplateError('unknown-template', `no template "${id}" in templates/kk and templates/ru`);
    const text = run(found, language, buildContext(found.entry, found.schema, language, vars));
    const { sha256 } = found.entry.files[language];
    return { templateId: id, language, sha256, text, segmentation: segmentation(text) };
  }

  return { catalogue, render, term };
}
