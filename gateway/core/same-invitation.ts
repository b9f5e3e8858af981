/**
 * An invitation repeated for the same (service, externalId) must be the same invitation
 * (CONTRACT.md, "HTTP API"): the same number, language and params answer the existing
 * conversation; anything else is a 409 naming each field that differs, so an upstream system
 * learns of its own mistake instead of believing a second citizen was invited.
 */
import { isDeepStrictEqual } from 'node:util';
import { GatewayError } from '../../common/errors.js';
import type { Conversation, Language } from '../../dialogue/conversation.js';

export interface InvitationFacts {
  readonly msisdn: string;
  readonly language: Language;
  /** As validated for the service (defaults applied, unknown keys dropped). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** Stored params went through JSON: compare in that form (an absent optional equals undefined). */
const asStored = (value: unknown): unknown =>
  value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);

/** The fields of `again` that differ from the conversation the first invitation started. */
export function differingFields(existing: Conversation, again: InvitationFacts): string[] {
  const fields: string[] = [];
  if (existing.msisdn !== again.msisdn) fields.push('msisdn');
  if (existing.language !== again.language) fields.push('language');
  const names = new Set([...Object.keys(existing.params), ...Object.keys(again.params)]);
  for (const name of [...names].sort()) {
    if (!isDeepStrictEqual(asStored(existing.params[name]), asStored(again.params[name])))
      fields.push(`params.${name}`);
  }
  return fields;
}

/** Throws a 409 naming the differing fields; the number itself is never echoed. */
export function assertSameInvitation(existing: Conversation, again: InvitationFacts): void {
  const fields = differingFields(existing, again);
  if (fields.length === 0) return;
  throw new GatewayError(
    'GW_INVITATION_MISMATCH',
    `(${existing.service}, ${existing.externalId}) already started conversation ${existing.id} with other ${fields.join(', ')}`,
    fields.map((path) => ({
      path,
      message: `differs from the invitation that started conversation ${existing.id}`,
    })),
  );
}
