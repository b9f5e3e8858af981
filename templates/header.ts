/**
 * The header every template file begins with: a handlebars comment (never rendered) that states where the
 * text comes from and which variables it takes. Deriving the catalogue from it is what lets a new service
 * be added with files only.
 *
 *     {{!--
 *       id: home-schooling.offer-one-bank
 *       source: 003 (Russian), Algorithm, Appendix 1
 *       text: verbatim
 *       vars: serviceCode:code, bank:bank
 *       slots: {порядковый номер банка}
 *       notes: free text, may run over several lines
 *
 * `slots` (optional) names the act's own slots the citizen fills in, written as the act writes them:
 * the only braces a rendered SMS may hold (docs/decisions/0005-citizen-slot.md).
 *     --}}
 */
import { isVarTypeName, type VarTypeName } from './var-types.js';

/** How the text relates to the legal act. */
export const TEXT_KINDS = ['verbatim', 'translation', 'composed'] as const;
export type TextKind = (typeof TEXT_KINDS)[number];

export interface VarDecl {
  readonly name: string;
  readonly type: VarTypeName;
}

export interface TemplateHeader {
  readonly id: string;
  /** Document and appendix the text comes from, or "the gateway's own message". */
  readonly source: string;
  readonly text: TextKind;
  readonly vars: readonly VarDecl[];
  /** The act's slots left for the citizen, braces included, e.g. `{порядковый номер банка}`. */
  readonly slots: readonly string[];
}

export type HeaderResult = { ok: true; header: TemplateHeader } | { ok: false; problems: string[] };

const HEADER = /^\{\{!--([\s\S]*?)--\}\}/;
const FIELD = /^\s*(id|source|text|vars|slots):[ \t]*(.*?)\s*$/;
const SLOT = /\{[^{}\r\n]+\}/g;
const VAR_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

function readFields(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = FIELD.exec(line);
    if (m?.[1] !== undefined && !fields.has(m[1])) fields.set(m[1], m[2] ?? '');
  }
  return fields;
}

function parseVars(list: string, problems: string[]): VarDecl[] {
  const vars: VarDecl[] = [];
  for (const item of list.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const [name = '', type = ''] = item.split(':').map((s) => s.trim());
    if (!VAR_NAME.test(name)) problems.push(`variable "${name}" is not a valid name`);
    else if (!isVarTypeName(type)) problems.push(`variable "${name}" has unknown type "${type}"`);
    else if (vars.some((v) => v.name === name)) problems.push(`variable "${name}" is declared twice`);
    else vars.push({ name, type });
  }
  return vars;
}

/** Parse the header comment at the very start of a template's source. */
export function parseHeader(source: string): HeaderResult {
  const match = HEADER.exec(source);
  if (!match?.[1]) return { ok: false, problems: ['does not begin with a {{!-- ... --}} header'] };
  const fields = readFields(match[1]);
  const problems: string[] = [];
  for (const key of ['id', 'source', 'text', 'vars']) {
    if (!fields.has(key)) problems.push(`header has no "${key}:" line`);
  }
  const text = fields.get('text') ?? '';
  if (fields.has('text') && !(TEXT_KINDS as readonly string[]).includes(text)) {
    problems.push(`header "text: ${text}" is not one of ${TEXT_KINDS.join(', ')}`);
  }
  const vars = parseVars(fields.get('vars') ?? '', problems);
  const slotField = fields.get('slots') ?? '';
  const slots = slotField.match(SLOT) ?? [];
  if (slotField.replace(SLOT, '').replace(/[\s,]/g, '') !== '')
    problems.push(`header "slots: ${slotField}" must list {…} slots separated by commas`);
  if (problems.length > 0) return { ok: false, problems };
  const header = {
    id: fields.get('id') ?? '',
    source: fields.get('source') ?? '',
    text: text as TextKind,
    vars,
    slots,
  };
  return { ok: true, header };
}
