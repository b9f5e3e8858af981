/**
 * The signature of a webhook delivery: HMAC-SHA256 with the system's secret over
 * `<timestamp>.<body>`, hex, sent as `X-1414-Signature: v1=<hex>` beside
 * `X-1414-Timestamp: <unix seconds>`. The timestamp inside the signed text lets a receiver
 * refuse a replay of an old delivery (examples/webhook-receiver.mjs checks 5 minutes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-1414-Signature';
export const TIMESTAMP_HEADER = 'X-1414-Timestamp';
export const EVENT_ID_HEADER = 'X-1414-Event-Id';

export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** True when `signature` is this body's and the timestamp within `toleranceS` of `nowS`. */
export function verify(
  secret: string,
  timestamp: number,
  body: string,
  signature: string,
  nowS: number,
  toleranceS = 300,
): boolean {
  if (!Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > toleranceS) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
