/**
 * Reads test/fixtures/replies.tsv (a copy of shared/corpus/replies.tsv): what citizens really
 * type, with the reading the gateway must make of it. Shared by the tests and the benchmark.
 */
import { readFileSync } from 'node:fs';

/** One corpus row; null fields were '-' (absent) in the file. */
export interface CorpusRow {
  readonly line: number;
  readonly text: string;
  readonly serviceCode: string | null;
  readonly answer: number | null;
  readonly choice: number | null;
  readonly why: string;
}

const FIXTURE = new URL('../fixtures/replies.tsv', import.meta.url);

// Header lines are "# " then a word or a quote; a reply such as "#3#1" or "# 3 # 1" is not.
const COMMENT = /^# [a-z']/i;

function field(value: string | undefined): string | null {
  return value === undefined || value === '-' ? null : value;
}

/** The corpus rows (of the fixture, or of `file`), with the file's `\n` escapes turned into line breaks. */
export function readCorpus(file: URL | string = FIXTURE): CorpusRow[] {
  const rows: CorpusRow[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      if (raw.length === 0 || COMMENT.test(raw)) return;
      const [text = '', serviceCode, answer, choice, why = ''] = raw.split('\t');
      const answerField = field(answer);
      const choiceField = field(choice);
      rows.push({
        line: index + 1,
        text: text.replaceAll('\\n', '\n'),
        serviceCode: field(serviceCode),
        answer: answerField === null ? null : Number(answerField),
        choice: choiceField === null ? null : Number(choiceField),
        why,
      });
    });
  return rows;
}
