import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logContext } from '../../gateway/log.js';

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logging protects citizens', () => {
  it('masks MSISDNs and hides names and message text, at top level and nested', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info(
      {
        msisdn: '77011234567',
        text: '123#3#1',
        reply: { from: '77019876543', text: 'Иә' },
        fullName: 'Айгүл Сейітқызы',
      },
      'reply',
    );
    const [line] = out.lines();
    const raw = JSON.stringify(line);
    expect(line?.msisdn).toBe('7701***4567');
    expect(raw).not.toContain('77011234567');
    expect(raw).not.toContain('77019876543');
    expect(raw).not.toContain('123#3#1');
    expect(raw).not.toContain('Айгүл');
    expect((line?.reply as Record<string, unknown>).from).toBe('7701***6543');
  });

  it('never logs an API key from request headers', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info({ req: { headers: { authorization: 'Bearer sys-key-0123456789abcdef' } } }, 'request');
    expect(JSON.stringify(out.lines())).not.toContain('sys-key');
  });

  it('leaves a short code sender as it is (it is not personal data)', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info({ from: '1414' }, 'x');
    expect(out.lines()[0]?.from).toBe('1414');
  });

  it('writes levels by name, and every line inside a request context carries its id', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    logContext.run({ requestId: 'req-1' }, () => log.warn({ event: 'x' }, 'inside'));
    log.info('outside');
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({ level: 'warn', requestId: 'req-1', event: 'x', app: 'gateway-1414' });
    expect(outside).toMatchObject({ level: 'info' });
    expect(outside).not.toHaveProperty('requestId');
  });
});
