/**
 * Template sets by act: the texts a legal act prescribes, with the act that prescribes them and the days
 * they are in force. Each set is a manifest `templates/sets/<id>.json` and the template files of its
 * service in `templates/kk/<dir>/` and `templates/ru/<dir>/` (`dir` "." for the language folders
 * themselves). A new or amended act is a new manifest and new files: loaded and checked at start-up, no
 * code change (001, items 4.7-4.8).
 *
 * An invitation uses the set in force on the day it is sent (Asia/Almaty); a conversation keeps that set
 * to its end, so its follow-ups and its consent record cite the act the citizen was invited under.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { addDays, ALMATY_ZONE, isLocalDate, startOfLocalDay, toLocal } from '../dialogue/time.js';
import {
  buildCatalogue,
  lookupTerm,
  type LocaleResource,
  type TemplateCatalogue,
  type TemplateFileInput,
} from './catalogue.js';
import { TemplateError } from './errors.js';
import type { TextKind } from './header.js';
import { inspectTemplate } from './inspect.js';
import { createRenderer, type RenderedSms, type Renderer, type VarsFor } from './renderer.js';
import { LANGUAGES, linkProblem, type Language } from './var-types.js';

/** The service whose sets hold the gateway's own messages (`gateway.*`): composed, no act. */
export const GATEWAY_SERVICE = 'gateway';

const localDate = z.string().refine(isLocalDate, 'must be a date YYYY-MM-DD');

const actSchema = z.object({
  /** What the act is, as its title reads. */
  title: z.string().min(1),
  /** Its number(s), e.g. "№ 42, № 75/НҚ, № 38". */
  number: z.string().min(1),
  /** The day it was signed (YYYY-MM-DD). */
  date: localDate,
  /** Where in the act the texts are, e.g. "Algorithm, Appendix 1-5". */
  appendix: z.string().min(1),
  /** The act's own term of force as it states it, e.g. "item 6: until 31.12.2024". */
  term: z.string().min(1).optional(),
});

export const manifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lowercase letters, digits, . and -'),
    /** The service (services/<id>.json) whose templates the set holds, or `gateway`. */
    service: z.string().regex(/^[a-z][a-z0-9-]*$/),
    /** The act; null only for the gateway's own messages, which no act words. */
    act: actSchema.nullable(),
    /** The days (Asia/Almaty, both included) an invitation may start under this set; `until` null: open. */
    inForce: z.object({ from: localDate, until: localDate.nullable() }),
    /** Folder of the set's files inside templates/kk/ and templates/ru/. */
    dir: z
      .string()
      .regex(/^(\.|[a-z0-9][a-z0-9.-]*)$/, 'must be "." or one folder name')
      .default('.'),
    notes: z.string().optional(),
  })
  .refine((m) => m.inForce.until === null || m.inForce.until >= m.inForce.from, {
    message: 'inForce.until is before inForce.from',
    path: ['inForce', 'until'],
  });
export type ActReference = z.infer<typeof actSchema>;

export interface TemplateSet {
  readonly id: string;
  readonly service: string;
  readonly act: ActReference | null;
  readonly from: string;
  readonly until: string | null;
  /** Path of the manifest relative to the templates folder: what every error about the set names. */
  readonly file: string;
  /**
   * Hex SHA-256 of the set: its manifest, every template file and the value of every vocabulary term its
   * templates use. The version a conversation records: a changed term or file is a changed version.
   */
  readonly sha256: string;
  readonly catalogue: TemplateCatalogue;
  readonly renderer: Renderer;
}

/** What a rendered SMS followed: its set, and how its text relates to the act. */
export interface SetRenderedSms extends RenderedSms {
  readonly set: { readonly id: string; readonly sha256: string };
  readonly wording: TextKind;
}

export interface RenderOptions {
  /** The conversation's set: used when it holds the template (the gateway's messages are in their own). */
  readonly set?: string | undefined;
  /** Epoch ms: picks the set in force that day when `set` does not apply. Default: now. */
  readonly at?: number;
}

