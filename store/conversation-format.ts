/**
 * The stored conversation string's head (docs/storage.md): its format tag, its version, the length
 * of its packed document, the outcomes handed to the `outcomes` queue; the document and the
 * timeline's entries follow (store/timeline-codec.ts). Also the ids conversations are stored
 * under, and the scripts' refusal of a format as its catalogue error.
 */
import { randomFillSync } from 'node:crypto';
import { GatewayError } from '../common/errors.js';

/** The format tag of a stored conversation (docs/storage.md): its first byte. */
export const CONVERSATION_V1 = 0x01;
/**
 * A stored conversation starts with its tag (1 byte), version and the length of its doc (4 bytes
 * each) and the outcomes it has had (2 bytes: bit i is `OUTCOME_MARKS[i]`).
 */
export const HEAD_BYTES = 11;
/** Where the outcomes' bits are (store/lua/mark-outcome-1.lua sets them in place). */
export const OUTCOMES_AT = 9;

/**
 * The outcomes of a conversation by their bit in its head: the order is persisted, so a new
 * outcome takes the next free bit (16 at most) and none is ever reused.
 */
export const OUTCOME_MARKS = [
  'sent',
  'delivered',
  'undeliverable',
  'awaiting_account',
  'consented',
  'refused',
  'expired',
  'closed',
  'assigned',
  'rejected',
] as const;

/** The bit of `outcome` in a conversation's head. */
export function outcomeBit(outcome: string): number {
  const i = (OUTCOME_MARKS as readonly string[]).indexOf(outcome);
  if (i < 0) throw new GatewayError('GW_STORE_FORMAT', `no stored mark for the outcome ${outcome}`);
  return 1 << i;
}

/** The document and the timeline bytes of a stored conversation string, and its outcomes' bits. */
export function splitConversation(value: Buffer): {
  version: number;
  outcomes: number;
  doc: Buffer;
  entries: Buffer;
} {
  if (value[0] !== CONVERSATION_V1 || value.length < HEAD_BYTES) {
    throw new GatewayError(
      'GW_STORE_FORMAT',
      `stored conversation has an unknown format tag ${value[0] ?? 'none'}`,
    );
  }
  const docEnd = HEAD_BYTES + value.readUInt32BE(5);
  return {
    version: value.readUInt32BE(1),
    outcomes: value.readUInt16BE(OUTCOMES_AT),
    doc: value.subarray(HEAD_BYTES, docEnd),
    entries: value.subarray(docEnd),
  };
}

/** A script's refusal of a stored format (store/lua/commit-2.lua, append-1.lua) as its catalogue error. */
export function scriptError(err: unknown): never {
  if (err instanceof Error && err.message.startsWith('GW_STORE_FORMAT ')) {
    throw new GatewayError('GW_STORE_FORMAT', err.message.slice('GW_STORE_FORMAT '.length), undefined, {
      cause: err,
    });
  }
  throw err;
}

/**
 * Random bytes for ids, drawn from the CSPRNG 4 KiB at a time: one `randomBytes` call per id cost
 * more than the rest of the id.
 */
const randomPool = Buffer.allocUnsafe(4096);
let randomAt = randomPool.length;

/** Sortable, unguessable id: time in base 36 then 10 random characters. */
export function newConversationId(now: number): string {
  if (randomAt + 8 > randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  const bytes = randomPool.toString('base64url', randomAt, randomAt + 8);
  randomAt += 8;
  const random = bytes.replace(/[-_]/g, '0').slice(0, 10).toLowerCase();
  return `${now.toString(36)}${random}`;
}
