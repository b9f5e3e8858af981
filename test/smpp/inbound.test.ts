import { afterEach, describe, expect, it } from 'vitest';
import type { SmppBind } from '../../gateway/smpp/bind.js';
import type { DeliveryReceipt, InboundEvent, InboundReply, ReplyPiece } from '../../gateway/core/ports.js';
import { PerlSmsc } from '../support/perl-smsc.js';
import { missing, perlSmsc } from '../support/requires.js';
import { deferred, testBind } from './helpers.js';

const skip = missing(perlSmsc);

let smsc: PerlSmsc | undefined;
let bind: SmppBind | undefined;

afterEach(async () => {
  await bind?.close();
  await smsc?.stop();
  bind = smsc = undefined;
});

async function bound(args: string[] = []) {
  smsc = await PerlSmsc.start(args);
  bind = testBind(smsc.smppPort).bind;
  await bind.waitFor('bound', 5000);
  return { smsc, bind };
}

describe.skipIf(skip)('deliver_sm from the Perl SMSC', () => {
  it('the reply 123#3#1 reaches the handler, and deliver_sm_resp 0 is sent only after the handler resolved', async () => {
    const { smsc, bind } = await bound();
    const received = deferred<InboundReply>();
    const release = deferred();
    bind.onInbound(async (event) => {
      received.resolve(event as InboundReply);
      await release.promise;
      return 'stored';
    });
    const mo = smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: '123#3#1', coding: 'gsm' });
    const reply = await received.promise;
    expect(reply).toMatchObject({
      kind: 'reply',
      from: '77011234567',
      to: '1414',
      text: '123#3#1',
      encoding: 'gsm7',
    });
    expect(reply.payload.toString('latin1')).toBe('123#3#1');
    // The mark is logged while the handler still holds; the response must come after it.
    await smsc.control({ op: 'mark', label: 'handler-still-running' });
    release.resolve();
    expect((await mo).statuses).toEqual([0]);
    await smsc.waitFor((l) => l.command === 'deliver_sm_resp');
    const markAt = smsc.log.findIndex((l) => l.event === 'mark');
    const respAt = smsc.log.findIndex((l) => l.command === 'deliver_sm_resp');
    expect(respAt).toBeGreaterThan(markAt);
  });

  it('a handler that throws makes the bind answer ESME_RX_T_APPN (0x64)', async () => {
    const { smsc, bind } = await bound();
    bind.onInbound(() => Promise.reject(new Error('redis down')));
    const mo = await smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: '3#1' });
    expect(mo.statuses).toEqual([0x64]);
  });

  it('a UCS2 reply is decoded as UCS2, and multipart parts come up without their UDH, with reference, part and total', async () => {
    const { smsc, bind } = await bound();
    const events: InboundEvent[] = [];
    bind.onInbound((event) => {
      events.push(event);
      return Promise.resolve('stored' as const);
    });
    await smsc.control({ op: 'mo', from: '77011234567', to: '1414', text: 'Иә, келісемін' });
    await smsc.control({
      op: 'mo_multipart',
      from: '77011234567',
      to: '1414',
      text: 'abcdef',
      parts: 3,
      ref: 7,
      send: [3, 1, 2],
    });
    expect(events[0]).toMatchObject({ text: 'Иә, келісемін', encoding: 'ucs2' });
    const parts = events.slice(1) as ReplyPiece[];
    expect(parts.map((e) => [e.concat, e.payload.toString('latin1')])).toEqual([
      [{ scheme: 'udh8', reference: 7, part: 3, total: 3 }, 'ef'],
      [{ scheme: 'udh8', reference: 7, part: 1, total: 3 }, 'ab'],
      [{ scheme: 'udh8', reference: 7, part: 2, total: 3 }, 'cd'],
    ]);
    // A part is decoded once, by core, when the parts are joined.
    for (const part of parts) expect(part).not.toHaveProperty('text');
  });

  it("a delivery receipt is told from a reply and carries the part's SMSC id and final state", async () => {
    const { bind } = await bound(['--dlr-delay-ms', '20', '--dlr-stat', 'UNDELIV']);
    const receipt = deferred<DeliveryReceipt>();
    bind.onInbound((event) => {
      if (event.kind === 'receipt') receipt.resolve(event);
      return Promise.resolve('stored' as const);
    });
    const result = await bind.submit({ to: '77011234567', text: 'hello' });
    expect(await receipt.promise).toMatchObject({
      kind: 'receipt',
      messageId: result.parts[0]?.messageId,
      stat: 'UNDELIV',
      err: '000',
      source: 'tlv',
      from: '77011234567',
    });
  });
});
