import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PortabilityFile } from '../../gateway/smpp/portability-file.js';
import { operatorNames, PortabilityBuilder, UnknownOperatorError } from '../../gateway/smpp/portability.js';
import { metricValue, recordingLogger } from './helpers.js';

const CARRIERS = [
  { id: 'kcell', portabilityNames: ['KCELL', 'Activ'] },
  { id: 'beeline', portabilityNames: ['KaR-Tel'] },
  { id: 'tele2', portabilityNames: ['Altel'] },
];

function build(lines: string[]) {
  const builder = new PortabilityBuilder(operatorNames(CARRIERS));
  for (const line of lines) builder.add(line);
  return builder.build();
}

describe('the portability table', () => {
  it('finds each listed number’s carrier by any of its names, and nothing for unlisted numbers', () => {
    const { table, report } = build([
      '# number operator',
      '77011234567 beeline',
      '+7 701 765 43 21,ALTEL',
      '87471112233;activ',
      '',
      '77770000001\tKaR-Tel',
    ]);
    expect(report).toEqual({ numbers: 4, rejected: 0, rejectedLines: [] });
    expect(table.carrierOf('77011234567')).toBe('beeline');
    expect(table.carrierOf('77017654321')).toBe('tele2');
    expect(table.carrierOf('77471112233')).toBe('kcell');
    expect(table.carrierOf('77770000001')).toBe('beeline');
    expect(table.carrierOf('77011234568')).toBeUndefined();
    expect(table.carrierOf('77011234566')).toBeUndefined();
    expect(table.bytes).toBe(4 * 8);
  });

  it('loads without bad lines, counting them and keeping the first line numbers', () => {
    const { table, report } = build([
      '77011234567 beeline',
      'not a number kcell',
      '7701123456 kcell',
      '77011234568',
      '77011234569 tele2',
      '77011234567 tele2',
      '12345 kcell',
      'x y',
      '88888 kcell',
    ]);
    // 77011234567 is given two operators: left out, both lines rejected.
    expect(report.numbers).toBe(1);
    expect(report.rejected).toBe(8);
    expect(report.rejectedLines).toEqual([2, 3, 4, 7, 8]);
    expect(table.carrierOf('77011234569')).toBe('tele2');
  });

  it('a number the file gives two operators is left out (the prefix decides); one listed twice under one operator is kept', () => {
    const { table, report } = build([
      '77011234567 beeline',
      '77051234567 tele2',
      '77011234567 tele2',
      '77071234567 kcell',
      '87071234567 KCELL',
    ]);
    expect(table.carrierOf('77011234567')).toBeUndefined();
    expect(table.carrierOf('77051234567')).toBe('tele2');
    expect(table.carrierOf('77071234567')).toBe('kcell');
    expect(report).toMatchObject({ numbers: 2, rejected: 3 });
  });

  it('an operator no carrier claims stops the load, naming the line', () => {
    const builder = new PortabilityBuilder(operatorNames(CARRIERS));
    builder.add('77011234567 beeline');
    expect(() => builder.add('77011234568 freedom')).toThrow(UnknownOperatorError);
    expect(() => builder.add('77011234568 freedom')).toThrow(/line 3: operator "freedom"/);
  });
});

describe('PORTABILITY_FILE', () => {
  const dir = (): string => mkdtempSync(path.join(tmpdir(), 'mnp-'));
  /** Written whole, then renamed into place, as the operator's export job should. */
  const write = (file: string, text: string): void => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };

  it('reloads a changed file; a file naming an unknown operator keeps the table in force', async () => {
    const file = path.join(dir(), 'ported.txt');
    write(file, '77011234567 beeline\nbad line\n');
    const registry = new Registry();
    const logger = recordingLogger();
    const source = new PortabilityFile({
      path: file,
      carriers: CARRIERS,
      logger,
      registry,
      pollMs: 3_600_000,
    });
    await source.start();
    expect(source.table.carrierOf('77011234567')).toBe('beeline');
    expect(await metricValue(registry, 'gateway_portability_numbers')).toBe(1);
    expect(await metricValue(registry, 'gateway_portability_rejected_lines')).toBe(1);
    expect(await metricValue(registry, 'gateway_portability_rejected_line', { line: '2' })).toBe(1);
    expect(await metricValue(registry, 'gateway_portability_reloads_total', { result: 'loaded' })).toBe(1);

    expect(await source.reload()).toBe(false); // unchanged: not read again
    write(file, '77011234567 tele2\n77011234568 freedom\n');
    expect(await source.reload()).toBe(false);
    expect(source.table.carrierOf('77011234567')).toBe('beeline');
    expect(await metricValue(registry, 'gateway_portability_reloads_total', { result: 'invalid' })).toBe(1);

    write(file, '77011234567 tele2\n77011234568 kcell\n');
    expect(await source.reload()).toBe(true);
    expect(source.table.carrierOf('77011234567')).toBe('tele2');
    expect(source.table.carrierOf('77011234568')).toBe('kcell');
    expect(await metricValue(registry, 'gateway_portability_numbers')).toBe(2);
    expect(await metricValue(registry, 'gateway_portability_rejected_lines')).toBe(0);
    expect(await metricValue(registry, 'gateway_portability_file_age_seconds')).toBeGreaterThanOrEqual(0);
    source.close();
  });

  it('a missing file leaves the table empty and is reported, not fatal', async () => {
    const registry = new Registry();
    const source = new PortabilityFile({
      path: path.join(dir(), 'absent.txt'),
      carriers: CARRIERS,
      logger: recordingLogger(),
      registry,
      pollMs: 3_600_000,
    });
    await source.start();
    expect(source.table.size).toBe(0);
    expect(await metricValue(registry, 'gateway_portability_reloads_total', { result: 'unreadable' })).toBe(
      1,
    );
    source.close();
  });
});
