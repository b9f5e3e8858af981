/**
 * The ported-numbers table (pure): MSISDN → the carrier that serves it now, read from the
 * operator's portability data file (docs/smpp.md, "Ported numbers").
 *
 * Kazakhstan's mobile number portability means a number's prefix names only its first
 * carrier. The table may hold millions of numbers, so it is one sorted Float64Array: each
 * entry is `msisdn * 256 + carrier index` (an 11-digit number times 256 stays below 2^53,
 * exact in a double), 8 bytes per number, found by binary search.
 *
 * File format: one number per line, `<msisdn> <operator>` separated by a space, tab, comma or
 * semicolon; the MSISDN in any form the API accepts (`77011234567`, `+7 701 123 45 67`,
 * `87011234567`); the operator a carrier id of CARRIERS_FILE or one of its `portabilityNames`
 * (case-insensitive). Blank lines and lines starting with `#` are skipped. A line that does
 * not read is rejected and counted; an operator no carrier claims stops the load.
 */
import { normalizeMsisdn } from '../../common/msisdn.js';

/** The most carriers a table can name (the index is one byte). */
const MAX_CARRIERS = 256;
/** Rejected lines whose numbers are kept for the log and /metrics. */
export const REJECTED_LINES_KEPT = 5;

export class UnknownOperatorError extends Error {
  override readonly name = 'UnknownOperatorError';
}

export class PortabilityTable {
  private constructor(
    private readonly entries: Float64Array,
    private readonly carriers: readonly string[],
  ) {}

  static readonly EMPTY = new PortabilityTable(new Float64Array(0), []);

  /** Numbers in the table. */
  get size(): number {
    return this.entries.length;
  }

  /** Bytes the table holds (the entries; the carrier names are a few bytes). */
  get bytes(): number {
    return this.entries.byteLength;
  }

  /** The carrier of a ported number, or undefined when the table does not list it. */
  carrierOf(msisdn: string): string | undefined {
    if (this.entries.length === 0) return undefined;
    const n = Number(msisdn);
    if (!Number.isSafeInteger(n)) return undefined;
    const low = n * MAX_CARRIERS;
    const entries = this.entries;
    let lo = 0;
    let hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = entries[mid] as number;
      if (v < low) lo = mid + 1;
      else if (v >= low + MAX_CARRIERS) hi = mid - 1;
      else return this.carriers[v - low];
    }
    return undefined;
  }

  /** Builds a table from parsed entries (numbers and carrier indexes into `carriers`). */
  static fromEntries(entries: Float64Array, carriers: readonly string[]): PortabilityTable {
    entries.sort();
    return new PortabilityTable(entries, carriers);
  }
}

/** What a load found, for the log and /metrics. */
export interface LoadReport {
  readonly numbers: number;
  /** Lines that did not read (not a number, no operator, a number listed twice). */
  readonly rejected: number;
  /** The first {@link REJECTED_LINES_KEPT} rejected line numbers (1-based). */
  readonly rejectedLines: readonly number[];
}

/**
 * Builds a table line by line. `operators` maps every accepted operator spelling (lower-case)
 * to its carrier id.
 */
export class PortabilityBuilder {
  private entries = new Float64Array(1024);
  private count = 0;
  private line = 0;
  private rejected = 0;
  private readonly rejectedLines: number[] = [];
  private readonly carriers: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly operators: ReadonlyMap<string, string>) {}

  /** One line of the file; throws {@link UnknownOperatorError} for an operator no carrier claims. */
  add(text: string): void {
    this.line++;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/[\s,;]+/);
    const operator = fields.length >= 2 ? fields[fields.length - 1] : undefined;
    const msisdn = normalizeMsisdn(fields.slice(0, -1).join(''));
    if (!msisdn || !operator) {
      this.reject();
      return;
    }
    const carrier = this.operators.get(operator.toLowerCase());
    if (carrier === undefined)
      throw new UnknownOperatorError(`line ${this.line}: operator "${operator.slice(0, 40)}" is no carrier`);
    this.push(Number(msisdn) * MAX_CARRIERS + this.carrierIndex(carrier));
  }

  /**
   * The table and what was rejected. A number listed twice under one operator is kept once; under
   * two operators the file contradicts itself, so it is left out (its prefix, what was learned and
   * a second try decide, as for a number never ported): keeping either one would send the SMS to a
   * carrier by the order of the file. Every line beyond the first of a number counts as rejected,
   * and both of a contradiction.
   */
  build(): { table: PortabilityTable; report: LoadReport } {
    const sorted = this.entries.subarray(0, this.count).sort();
    let kept = 0;
    let duplicates = 0;
    for (let i = 0; i < sorted.length;) {
      const v = sorted[i] as number;
      const number = Math.floor(v / MAX_CARRIERS);
      let end = i + 1;
      let contradicted = false;
      while (end < sorted.length && Math.floor((sorted[end] as number) / MAX_CARRIERS) === number) {
        if (sorted[end] !== v) contradicted = true;
        end++;
      }
      if (contradicted) duplicates += end - i;
      else {
        duplicates += end - i - 1;
        sorted[kept++] = v;
      }
      i = end;
    }
    const table = PortabilityTable.fromEntries(sorted.slice(0, kept), [...this.carriers]);
    this.entries = new Float64Array(0);
    return {
      table,
      report: {
        numbers: kept,
        rejected: this.rejected + duplicates,
        rejectedLines: [...this.rejectedLines],
      },
    };
  }

  private reject(): void {
    this.rejected++;
    if (this.rejectedLines.length < REJECTED_LINES_KEPT) this.rejectedLines.push(this.line);
  }

  private carrierIndex(carrier: string): number {
    let i = this.index.get(carrier);
    if (i === undefined) {
      i = this.carriers.length;
      if (i >= MAX_CARRIERS) throw new UnknownOperatorError(`more than ${MAX_CARRIERS} carriers`);
      this.carriers.push(carrier);
      this.index.set(carrier, i);
    }
    return i;
  }

  private push(value: number): void {
    if (this.count === this.entries.length) {
      const grown = new Float64Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[this.count++] = value;
  }
}

/** Every accepted operator spelling (lower-case) → carrier id: the ids and their `portabilityNames`. */
export function operatorNames(
  carriers: ReadonlyArray<{ readonly id: string; readonly portabilityNames?: readonly string[] | undefined }>,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const c of carriers) {
    names.set(c.id.toLowerCase(), c.id);
    for (const name of c.portabilityNames ?? []) names.set(name.toLowerCase(), c.id);
  }
  return names;
}
