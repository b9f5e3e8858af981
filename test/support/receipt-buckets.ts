import { fnv1a, RECEIPT_BUCKETS } from '../../store/receipts.js';

/** Two carrier-scoped ids starting with `prefix` whose receipt links share a bucket. */
export function idsInOneBucket(prefix: string): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `${prefix}${i}`;
    const bucket = fnv1a(id) % RECEIPT_BUCKETS;
    const before = seen.get(bucket);
    if (before !== undefined) return [before, id];
    seen.set(bucket, id);
  }
}
