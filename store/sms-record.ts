/**
 * The record of one outgoing SMS (keys.smsParts), kept 7 days: it marks the SMS sent (a
 * re-hand-over sends nothing, gateway/core/sender.ts) and holds its template and campaign
 * for delivery receipts (gateway/core/replies.ts). Before the SMSC accepted every part it
 * holds instead the parts already accepted, so a retry sends only the rest.
 *
 * One short string, `<templateId>` or `<templateId> <campaign>` (template and campaign ids have
 * no spaces: gateway/http/schemas.ts), or the resume JSON (starts with `{`): Redis keeps a
 * string of up to 44 bytes in one allocation, where the hash it replaces cost ≈ 216 bytes.
 * The SMSC ids of the parts are in the conversation's timeline (`sms-status` sent). Hashes
 * (`ids`, `bind`, `t`, `k`, `partial`) written by earlier versions still read.
 */
import type { RedisClient } from './redis.js';

export type SmsRecord =
  | { readonly state: 'none' }
  /** Some parts were accepted: the resume JSON (gateway/smpp/transport.ts `SubmitResume`). */
  | { readonly state: 'partial'; readonly resume: string }
  | { readonly state: 'sent'; readonly templateId: string | null; readonly campaign: string | null };

/** The stored value of a sent SMS's record. */
export function sentRecord(templateId: string, campaign?: string): string {
  return campaign ? `${templateId} ${campaign}` : templateId;
}

function parse(value: string | null): SmsRecord {
  if (value === null) return { state: 'none' };
  if (value.startsWith('{')) return { state: 'partial', resume: value };
  const space = value.indexOf(' ');
  return space < 0
    ? { state: 'sent', templateId: value, campaign: null }
    : { state: 'sent', templateId: value.slice(0, space), campaign: value.slice(space + 1) };
}

/** The record at `key`, in either format. */
export async function readSmsRecord(redis: RedisClient, key: string): Promise<SmsRecord> {
  try {
    return parse(await redis.get(key));
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('WRONGTYPE'))) throw err;
  }
  const [ids = null, partial = null, t = null, k = null] = await redis.hmget(key, 'ids', 'partial', 't', 'k');
  if (ids !== null) return { state: 'sent', templateId: t, campaign: k };
  return partial !== null ? { state: 'partial', resume: partial } : { state: 'none' };
}
