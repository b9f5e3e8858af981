import { afterEach, describe, expect, it } from 'vitest';
import { BindPool } from '../../gateway/smpp/pool.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';
import { testBind } from './helpers.js';

const skip = missing(perlSmsc);

let smsc: PerlSmsc | undefined;
let pool: BindPool | undefined;

afterEach(async () => {
  await pool?.close();
  await smsc?.stop();
  pool = smsc = undefined;
});

describe.skipIf(skip)('BindPool', () => {
  it('spreads submits over the bound binds, and keeps sending on the other when one drops', async () => {
    smsc = await PerlSmsc.start();
    const a = testBind(smsc.smppPort, { id: 'a' }).bind;
    const b = testBind(smsc.smppPort, { id: 'b' }).bind;
    pool = new BindPool([a, b]);
    await Promise.all([a.waitFor('bound', 5000), b.waitFor('bound', 5000)]);
    expect(pool.state).toBe('bound');
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) => pool!.submit({ to: '77011234567', text: `m${i}` })),
    );
    expect(results.map((r) => r.bindId).sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(new Set((await smsc.receivedAtLeast('submit_sm', 4)).map((l) => l.conn)).size).toBe(2);

    await b.close();
    const after = await pool.submit({ to: '77011234567', text: 'only a' });
    expect(after.bindId).toBe('a');
  });

  it('gives a bind of a carrier SMS in proportion to its rate, not one each in turn', async () => {
    smsc = await PerlSmsc.start(['--dlr-delay-ms', '0']);
    const slow = testBind(smsc.smppPort, { id: 'slow', tps: 1 }).bind;
    const fast = testBind(smsc.smppPort, { id: 'fast', tps: 3 }).bind;
    pool = new BindPool([slow, fast]);
    await Promise.all([slow.waitFor('bound', 5000), fast.waitFor('bound', 5000)]);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => pool!.submit({ to: '77011234567', text: `m${i}` })),
    );
    const on = (id: string) => results.filter((r) => r.bindId === id).length;
    expect(on('slow')).toBeLessThanOrEqual(2);
    expect(on('fast')).toBeGreaterThanOrEqual(6);
  });

  it('with no bind bound, a submit is refused at once as retryable', async () => {
    const bind = testBind(1, { id: 'nowhere' }).bind; // port 1: connection refused
    pool = new BindPool([bind]);
    await expect(pool.submit({ to: '77011234567', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_BOUND',
      retryable: true,
    });
  });
});