export interface TemplateSets {
  readonly sets: readonly TemplateSet[];
  readonly locales: Readonly<Record<Language, LocaleResource>>;
  get(id: string): TemplateSet | undefined;
  /** The set of `service` in force on the Asia/Almaty day of `at` (epoch ms), or undefined. */
  inForce(service: string, at: number): TemplateSet | undefined;
  /** The set of `service` in force on `day` (YYYY-MM-DD, Asia/Almaty), or undefined. */
  inForceOn(service: string, day: string): TemplateSet | undefined;
  /**
   * Render one SMS with the conversation's set, else the set in force.
   * @throws TemplateError `no-set-in-force`, or the renderer's own errors.
   */
  render<K extends string>(
    id: K,
    language: Language,
    vars: VarsFor<K>,
    options?: RenderOptions,
  ): SetRenderedSms;
  term(key: string, language: Language): string;
}

/** The last day `almatyDay` read, and the instants it spans [from, until). */
let lastDay = { from: 0, until: 0, date: '' };

/**
 * The Asia/Almaty day of an instant, YYYY-MM-DD. Every render asks it; the day read last is
 * answered from the instants it spans without reading the wall clock again.
 */
export function almatyDay(at: number): string {
  if (at >= lastDay.from && at < lastDay.until) return lastDay.date;
  const date = toLocal(ALMATY_ZONE, new Date(at)).date;
  lastDay = {
    from: startOfLocalDay(ALMATY_ZONE, date).getTime(),
    until: startOfLocalDay(ALMATY_ZONE, addDays(date, 1)).getTime(),
    date,
  };
  return date;
}

/** Is `day` inside the set's period? */
export function isInForce(set: Pick<TemplateSet, 'from' | 'until'>, day: string): boolean {
  return day >= set.from && (set.until === null || day <= set.until);
}

const serviceOf = (templateId: string): string => templateId.slice(0, templateId.indexOf('.'));

/** One set's files as read: the manifest and its parsed content. */
export interface SetInput {
  /** Path relative to the templates folder, e.g. `sets/home-schooling.2024-02-16.json`. */
  readonly file: string;
  readonly bytes: Uint8Array;
}

/** Every literal URL in a template: the act's own links (http://egov.kz) must at least be well formed. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"«»]+/g;

function checkLinks(set: Omit<TemplateSet, 'renderer' | 'sha256'>, problems: string[]): void {
  for (const entry of set.catalogue.entries.values()) {
    for (const lang of LANGUAGES) {
      const file = entry.files[lang];
      const literal = inspectTemplate(file.ast).literals.join('\n');
      for (const match of literal.match(URL_IN_TEXT) ?? []) {
        const url = match.replace(/[.,;:!?)]+$/, '');
        // The acts' own links may be http (003, Appendix 4: http://egov.kz): judged as https otherwise.
        const problem = linkProblem(url.replace(/^http:/, 'https:'));
        if (problem !== null) problems.push(`${file.path}: link "${url}" ${problem}`);
      }
    }
  }
}

/** The set's version: manifest, files and the terms they use, in a fixed order. */
function setHash(manifest: Uint8Array, catalogue: TemplateCatalogue): string {
  const hash = createHash('sha256').update(manifest);
  for (const id of catalogue.ids) {
    const entry = catalogue.entries.get(id)!;
    for (const lang of LANGUAGES) {
      const file = entry.files[lang];
      hash.update(`\n${file.path} ${file.sha256}`);
      const terms = [...inspectTemplate(file.ast).terms].sort();
      for (const term of terms) hash.update(`\n${lang} ${term}=${lookupTerm(catalogue.locales[lang], term)}`);
    }
  }
  return hash.digest('hex');
}

/** One line, naming the file: what stops start-up. */
function invalid(file: string, problems: readonly string[]): TemplateError {
  const text = problems.map((p) => p.replace(/\s*\n\s*-?\s*/g, ' ')).join('; ');
  return new TemplateError('invalid-set', `templates/${file}: ${text}`);
}

function checkOverlaps(sets: readonly TemplateSet[]): void {
  for (const [i, a] of sets.entries()) {
    for (const b of sets.slice(i + 1)) {
      if (a.service !== b.service) continue;
      const overlap = (a.until === null || b.from <= a.until) && (b.until === null || a.from <= b.until);
      if (overlap) {
        throw invalid(b.file, [
          `its period ${b.from}..${b.until ?? ''} overlaps ${a.file} (${a.from}..${a.until ?? ''}) for service "${a.service}"`,
        ]);
      }
    }
  }
}

