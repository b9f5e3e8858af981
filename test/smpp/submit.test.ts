import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import type { SmppError } from '../../gateway/smpp/status.js';
import { CarrierSimulator } from '../../dev/simulator/index.js';
import { eventually } from '../support/gateway.js';
import { PerlSmsc, type SmscLogLine } from '../support/perl-smsc.js';
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

async function bound(args: string[] = [], overrides: Parameters<typeof testBind>[1] = {}) {
  smsc = await PerlSmsc.start(args);
  const t = testBind(smsc.smppPort, overrides);
  bind = t.bind;
  await bind.waitFor('bound', 5000);
  return { smsc, ...t };
}

// 400 characters of Kazakh (Cyrillic with ә, ғ, қ, ң, ө, ұ, ү, һ, і): UCS2 only.
const KAZAKH = 'Құрметті азамат! Сіздің балаңызға үйде оқыту қызметі ұсынылады. Жауап беріңіз: 123#3#1. '
  .repeat(5)
  .slice(0, 400);

describe.skipIf(skip)('submit_sm against the Perl SMSC', () => {
  it('a 400-character Kazakh text goes as 6 UCS2 parts with UDH, and the SMSC reassembles the original', async () => {
    const { smsc, bind } = await bound();
    expect(Array.from(KAZAKH)).toHaveLength(400);
    const result = await bind.submit({ to: '77011234567', text: KAZAKH, reference: 'inv-1' });
    expect(result.encoding).toBe('ucs2');
    expect(result.parts).toHaveLength(6);
    expect(new Set(result.parts.map((p) => p.messageId)).size).toBe(6);
    const complete = await smsc.waitFor((l) => l.event === 'concat_complete');
    expect(complete.text).toBe(KAZAKH);
    expect(complete.message_ids).toEqual(result.parts.map((p) => p.messageId));
    const submits = await smsc.receivedAtLeast('submit_sm', 6);
    expect(
      submits.map((s) => [s.data_coding, s.esm_class, s.source_addr, s.dest_addr_ton, s.registered_delivery]),
    ).toEqual(Array(6).fill([8, 0x40, '1414', 1, 1]));
  });

  it('a GSM text with € and [ goes as data_coding 0 with escape septets', async () => {
    const { smsc, bind } = await bound();
    await bind.submit({ to: '77011234567', text: 'Cost 5€ [ok]' });
    const [submit] = await smsc.receivedAtLeast('submit_sm', 1);
    expect(submit?.data_coding).toBe(0);
    expect(submit?.short_message_hex).toBe(
      Buffer.from('Cost 5\x1b\x65 \x1b\x3cok\x1b\x3e', 'latin1').toString('hex'),
    );
    expect(submit?.text).toBe('Cost 5€ [ok]');
  });

  it('SAR TLVs instead of a UDH when the carrier asks for them', async () => {
    const { smsc, bind } = await bound([], { submit: { concat: 'sar' } });
    const text = 'x'.repeat(200);
    const result = await bind.submit({ to: '77011234567', text });
    expect(result.parts).toHaveLength(2);
    const complete = await smsc.waitFor((l) => l.event === 'concat_complete');
    expect(complete.text).toBe(text);
    expect(
      (await smsc.receivedAtLeast('submit_sm', 2)).map((s) => (s.concat as { method: string }).method),
    ).toEqual(['sar', 'sar']);
  });

  it('with every 2nd submit throttled, each message is still accepted exactly once', async () => {
    const { smsc, bind, registry } = await bound(['--throttle-every', '2'], { throttleBackoffMs: 10 });
    const texts = Array.from({ length: 6 }, (_, i) => `message ${i}`);
    const results = await Promise.all(texts.map((text) => bind.submit({ to: '77011234567', text })));
    expect(results.every((r) => r.parts.length === 1)).toBe(true);
    const isAccepted = (s: SmscLogLine) => (s.resp as { status: number }).status === 0;
    await smsc.waitFor(() => smsc.received('submit_sm').filter(isAccepted).length >= texts.length);
    const accepted = smsc.received('submit_sm').filter(isAccepted);
    expect(accepted.map((s) => s.text).sort()).toEqual([...texts].sort());
    expect(
      await metricValue(registry, 'smpp_throttle_events_total', { status: 'ESME_RTHROTTLED' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('never has more than `window` submits unanswered at the SMSC', async () => {
    const { smsc, bind } = await bound(['--delay-resp-ms', '30'], { window: 3 });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => bind.submit({ to: '77011234567', text: `w${i}` })),
    );
    await smsc.waitFor(() => smsc.log.filter((l) => l.command === 'submit_sm_resp').length >= 10);
    let open = 0;
    let max = 0;
    for (const line of smsc.log) {
      if (line.dir === 'in' && line.command === 'submit_sm') max = Math.max(max, ++open);
      if (line.dir === 'out' && line.command === 'submit_sm_resp') open--;
    }
    expect(max).toBe(3);
  });

  it('an SMS keeps its window slot for all its parts: the SMS begun finish before the next one starts', async () => {
    const { smsc, bind } = await bound([], { window: 2 });
    const numbers = ['77011230001', '77011230002', '77011230003'];
    const results = await Promise.all(numbers.map((to) => bind.submit({ to, text: KAZAKH.slice(0, 150) })));
    expect(results.map((r) => r.parts.length)).toEqual([3, 3, 3]);
    const order = (await smsc.receivedAtLeast('submit_sm', 9)).map((s) => s.destination_addr);
    // The first two SMS hold the two slots; the third waits for one of them to end.
    expect(order.slice(6)).toEqual(Array(3).fill(numbers[2]));
    expect(order.slice(0, 6).sort()).toEqual([...Array(3).fill(numbers[0]), ...Array(3).fill(numbers[1])]);
  });

  it('a dropped connection rejects every unanswered submit as retryable at once, then binds again', async () => {
    const { smsc, bind } = await bound(['--delay-resp-ms', '5000'], { responseTimeoutMs: 60_000 });
    const pending = Array.from({ length: 5 }, (_, i) =>
      bind.submit({ to: '77011234567', text: `in flight ${i}` }).then(
        () => undefined,
        (error: SmppError) => error,
      ),
    );
    await smsc.waitFor(() => smsc.received('submit_sm').length === 5);
    await smsc.control({ op: 'drop' });
    const errors = await Promise.all(pending);
    expect(errors.map((e) => [e?.code, e?.retryable])).toEqual(Array(5).fill(['CONNECTION_LOST', true]));
    // The errors may come before the bind has left 'bound': wait for the SMSC to see it bind again.
    await smsc.waitFor(() => smsc.received('bind_transceiver').length === 2);
    await bind.waitFor('bound', 5000);
    expect(smsc.received('bind_transceiver')).toHaveLength(2);
  });
});

describe('SMPP_TPS against the carrier simulator', () => {
  let sim: CarrierSimulator | undefined;
  afterEach(async () => {
    await bind?.close();
    await sim?.stop();
    bind = sim = undefined;
  });

  it('counts a submit when it goes, not when it starts waiting for a window slot: never more than tps in a second at the SMSC', async () => {
    sim = await CarrierSimulator.start({ port: 0, systemId: 'gw', password: 'secret', receiptDelayMs: 0 });
    const t = testBind(sim.port, { window: 2, tps: 2 });
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    // Window 2, tps 2: the first two submits answered after 1.5 s, the rest at once. Had the four
    // waiting for a slot taken their turn of the rate while they waited, two would go at 1.5 s and
    // two more at 2.04 s, four in half a second.
    sim.setFaults({ responseDelayMs: 1_500 });
    const sent = Array.from({ length: 6 }, (_, i) => t.bind.submit({ to: '77011234567', text: `tps ${i}` }));
    await eventually(() => Promise.resolve((sim?.submits.length ?? 0) >= 2), 'the first two submits');
    sim.setFaults({ responseDelayMs: 0 });
    const results = await Promise.all(sent);
    expect(results.map((r) => r.parts.length)).toEqual(Array(6).fill(1));
    const at = sim.submits.map((s) => s.at.getTime()).sort((a, b) => a - b);
    expect(at).toHaveLength(6);
    // Every third submit at least a second after the first of the two before it (0.8 s: the
    // SMSC reads a submit a little after it went).
    const gaps = at.slice(2).map((time, i) => time - at[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800);
  });
});
