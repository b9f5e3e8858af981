/**
 * A conversation id as other records store it (docs/storage.md, "conversation reference"): the
 * receipt links, the externalId claims and the SMS awaiting their receipt hold one each, for
 * days or for good, so it is binary. Tag 0x01: the id's 18 base-36 characters
 * (`newConversationId`) packed in 12 bytes, 9 characters in each 6 (36^9 < 2^48); tag 0x02: any
 * other id (the `none` of a loose SMS) as UTF-8.
 */
const PACKED = 0x01;
const UNPACKED = 0x02;
const PACKABLE_ID = /^[0-9a-z]{18}$/;
/** The packed form's length. */
const PACKED_BYTES = 13;

/** `conversationId` in its stored form. */
export function conversationRef(conversationId: string): Buffer {
  if (!PACKABLE_ID.test(conversationId)) {
    return Buffer.concat([Buffer.of(UNPACKED), Buffer.from(conversationId, 'utf8')]);
  }
  const out = Buffer.allocUnsafe(PACKED_BYTES);
  out[0] = PACKED;
  out.writeUIntBE(parseInt(conversationId.slice(0, 9), 36), 1, 6);
  out.writeUIntBE(parseInt(conversationId.slice(9), 36), 7, 6);
  return out;
}

/** The conversation id of a stored reference (all of `raw`), or null when `raw` is not one. */
export function readConversationRef(raw: Buffer): string | null {
  if (raw[0] === PACKED) {
    if (raw.length !== PACKED_BYTES) return null;
    const half = (at: number) => raw.readUIntBE(at, 6).toString(36).padStart(9, '0');
    return half(1) + half(7);
  }
  return raw[0] === UNPACKED && raw.length > 1 ? raw.toString('utf8', 1) : null;
}
