import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import type { SmppError } from '../../gateway/smpp/status.js';
import { CarrierSimulator, type ReceivedSubmit } from '../../dev/simulator/index.js';
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

/** The most submit_sm the SMSC held unanswered at once, read once it has answered `count`. */
async function mostUnanswered(smsc: PerlSmsc, count: number): Promise<number> {
  await smsc.waitFor(() => smsc.log.filter((l) => l.command === 'submit_sm_resp').length >= count);
  let open = 0;
  let max = 0;
  for (const line of smsc.log) {
    if (line.dir === 'in' && line.command === 'submit_sm') max = Math.max(max, ++open);
    if (line.dir === 'out' && line.command === 'submit_sm_resp') open--;
  }
  return max;
}

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
    expect(await mostUnanswered(smsc, 10)).toBe(3);
  });

  it("sends an SMS's parts at once, a window slot each, and never more than `window` unanswered with several long SMS", async () => {
    const { smsc, bind } = await bound(['--delay-resp-ms', '30'], { window: 3 });
    const numbers = ['77011230001', '77011230002', '77011230003', '77011230004'];
    const text = KAZAKH.slice(0, 150);
    const results = await Promise.all(numbers.map((to) => bind.submit({ to, text })));
    expect(results.map((r) => r.parts.length)).toEqual([3, 3, 3, 3]);
    expect(await mostUnanswered(smsc, 12)).toBe(3);
    const submits = smsc.received('submit_sm');
    // The first SMS's three parts fill the window before any answer: they did not wait for each other.
    expect(submits.slice(0, 3).map((s) => [s.destination_addr, (s.concat as { seq: number }).seq])).toEqual([
      [numbers[0], 1],
      [numbers[0], 2],
      [numbers[0], 3],
    ]);
    // Each SMS's parts left in order, and each reached the SMSC once, whole.
    for (const to of numbers) {
      const mine = submits.filter((s) => s.destination_addr === to);
      expect(mine.map((s) => (s.concat as { seq: number }).seq)).toEqual([1, 2, 3]);
    }
    await smsc.waitFor(() => smsc.log.filter((l) => l.event === 'concat_complete').length >= 4);
    const complete = smsc.log.filter((l) => l.event === 'concat_complete');
    expect(complete.map((l) => l.text)).toEqual(Array(4).fill(text));
  });

  it('a throttled middle part is sent again after the pause: the SMS completes with every part accepted once', async () => {
    // The 3rd submit of the SMSC's count is throttled: part 3 of 4, sent again as the 5th.
    const { smsc, bind, registry } = await bound(['--throttle-every', '3'], { throttleBackoffMs: 10 });
    const text = KAZAKH.slice(0, 250);
    const result = await bind.submit({ to: '77011234567', text });
    expect(result.parts.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    const complete = await smsc.waitFor((l) => l.event === 'concat_complete');
    expect(complete.text).toBe(text);
    expect(complete.message_ids).toEqual(result.parts.map((p) => p.messageId));
    const submits = await smsc.receivedAtLeast('submit_sm', 5);
    const seq = (s: SmscLogLine) => (s.concat as { seq: number }).seq;
    const status = (s: SmscLogLine) => (s.resp as { status: number }).status;
    expect(submits.map((s) => [seq(s), status(s)])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0x58],
      [4, 0],
      [3, 0],
    ]);
    expect(await metricValue(registry, 'smpp_throttle_events_total', { status: 'ESME_RTHROTTLED' })).toBe(1);
  });

  it('a part throttled beyond its own retries fails the SMS, the parts accepted around it kept for the resume', async () => {
    // Every 2nd submit throttled: part 2 of 3, and its retry (the 4th).
    const { smsc, bind } = await bound(['--throttle-every', '2'], {
      throttleBackoffMs: 10,
      maxThrottleRetries: 1,
    });
    const error = await bind.submit({ to: '77011234567', text: KAZAKH.slice(0, 150) }).then(
      () => undefined,
      (e: SmppError) => e,
    );
    expect([error?.code, error?.retryable, error?.kind]).toEqual([0x58, true, 'throttled']);
    const submits = await smsc.receivedAtLeast('submit_sm', 4);
    expect(submits.map((s) => (s.concat as { seq: number }).seq)).toEqual([1, 2, 3, 2]);
    const resp = (s: SmscLogLine | undefined) => s?.resp as { status: number; message_id: string };
    expect(submits.map((s) => resp(s).status)).toEqual([0, 0x58, 0, 0x58]);
    expect(error?.resume?.accepted).toEqual([
      { index: 0, messageId: resp(submits[0]).message_id },
      { index: 2, messageId: resp(submits[2]).message_id },
    ]);
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

describe("an SMS's parts against the carrier simulator: one part lost or refused", () => {
  let sim: CarrierSimulator | undefined;
  afterEach(async () => {
    await bind?.close();
    await sim?.stop();
    bind = sim = undefined;
  });

  async function simBound(overrides: Parameters<typeof testBind>[1] = {}) {
    sim = await CarrierSimulator.start({ port: 0, systemId: 'gw', password: 'secret', receiptDelayMs: 0 });
    const t = testBind(sim.port, overrides);
    bind = t.bind;
    await bind.waitFor('bound', 5000);
    return { sim, ...t };
  }
  const seq = (s: ReceivedSubmit) => s.concat?.seq;

  it('SMPP_TPS counts a submit when it goes, not when it starts waiting for a window slot: never more than tps in a second at the SMSC', async () => {
    // Window 2, tps 2: the first two submits answered after 1.5 s, the rest at once. Had the four
    // waiting for a slot taken their turn of the rate while they waited, two would go at 1.5 s and
    // two more at 2.04 s, four in half a second.
    const { sim, bind } = await simBound({ window: 2, tps: 2 });
    sim.setFaults({ responseDelayMs: 1_500 });
    const sent = Array.from({ length: 6 }, (_, i) => bind.submit({ to: '77011234567', text: `tps ${i}` }));
    await eventually(() => Promise.resolve(sim.submits.length >= 2), 'the first two submits');
    sim.setFaults({ responseDelayMs: 0 });
    const results = await Promise.all(sent);
    expect(results.map((r) => r.parts.length)).toEqual(Array(6).fill(1));
    const at = sim.submits.map((s) => s.at.getTime()).sort((a, b) => a - b);
    expect(at).toHaveLength(6);
    // Every third submit at least a second after the first of the two before it (0.8 s: the
    // SMSC reads a submit a little after it went).
    const gaps = at.slice(2).map((t, i) => t - at[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800);
  });

  it('a link dropped with parts 1, 3 and 4 accepted and part 2 unanswered: resumed on the new link with part 2 alone, under the same reference', async () => {
    const { sim, bind, registry } = await simBound();
    const to = '77011234567';
    const text = KAZAKH.slice(0, 250); // 4 parts
    sim.setFaults({ partStatus: { 2: null } });
    const failed = bind.submit({ to, text }).then(
      () => undefined,
      (e: SmppError) => e,
    );
    // The drop comes once the bind has read the three answers, not merely once the SMSC wrote them.
    await eventually(
      async () => (await metricValue(registry, 'smpp_submits_total', { status: 'ESME_ROK' })) === 3,
      'three parts answered',
    );
    sim.setFaults({ partStatus: {} });
    await sim.drop();
    const error = await failed;
    expect([error?.code, error?.retryable]).toEqual(['CONNECTION_LOST', true]);
    const first = sim.submits.filter((s) => s.destination === to);
    expect(first.map((s) => [seq(s), s.status])).toEqual([
      [1, 0],
      [2, undefined],
      [3, 0],
      [4, 0],
    ]);
    const resume = error?.resume;
    expect(resume?.accepted).toEqual(
      [0, 2, 3].map((index) => ({ index, messageId: first[index]?.messageId })),
    );

    await sim.waitForBind(1, 5000);
    await bind.waitFor('bound', 5000);
    const result = await bind.submit({ to, text, ...(resume ? { resume } : {}) });
    const acceptedId = (part: number) =>
      sim.submits.find((s) => s.destination === to && s.status === 0 && seq(s) === part)?.messageId;
    expect(result.parts).toEqual(
      [1, 2, 3, 4].map((part) => ({ index: part - 1, messageId: acceptedId(part) })),
    );
    const all = sim.submits.filter((s) => s.destination === to);
    // Only part 2 went again; every part accepted once, all under one reference.
    expect(all.slice(4).map(seq)).toEqual([2]);
    expect(
      all
        .filter((s) => s.status === 0)
        .map(seq)
        .sort(),
    ).toEqual([1, 2, 3, 4]);
    expect(new Set(all.map((s) => s.concat?.ref)).size).toBe(1);
    const whole = await sim.nextMessage((m) => m.destination === to);
    expect(whole.text).toBe(text);
    expect(whole.duplicates).toBe(0);
  });

  it('a part refused for good fails the SMS once its other parts have settled, with those accepted in its resume', async () => {
    const { sim, bind, registry } = await simBound({ responseTimeoutMs: 300 });
    const to = '77011234568';
    // Part 1 lost (it times out), part 2 refused for good, part 3 accepted.
    sim.setFaults({ partStatus: { 1: null, 2: 0x01 } });
    const error = await bind.submit({ to, text: KAZAKH.slice(0, 150) }).then(
      () => undefined,
      (e: SmppError) => e,
    );
    expect([error?.code, error?.retryable, error?.kind]).toEqual([0x01, false, 'rejected']);
    const sent = sim.submits.filter((s) => s.destination === to);
    expect(sent.map((s) => [seq(s), s.status])).toEqual([
      [1, undefined],
      [2, 0x01],
      [3, 0],
    ]);
    expect(error?.resume?.accepted).toEqual([{ index: 2, messageId: sent[2]?.messageId }]);
    // It settled after part 1's timeout: nothing of it is left in flight.
    expect(await metricValue(registry, 'smpp_window_in_use', { bind: 'test-1' })).toBe(0);
    expect(await metricValue(registry, 'smpp_submits_total', { status: 'ESME_RINVMSGLEN' })).toBe(1);
  });
});
