/**
 * An independent decoder agrees with us on the wire.
 * One scenario's loopback traffic is captured with tshark and read back with
 * Wireshark's SMPP dissector, which must find no malformed PDU and see every
 * command we expect, with the data_coding and UDH we meant to send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc, tshark } from '../support/requires.js';
import { TsharkCapture } from '../support/tshark.js';
import { deferred, testBind } from './helpers.js';

const skip = missing(perlSmsc, tshark);

let smsc: PerlSmsc | undefined;
let bind: SmppBind | undefined;
let capture: TsharkCapture | undefined;

afterEach(async () => {
  await bind?.close();
  await capture?.stop();
  await smsc?.stop();
  smsc = bind = capture = undefined;
});

// 200 characters of Kazakh: UCS2 (data_coding 8), 3 parts of at most 67 characters.
const KAZAKH = 'Құрметті азамат! Сізге мемлекеттік қызмет ұсынылады. Жауап беріңіз: 1 немесе 2. '
  .repeat(3)
  .slice(0, 200);

const COMMAND = {
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
} as const;

/** Run the scenario: bind, a 3-part UCS2 submit with its receipts, one MO, enquire_link, unbind. */
async function scenario(smsc: PerlSmsc): Promise<void> {
  bind = testBind(smsc.smppPort, { enquireLinkMs: 50 }).bind;
  const inbound = { receipts: 0, replies: 0 };
  const allIn = deferred();
  bind.onInbound((event) => {
    inbound[event.kind === 'receipt' ? 'receipts' : 'replies']++;
    if (inbound.receipts === 3 && inbound.replies === 1) allIn.resolve();
    return Promise.resolve('stored' as const);
  });
  await bind.waitFor('bound', 5000);
  const sent = await bind.submit({ to: '77011234567', text: KAZAKH });
  expect(sent.parts).toHaveLength(3);
  await smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: 'Иә, 1' });
  await allIn.promise;
  await smsc.waitFor((l) => l.dir === 'in' && l.command === 'enquire_link');
  await bind.close();
}

/** Every value of `field`, one array per frame that has it (frames may hold several PDUs). */
async function fields(capture: TsharkCapture, filter: string, ...names: string[]): Promise<string[][]> {
  const out = await capture.read([
    '-Y',
    filter,
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=|',
    ...names.flatMap((n) => ['-e', n]),
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
}

describe.skipIf(skip)('tshark decodes our SMPP traffic', () => {
  it('finds no malformed PDU and sees bind, UCS2 submit_sm with UDH, deliver_sm and its resp, enquire_link, unbind', async () => {
    smsc = await PerlSmsc.start(['--dlr-delay-ms', '10']);
    capture = await TsharkCapture.start(smsc.smppPort);
    await scenario(smsc);
    await capture.seen(/Unbind - resp/);
    await capture.stop();

    const malformed = await capture.read(['-Y', '_ws.malformed || _ws.expert.severity >= "error"']);
    expect(malformed).toBe('');

    const ids = (await fields(capture, 'smpp', 'smpp.command_id'))
      .flatMap(([v]) => v!.split('|'))
      .map(Number);
    const count = (id: number): number => ids.filter((v) => v === id).length;
    expect(count(COMMAND.bind_transceiver)).toBe(1);
    expect(count(COMMAND.bind_transceiver_resp)).toBe(1);
    expect(count(COMMAND.submit_sm)).toBe(3);
    expect(count(COMMAND.submit_sm_resp)).toBe(3);
    expect(count(COMMAND.deliver_sm)).toBe(4); // 3 receipts + 1 reply
    expect(count(COMMAND.deliver_sm_resp)).toBe(4);
    expect(count(COMMAND.enquire_link)).toBeGreaterThanOrEqual(1);
    expect(count(COMMAND.enquire_link_resp)).toBeGreaterThanOrEqual(1);
    expect(count(COMMAND.unbind)).toBe(1);
    expect(count(COMMAND.unbind_resp)).toBe(1);

    const [bindRow] = await fields(capture, 'smpp.command_id == 0x00000009', 'smpp.interface_version');
    expect(Number(bindRow?.[0])).toBe(0x34);

    // data_coding 8 and a concatenation UDH (3GPP TS 23.040 §9.2.3.24.1) on every part, parts 1..3 of 3.
    const submits = await fields(
      capture,
      'smpp.command_id == 0x00000004',
      'smpp.data_coding',
      'gsm_sms.udh.mm.msg_parts',
      'gsm_sms.udh.mm.msg_part',
    );
    const parts = submits.flatMap(([dc, total, part]) =>
      dc!.split('|').map((d, i) => [Number(d), Number(total!.split('|')[i]), Number(part!.split('|')[i])]),
    );
    expect(parts).toEqual([
      [8, 3, 1],
      [8, 3, 2],
      [8, 3, 3],
    ]);
  });
});
