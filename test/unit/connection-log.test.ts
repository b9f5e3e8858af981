import { describe, expect, it } from 'vitest';
import { connectionLog } from '../../gateway/connection-log.js';
import { captureLog } from '../support/log-lines.js';

describe('connection errors as state changes', () => {
  it('writes one line when the dependency goes, one when every connection is back, with the count between', () => {
    const out = captureLog('debug');
    let now = 1_000;
    const redis = connectionLog(out.log, 'redis', () => now);
    for (let i = 0; i < 40; i++) {
      redis.clientError('gateway', new Error('connect ECONNREFUSED'));
      redis.clientError('gateway-workers', new Error('connect ECONNREFUSED'));
      redis.error('queue sms-out', new Error('connect ECONNREFUSED'));
    }
    expect(redis.up).toBe(false);
    now += 8_000;
    redis.ready('gateway');
    expect(redis.up).toBe(false);
    redis.ready('gateway-workers');
    expect(redis.up).toBe(true);
    const logged = out.lines().filter((l) => l.level !== 'debug');
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'redis unreachable'],
      ['info', 'redis reachable again'],
    ]);
    expect(logged[1]).toMatchObject({ dependency: 'redis', errors: 120, downMs: 8_000 });
    // What rode on the connections meanwhile is at debug only.
    expect(
      new Set(
        out
          .lines()
          .filter((l) => l.level === 'debug')
          .map((l) => l.msg),
      ),
    ).toEqual(new Set(['queue sms-out error']));
  });

  it("counts a connection's own error that comes before the clients notice, instead of logging it as a fault", () => {
    const out = captureLog('debug');
    const redis = connectionLog(out.log, 'redis');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    redis.error('sms-out worker', refused);
    redis.error('inbound worker', new Error('Connection is closed.'));
    redis.clientError('gateway', refused);
    redis.ready('gateway');
    expect(out.lines().map((l) => [l.level, l.msg])).toEqual([
      ['debug', 'sms-out worker error'],
      ['debug', 'inbound worker error'],
      ['warn', 'redis unreachable'],
      ['info', 'redis reachable again'],
    ]);
  });

  it('logs an error of a queue by itself while every connection is up (it is not about the connection)', () => {
    const out = captureLog('debug');
    const redis = connectionLog(out.log, 'redis');
    redis.error('queue inbound', new Error('NOSCRIPT'));
    redis.error('queue inbound', new Error('NOSCRIPT'));
    expect(out.lines().map((l) => [l.msg, l.source])).toEqual([
      ['queue inbound error', 'queue inbound'],
      ['queue inbound error', 'queue inbound'],
    ]);
  });

  it('a second outage has its own pair of lines', () => {
    const out = captureLog('debug');
    const redis = connectionLog(out.log, 'redis');
    for (const _ of [1, 2]) {
      redis.clientError('gateway', new Error('down'));
      redis.clientError('gateway', new Error('down'));
      redis.ready('gateway');
    }
    expect(out.lines().map((l) => [l.msg, l.errors])).toEqual([
      ['redis unreachable', undefined],
      ['redis reachable again', 2],
      ['redis unreachable', undefined],
      ['redis reachable again', 2],
    ]);
  });
});
