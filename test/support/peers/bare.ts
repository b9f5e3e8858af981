/**
 * The reference client of the outbound benchmarks: the `smpp` package used directly, with the
 * same window and the same pre-encoded 3-part UCS2 text the gateway sends (UDH IEI 0x00,
 * data_coding 8, short_message as a Buffer so the library's text encoder never runs).
 */
import { performance } from 'node:perf_hooks';
import smpp from 'smpp';
import { buildConcatUdh, encodeUcs2, segment } from '../../../sms/encoding.js';
import { KAZAKH_3_PART, msisdn, runFigures, type Run, type Sink } from '../../../bench/support/harness.js';

/** The submit_sm field sets of one message, pre-encoded: UDH (IEI 0x00) + UCS2 bytes as a Buffer. */
function preEncoded(to: string, ref: number): Record<string, unknown>[] {
  const parts = segment(KAZAKH_3_PART).parts;
  return parts.map((text, i) => ({
    source_addr_ton: 3,
    source_addr: '1414',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: to,
    registered_delivery: 1,
    esm_class: 0x40,
    data_coding: 8,
    short_message: Buffer.concat([
      buildConcatUdh({ ref, total: parts.length, seq: i + 1, refBits: 8 }),
      encodeUcs2(text),
    ]),
  }));
}

/**
 * A bare `smpp` client (the library's own Session, no queue, no store) submitting `messages` ×
 * the 3-part text with at most `window` segments in flight: the reference rate of the outbound
 * ratio (docs/performance.md).
 */
export async function bareRun(sink: Sink, messages: number, window: number): Promise<Run> {
  const segments = messages * segment(KAZAKH_3_PART).parts.length;
  const session = smpp.connect({ host: '127.0.0.1', port: sink.port });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  session.socket.setNoDelay(true);
  await new Promise<void>((resolve) =>
    session.bind_transceiver({ system_id: 'gw', password: 'secret', interface_version: 0x34 }, () =>
      resolve(),
    ),
  );
  const fields = Array.from({ length: messages }, (_, i) => preEncoded(msisdn(i), i & 0xff)).flat();
  const done = sink.expect(segments);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  const pump = (): void => {
    while (inFlight < window && next < fields.length) {
      inFlight++;
      session.submit_sm(fields[next++], () => {
        inFlight--;
        pump();
      });
    }
  };
  pump();
  const result = await done;
  const figures = runFigures(result, { cpu, started, segments });
  session.destroy();
  return figures;
}
