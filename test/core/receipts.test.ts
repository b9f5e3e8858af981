/**
 * A delivery receipt finds its conversation by the part's receipt link and its SMS and part in the
 * conversation's sent entry (store/receipts.ts, store/sent-records.ts `sentPart`).
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundHandler } from '../../gateway/core/inbound.js';
import type { DeliveryReceipt } from '../../gateway/core/ports.js';
import { InboundProcessor, UnmatchedReceiptError } from '../../gateway/core/replies.js';
import { RECEIPT_JOB_NAME, type ReceiptJob } from '../../queues/jobs.js';
import { receiptId } from '../../gateway/core/sent-writes.js';
import { createKeys } from '../../store/keys.js';
import { createTestCore, homeSchoolingParams, type TestCore } from '../support/core.js';

let core: TestCore;
beforeAll(async () => {
  core = await createTestCore();
});
afterAll(async () => {
  await core.close();
});

const CARRIER = 'kcell';

async function invited(externalId: string): Promise<string> {
  const { conversation } = await core.conversations.invite({
    service: 'home-schooling',
    externalId,
    msisdn: '77015550301',
    language: 'ru',
    params: homeSchoolingParams(),
  });
  return conversation.id;
}

/** Records an SMS of `id` sent as `messageIds`, as the sender does once the SMSC accepted it. */
async function sent(id: string, smsId: string, messageIds: string[]): Promise<void> {
  const entry = {
    at: core.now(),
    kind: 'sms-status',
    smsId,
    status: 'sent',
    messageIds,
    encoding: 'ucs2',
    asksConsent: true,
  } as const;
  const links = core.store.receipts.plan([
    { ids: messageIds.map((m) => receiptId(CARRIER, m)), conversationId: id },
  ]);
  await core.store.recordSentMany([{ conversationId: id, smsId, templateId: 't', entry }], 600, links);
}

const receipt = (smscMessageId: string) => ({
  smscMessageId,
  carrier: CARRIER,
  status: 'ENROUTE',
  receivedAt: core.now(),
});

describe('a delivery receipt', () => {
  it("is recorded for its SMS and part, found by the part's id in the sent entry, whatever its spelling", async () => {
    const id = await invited('receipt-1');
    await sent(id, '9.0', ['5F3A9C01', '5F3A9C02']);
    const processor = new InboundProcessor(core, pino({ level: 'silent' }));
    // The second part's id, in decimal (parsers/receipt.ts `messageIdKeys`).
    expect(await processor.receipt(receipt(String(0x5f3a9c02)))).toBe('pending');
    expect((await core.store.timeline(id)).at(-1)).toMatchObject({
      kind: 'sms-status',
      smsId: '9.0',
      part: 1,
      parts: 2,
      status: 'pending',
      stat: 'ENROUTE',
    });
  });

  it('is retried while the sent entry is not there yet, and changes nothing once its conversation is gone', async () => {
    const id = await invited('receipt-2');
    const processor = new InboundProcessor(core, pino({ level: 'silent' }));
    // On Cluster the links are written before the sent entry.
    await core.store.receipts.link({ ids: [receiptId(CARRIER, 'ab01')], conversationId: id });
    await expect(processor.receipt(receipt('ab01'))).rejects.toBeInstanceOf(UnmatchedReceiptError);
    await sent(id, '9.0', ['ab01']);
    expect(await processor.receipt(receipt('ab01'))).toBe('pending');
    await core.redis.del(createKeys(core.keyPrefix).conversation(id));
    expect(await processor.receipt(receipt('ab01'))).toBe('expired');
  });

  it("of one carrier is not taken for a repeat of another carrier's receipt with the same message id", async () => {
    const handler = createInboundHandler({
      inbound: core.queues.inbound,
      store: core.store,
      log: pino({ level: 'silent' }),
      now: core.now,
    });
    const dlr = (carrier: string): DeliveryReceipt => ({
      kind: 'receipt',
      bindId: `${carrier}-1`,
      carrier,
      messageId: '6b14392b00000001',
      stat: 'DELIVRD',
      source: 'tlv',
      from: '77015550302',
      text: '',
    });
    for (const carrier of ['kcell', 'beeline', 'kcell']) expect(await handler(dlr(carrier))).toBe('stored');
    const jobs = await core.queues.inbound.getJobs([
      'waiting',
      'prioritized',
      'delayed',
      'active',
      'completed',
    ]);
    const receipts = jobs.filter(
      (j) => j.name === RECEIPT_JOB_NAME && (j.data as ReceiptJob).smscMessageId === '6b14392b00000001',
    );
    // The second kcell one is the SMSC's repeat.
    expect(receipts.map((j) => (j.data as ReceiptJob).carrier).sort()).toEqual(['beeline', 'kcell']);
  });
});
