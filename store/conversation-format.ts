/**
 * The stored conversation string's head (docs/storage.md): its format tag, its version, the length
 * of its packed document; the timeline's entries follow (store/timeline-codec.ts). Also the ids
 * conversations are stored under, and the scripts' refusal of a format as its catalogue error.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../common/errors.js';

/** The format tag of a stored conversation (docs/storage.md): its first byte. */
export const CONVERSATION_V1 = 0x01;
/** A stored conversation starts with its tag (1 byte), version and the length of its doc (4 bytes each). */
const HEAD_BYTES = 9;

/** The document and the timeline bytes of a stored conversation string. */
export function splitConversation(value: Buffer): { version: number; doc: Buffer; entries: Buffer } {
  if (value[0] !== CONVERSATION_V1 || value.length < HEAD_BYTES) {
    throw new GatewayError(
      'GW_STORE_FORMAT',
      `stored conversation has an unknown format tag ${value[0] ?? 'none'}`,
    );
  }
  const docEnd = HEAD_BYTES + value.readUInt32BE(5);
  return {
    version: value.readUInt32BE(1),
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

/** Sortable, unguessable id: time in base 36 then 10 random characters. */
export function newConversationId(now: number): string {
  const random = randomBytes(8).toString('base64url').replace(/[-_]/g, '0').slice(0, 10).toLowerCase();
  return `${now.toString(36)}${random}`;
}