/**
 * Build and check every set (pure: no disk). `files` are every template file of every folder a set
 * names (`dir` "." → the language folders), keyed by folder.
 * @throws TemplateError `invalid-set`, one line naming the file at fault.
 */
export function buildTemplateSets(
  manifests: readonly SetInput[],
  files: ReadonlyMap<string, readonly TemplateFileInput[]>,
  locales: Record<Language, LocaleResource>,
): TemplateSets {
  const sets: TemplateSet[] = [];
  const claimed = new Set<string>();
  for (const input of manifests) {
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(input.bytes).toString('utf8'));
    } catch (error) {
      throw invalid(input.file, [(error as Error).message]);
    }
    const parsed = manifestSchema.safeParse(raw);
    if (!parsed.success) {
      throw invalid(
        input.file,
        parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      );
    }
    const m = parsed.data;
    if (`sets/${m.id}.json` !== input.file)
      throw invalid(input.file, [`id "${m.id}" must match the file name`]);
    if (m.act === null && m.service !== GATEWAY_SERVICE)
      throw invalid(input.file, ["act is null, which only the gateway's own messages may be"]);
    const own = (files.get(m.dir) ?? []).filter((f) => serviceOf(f.fileName) === m.service);
    for (const f of own) claimed.add(`${m.dir}/${f.language}/${f.fileName}`);
    if (own.length === 0)
      throw invalid(input.file, [
        `no template of "${m.service}" in templates/kk/${m.dir} and templates/ru/${m.dir}`,
      ]);
    let catalogue: TemplateCatalogue;
    try {
      catalogue = buildCatalogue(own, locales, m.dir);
    } catch (error) {
      throw invalid(input.file, [(error as Error).message]);
    }
    const partial = {
      id: m.id,
      service: m.service,
      act: m.act,
      from: m.inForce.from,
      until: m.inForce.until,
      file: input.file,
      catalogue,
    };
    const problems: string[] = [];
    checkLinks(partial, problems);
    if (problems.length > 0) throw invalid(input.file, problems);
    let renderer: Renderer;
    try {
      renderer = createRenderer(catalogue);
    } catch (error) {
      throw invalid(input.file, [(error as Error).message]);
    }
    sets.push({ ...partial, sha256: setHash(input.bytes, catalogue), renderer });
  }
  for (const [dir, list] of files) {
    for (const f of list) {
      if (!claimed.has(`${dir}/${f.language}/${f.fileName}`)) {
        const where = dir === '.' ? f.language : `${f.language}/${dir}`;
        throw new TemplateError(
          'invalid-set',
          `templates/${where}/${f.fileName}: belongs to no set (no templates/sets/*.json names service "${serviceOf(f.fileName)}" with dir "${dir}")`,
        );
      }
    }
  }
  checkOverlaps(sets);
  return templateSets(sets, locales);
}

function templateSets(sets: readonly TemplateSet[], locales: Record<Language, LocaleResource>): TemplateSets {
  const byId = new Map(sets.map((s) => [s.id, s]));
  const inForceOn = (service: string, day: string): TemplateSet | undefined =>
    sets.find((s) => s.service === service && isInForce(s, day));
  const inForce = (service: string, at: number): TemplateSet | undefined => inForceOn(service, almatyDay(at));
  const anyRenderer = sets[0]?.renderer;
  return {
    sets,
    locales,
    get: (id) => byId.get(id),
    inForce,
    inForceOn,
    term(key, language) {
      if (!anyRenderer) throw new TemplateError('render-failed', `no term "${key}": no template set loaded`);
      return anyRenderer.term(key, language);
    },
    render(id, language, vars, options = {}) {
      const own = options.set === undefined ? undefined : byId.get(options.set);
      const at = options.at ?? Date.now();
      const set = own?.catalogue.entries.has(id) ? own : inForce(serviceOf(id), at);
      if (!set) {
        throw new TemplateError(
          'no-set-in-force',
          `no template set of "${serviceOf(id)}" is in force on ${almatyDay(at)} (templates/sets/)`,
        );
      }
      const sms = set.renderer.render(id, language, vars);
      const wording = set.catalogue.entries.get(id)!.files[language].header.text;
      return { ...sms, set: { id: set.id, sha256: set.sha256 }, wording };
    },
  };
}
