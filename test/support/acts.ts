/**
 * The SMS forms of the legal acts read from the act files themselves (../shared/seeds), as an
 * acceptance tester reads them: no template, fixture or excerpt of ours in between.
 *
 * A form is the text between its heading and the act's next rule or heading. Its paragraphs are
 * the act's: a line indented by two or more blanks (spaces, no-break spaces, tabs) or after an
 * empty line starts one; any other line continues the paragraph (the seed's line wrapping, read
 * as one space). Runs of blanks are one space. What the text extraction of the seeds broke is
 * repaired by name (`Repair`), and each repair must apply exactly once, so a changed act fails
 * the test instead of passing unrepaired.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARED } from './requires.js';

export interface Repair {
  readonly from: string;
  readonly to: string;
  /** Why the seed's text is not what the act says. */
  readonly why: string;
}

export interface FormSpec {
  /** The act's number, the file name's prefix in seeds/ (`003`). */
  readonly act: string;
  /** How the line (trimmed) that heads the form starts, e.g. `Приложение 1`. */
  readonly heading: string;
  /** Where the SMS text starts after the heading: the first line that starts with this (trimmed). */
  readonly first: string;
  /** Where it ends: the first line after `first` that starts with this (trimmed). */
  readonly end: string;
  /** Lines of the form that are no SMS text (a blank's caption), trimmed. */
  readonly captions?: readonly string[];
  readonly repairs?: readonly Repair[];
}

const BLANK = /[ \u00a0\t]/;

/** The act's file: `seeds/<act>_<hash>.txt`. */
export function actFile(act: string): string {
  const dir = path.join(SHARED, 'seeds');
  const name = readdirSync(dir).find((f) => f.startsWith(`${act}_`) && f.endsWith('.txt'));
  if (name === undefined) throw new Error(`no act ${act} in ${dir}`);
  return path.join(dir, name);
}

/** Whitespace as the act means it: one space for each run, none at the ends. */
export const spaces = (text: string): string => text.replace(/[\s\u00a0]+/g, ' ').trim();

/** The paragraphs of one SMS form, as the act writes them (repairs applied). */
export function actForm(spec: FormSpec): string[] {
  const lines = readFileSync(actFile(spec.act), 'utf8').split(/\r?\n/);
  const heading = lines.findIndex((l) => l.trim().startsWith(spec.heading));
  if (heading < 0) throw new Error(`act ${spec.act} has no heading "${spec.heading}"`);
  const first = lines.findIndex((l, i) => i > heading && l.trim().startsWith(spec.first));
  if (first < 0) throw new Error(`act ${spec.act}: no "${spec.first}" after "${spec.heading}"`);
  const end = lines.findIndex((l, i) => i > first && l.trim().startsWith(spec.end));
  if (end < 0) throw new Error(`act ${spec.act}: no "${spec.end}" after "${spec.first}"`);

  const paragraphs: string[] = [];
  let current: string | undefined;
  let afterEmpty = true;
  for (const line of lines.slice(first, end)) {
    if (line.trim() === '') {
      afterEmpty = true;
      continue;
    }
    if (spec.captions?.includes(line.trim())) continue;
    const indented = BLANK.test(line[0] ?? '') && BLANK.test(line[1] ?? '');
    if (current === undefined || indented || afterEmpty) {
      if (current !== undefined) paragraphs.push(current);
      current = line;
    } else {
      current += ` ${line}`;
    }
    afterEmpty = false;
  }
  if (current !== undefined) paragraphs.push(current);

  let text = paragraphs.map(spaces).join('\n');
  for (const repair of spec.repairs ?? []) {
    const count = text.split(repair.from).length - 1;
    if (count !== 1) {
      throw new Error(
        `repair "${repair.from}" applies ${count} times in act ${spec.act} ${spec.heading}, not once`,
      );
    }
    text = text.replace(repair.from, repair.to);
  }
  return text.split('\n');
}

/** Fills `{placeholder}`s: each must be in the text, and no brace but the `kept` slots may be left. */
export function fill(
  paragraphs: readonly string[],
  values: Readonly<Record<string, string>>,
  kept: readonly string[] = [],
): string {
  let text = paragraphs.join('\n');
  for (const [placeholder, value] of Object.entries(values)) {
    if (!text.includes(placeholder)) throw new Error(`the act's form has no ${placeholder}`);
    text = text.replaceAll(placeholder, value);
  }
  let rest = text;
  for (const slot of kept) rest = rest.replaceAll(slot, '');
  const left = /\{[^}]*\}/.exec(rest);
  if (left) throw new Error(`placeholder ${left[0]} left unfilled`);
  return text;
}
