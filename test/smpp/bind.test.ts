import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import type { SmppError } from '../../gateway/smpp/status.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';
import { metricValue, testBind } from './helpers.js';

const skip = missing(perlSmsc);

let smsc: PerlSmsc | undefined;
let bind: SmppBind | undefined;

afterEach(async () => {
  await bind?.close();
  await smsc?.stop();
  bind = smsc = undefined;
});

describe.skipIf(skip)('bind lifecycle against the Perl SMSC', () => {
  it('binds as a transceiver with interface_version 0x34 and logs every transition', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort);
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    const bindPdu = await smsc.waitFor((l) => l.dir === 'in' && l.command === 'bind_transceiver');
    expect(bindPdu.interface_version).toBe(0x34);
    const transitions = t.logger.lines.filter((l) => l.msg.startsWith('bind ')).map((l) => l.msg);
    expect(transitions).toEqual([
      'bind disconnected -> connecting',
      'bind connecting -> binding',
      'bind binding -> bound',
    ]);
    expect(await metricValue(t.registry, 'smpp_bind_state', { state: 'bound' })).toBe(1);
  });

  it('a wrong password is refused with ESME_RINVPASWD, not retryable, and the bind never reports bound', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort, { password: 'wrong' });
    bind = t.bind;
    const error = await new Promise<SmppError>((resolve) => t.bind.once('bindError', resolve));
    expect(error.code).toBe(0x0e);
    expect(error.retryable).toBe(false);
    expect(t.bind.state).not.toBe('bound');
  });

  it('logs a refusal as an error with its code when the SMSC comes back refusing the password, once', async () => {
    smsc = await PerlSmsc.start();
    const port = smsc.smppPort;
    const t = testBind(port);
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    // The carrier restarts its SMSC with the account's password changed: the bind loses its link,
    // fails to connect while nothing listens, then is refused.
    await smsc.stop();
    smsc = await PerlSmsc.start(['--port', String(port), '--password', 'changed']);
    const refusals = () => smsc!.log.filter((l) => l.command === 'bind_transceiver_resp').length;
    await smsc.waitFor(() => refusals() >= 3);
    const failed = t.logger.lines.filter((l) => l.msg === 'bind failed');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.filter((l) => l.level === 'error').map((l) => l.obj)).toEqual([
      { code: 'GW_SMPP_BIND_FAILED', bind: 'test-1', err: 'bind_transceiver: ESME_RINVPASWD (0xe)' },
    ]);
  });

  it('binds ever more slowly to an SMSC that drops every bind at once, instead of twice a second', async () => {
    smsc = await PerlSmsc.start();
    // A link bound for maxMs would start the backoff again: a minute, so that a loaded machine slow
    // to drop the link cannot; the five delays stay far below it.
    const t = testBind(smsc.smppPort, { reconnect: { initialMs: 20, maxMs: 60_000 } });
    bind = t.bind;
    for (let drop = 0; drop < 5; drop++) {
      await bind.waitFor('bound', 5000);
      await smsc.control({ op: 'drop' });
      await bind.waitFor('disconnected', 5000);
    }
    const delays = t.logger.lines
      .filter((l) => l.msg === 'reconnect scheduled')
      .map((l) => (l.obj as { delayMs: number }).delayMs);
    expect(delays).toHaveLength(5);
    // 20, 40, 80, 160, 320 ms ± 30 %: the fifth at least 224 ms, where each was 20 ± 6 ms before.
    expect(delays[4]).toBeGreaterThanOrEqual(224);
    expect(await metricValue(t.registry, 'smpp_reconnects_total', { bind: 'test-1' })).toBe(5);
  });

  it('sends enquire_link on schedule and measures its round trip', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort, { enquireLinkMs: 30 });
    bind = t.bind;
    // The second enquire_link is only scheduled after the first one's response was measured.
    await smsc.waitFor(() => smsc!.received('enquire_link').length >= 2);
    expect(await metricValue(t.registry, 'smpp_enquire_link_rtt_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('an unanswered enquire_link declares the link dead, and the bind reconnects', async () => {
    smsc = await PerlSmsc.start(['--no-enquire-resp']);
    const t = testBind(smsc.smppPort, { enquireLinkMs: 30, enquireLinkTimeoutMs: 100 });
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    await bind.waitFor('disconnected', 5000);
    await bind.waitFor('bound', 5000);
    // The SMSC's log of what it received may trail our view of the bind by a moment.
    await smsc.waitFor(() => smsc!.received('bind_transceiver').length >= 2);
    expect(smsc.received('bind_transceiver').length).toBeGreaterThanOrEqual(2);
  });

  it("answers the SMSC's own enquire_link", async () => {
    smsc = await PerlSmsc.start(['--enquire-link-s', '1']);
    bind = testBind(smsc.smppPort).bind;
    const resp = await smsc.waitFor((l) => l.dir === 'in' && l.command === 'enquire_link_resp', 5000);
    expect(resp.command_status).toBe(0);
  });

  it('when the SMSC unbinds, the bind answers unbind_resp and binds again', async () => {
    smsc = await PerlSmsc.start();
    bind = testBind(smsc.smppPort).bind;
    await bind.waitFor('bound', 5000);
    const unbinding = bind.waitFor('unbinding', 5000);
    await smsc.control({ op: 'unbind' });
    await unbinding;
    await smsc.waitFor((l) => l.dir === 'in' && l.command === 'unbind_resp');
    await bind.waitFor('bound', 5000);
    // The SMSC's log of what it received may trail our view of the bind by a moment.
    await smsc.waitFor(() => smsc!.received('bind_transceiver').length >= 2);
    expect(smsc.received('bind_transceiver')).toHaveLength(2);
  });

  it('close() sends unbind, waits for unbind_resp and ends closed', async () => {
    smsc = await PerlSmsc.start();
    const t = testBind(smsc.smppPort);
    await t.bind.waitFor('bound', 5000);
    await t.bind.close();
    expect(t.bind.state).toBe('closed');
    expect(await smsc.receivedAtLeast('unbind', 1)).toHaveLength(1);
    await expect(t.bind.submit({ to: '77011234567', text: 'late' })).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });
});
