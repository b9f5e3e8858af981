/**
 * Hex digits packed two to a byte (the high nibble first, an odd count padded with 0) after a
 * head byte that says how to read them back. Carriers' SMSC ids are mostly hex or decimal; the
 * sent entry (store/sent-entry.ts) and the receipt links' fields (store/receipts.ts) store them
 * so, each with a head of its own layout (persisted: see those modules).
 */
export function packHex(head: number, digits: string): Buffer {
  const even = digits.length % 2 === 0 ? digits : `${digits}0`;
  const out = Buffer.allocUnsafe(1 + even.length / 2);
  out[0] = head;
  out.write(even, 1, 'hex');
  return out;
}
