/**
 * SMPP over TLS (`ssmpp`): a local TLS terminator (node `tls.createServer`, with
 * a self-signed certificate made by `openssl` for this run) in front of the
 * plain Perl SMSC, as stunnel would stand in front of a carrier's SMSC.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, type CarrierRouter } from '../../gateway/smpp/carriers.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc, openssl } from '../support/requires.js';
import { carrier, FAST } from './carrier-config.js';
import { recordingLogger } from './helpers.js';

const skip = missing(perlSmsc, openssl);

let smsc: PerlSmsc | undefined;
let router: CarrierRouter | undefined;
let terminator: tls.Server | undefined;

afterEach(async () => {
  await router?.close();
  await new Promise((resolve) => (terminator ? terminator.close(resolve) : resolve(undefined)));
  await smsc?.stop();
  smsc = router = terminator = undefined;
});

/** A self-signed certificate for 127.0.0.1 (EC P-256: generated in milliseconds). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ssmpp-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=smsc.test',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'pipe' }); // prettier-ignore
  } catch (error) {
    throw new Error(`openssl could not make a test certificate: ${(error as Error).message}`);
  }
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

/** TLS in front of the SMSC; resolves with its port and a count of completed handshakes. */
async function tlsTerminator(smscPort: number, pem: { key: string; cert: string }) {
  const handshakes = { count: 0 };
  terminator = tls.createServer(pem, (clear) => {
    handshakes.count++;
    const upstream = net.connect({ host: '127.0.0.1', port: smscPort });
    clear.pipe(upstream).pipe(clear);
    clear.on('error', () => upstream.destroy());
    upstream.on('error', () => clear.destroy());
    clear.on('close', () => upstream.destroy());
    upstream.on('close', () => clear.destroy());
  });
  await new Promise<void>((resolve) => terminator!.listen(0, '127.0.0.1', resolve));
  return { port: (terminator.address() as net.AddressInfo).port, handshakes };
}

function tlsCarrier(port: number, trust: tls.ConnectionOptions) {
  const logger = recordingLogger();
  router = createTransport(
    {
      sourceAddr: '1414',
      defaultCarrier: 'kcell',
      carriers: [carrier('kcell', port, { bind: { tls: true } })],
    },
    { logger, registry: new Registry(), ...FAST, tls: trust },
  );
  return { router, logger };
}

describe.skipIf(skip)('SMPP over TLS (ssmpp)', () => {
  it('binds, submits and receives through TLS when the certificate is trusted', async () => {
    smsc = await PerlSmsc.start();
    const pem = selfSigned();
    const tlsEnd = await tlsTerminator(smsc.smppPort, pem);
    const { router } = tlsCarrier(tlsEnd.port, { ca: pem.cert });
    await router.until((cs) => cs[0]!.ready, 5000);
    expect(tlsEnd.handshakes.count).toBe(1);
    const sent = await router.submit({ to: '77011234567', text: 'over TLS' });
    expect(sent.parts).toHaveLength(1);
    expect((await smsc.receivedAtLeast('submit_sm', 1))[0]?.text).toBe('over TLS');
    router.onInbound(() => Promise.resolve('stored' as const));
    const mo = await smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: '2#1' });
    expect(mo.statuses).toEqual([0]);
  });

  it('an untrusted certificate is refused before any PDU is sent, and the bind keeps retrying', async () => {
    smsc = await PerlSmsc.start();
    const tlsEnd = await tlsTerminator(smsc.smppPort, selfSigned());
    const { router, logger } = tlsCarrier(tlsEnd.port, {}); // system CAs only
    await router.until((cs) => cs[0]!.binds[0]!.state === 'disconnected', 5000);
    const failure = logger.lines.find((l) => l.msg.includes('-> disconnected'));
    expect(JSON.stringify(failure?.obj)).toMatch(/self-signed certificate/);
    expect(router.ready()).toBe(false);
    expect(tlsEnd.handshakes.count).toBe(0);
    expect(smsc.log.filter((l) => l.dir === 'in')).toHaveLength(0);
  });
});
