/**
 * Which open request a reply belongs to, and which requests of one number may ask at once (pure).
 * CONTRACT.md, "Replies that match no open conversation": a reply with a service code goes to the
 * request with that code; one without goes to the only open request that asks for a reply without
 * a code; where it still fits several, the citizen is asked which, with the exact text to send for
 * each. Information-only notices (004) take no replies, so they are never a candidate.
 */
import type { ParsedReply } from '../parsers/reply.js';
import type { ServiceDefinition } from '../services/schema.js';
import { MAX_TEXT_LENGTH } from '../templates/var-types.js';
import { isOpen, type Conversation, type Language } from './conversation.js';
import { serviceCodeOf, validReplies } from './engine.js';

export type ServiceLookup = Pick<ReadonlyMap<string, ServiceDefinition>, 'get'>;

export type ReplyRoute =
  | { readonly kind: 'conversation'; readonly conversation: Conversation }
  /** Several open requests fit: ask which, naming each (newest first). */
  | { readonly kind: 'which'; readonly candidates: readonly Conversation[] }
  | { readonly kind: 'none' };

/** The stage the conversation is in takes replies now (an information-only notice takes none). */
export function asksReply(service: ServiceDefinition | undefined, conv: Conversation): boolean {
  if (!service || !isOpen(conv)) return false;
  return (service.stages[conv.stage]?.replies.length ?? 0) > 0;
}

/** The service's replies carry no service code (002: `3#1`), so two such requests cannot be told apart. */
export function isCodeless(service: ServiceDefinition, conv: Pick<Conversation, 'params'>): boolean {
  return serviceCodeOf(service, conv) === null;
}

/** The request's first stage asks for a reply without a service code: it takes the number's one codeless turn. */
export function needsCodelessTurn(service: ServiceDefinition, conv: Pick<Conversation, 'params'>): boolean {
  if (!isCodeless(service, conv)) return false;
  return Object.values(service.stages).some((s) => s.replies.length > 0);
}

/** Pure: which conversation a reply belongs to. `conversations` of one number, newest first. */
export function routeReply(
  services: ServiceLookup,
  conversations: readonly Conversation[],
  parsed: ParsedReply,
): ReplyRoute {
  const serviceOf = (c: Conversation) => services.get(c.service);
  const codeOf = (c: Conversation): string | null => {
    const service = serviceOf(c);
    return service ? serviceCodeOf(service, c) : null;
  };
  if (parsed.kind === 'coded' && parsed.serviceCode !== null) {
    // A request not sent yet (`waiting`) has asked nothing, its code included: the reply is not its.
    const matching = conversations.filter((c) => c.state !== 'waiting' && codeOf(c) === parsed.serviceCode);
    const target = matching.find(isOpen) ?? matching[0];
    if (target) return { kind: 'conversation', conversation: target };
  }
  const candidates = conversations.filter((c) => asksReply(serviceOf(c), c));
  const codeless = candidates.filter((c) => codeOf(c) === null);
  // A code without a service code (`3#1`) fits the one request that asks without one.
  const withoutCode = parsed.kind === 'coded' && parsed.serviceCode === null;
  if (withoutCode && codeless.length === 1 && codeless[0])
    return { kind: 'conversation', conversation: codeless[0] };
  if (candidates.length === 1 && candidates[0]) return { kind: 'conversation', conversation: candidates[0] };
  if (candidates.length > 1) return { kind: 'which', candidates };
  // Nothing asks: an open notice answers "no reply needed", an ended request "time is up"; a
  // request not sent yet (`waiting`) has asked nothing.
  const latest = conversations.find(isOpen) ?? conversations.find((c) => c.state !== 'waiting');
  return latest ? { kind: 'conversation', conversation: latest } : { kind: 'none' };
}

/** The request's few words for the "which request?" SMS, its `{param}`s filled in. */
export function labelOf(service: ServiceDefinition, conv: Conversation, language: Language): string {
  const label = service.label?.[language] ?? service.id;
  return label.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    const value = conv.params[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  });
}

/**
 * The exact text to send to each candidate: the citizen's own answer written for that request
 * (`3#1` → `123#3#1` for a coded offer, `3#1` for school meals), or, where the reply was no
 * answer at all, the request's first valid reply. One line per candidate, oldest first, of at most
 * MAX_TEXT_LENGTH characters: a long label is cut, the answer never.
 */
export function whichOptions(
  services: ServiceLookup,
  candidates: readonly Conversation[],
  parsed: ParsedReply,
  language: Language,
): string[] {
  return [...candidates].reverse().flatMap((c) => {
    const service = services.get(c.service);
    if (!service) return [];
    const code = serviceCodeOf(service, c);
    const prefix = code !== null ? `${code}#${service.reply.question}#` : `${service.reply.question}#`;
    const fits =
      parsed.kind === 'coded' &&
      parsed.question === service.reply.question &&
      (service.stages[c.stage]?.replies ?? []).some((r) => r.answer === parsed.answer);
    const answer = fits ? `${prefix}${parsed.answer}${parsed.choice ?? ''}` : validReplies(service, c)[0];
    if (!answer) return [];
    const label = shortened(labelOf(service, c, language), MAX_TEXT_LENGTH - ` — ${answer}`.length);
    return [`${label} — ${answer}`];
  });
}

/**
 * `text` in at most `units` UTF-16 units, cut at a whole character and ended with `…` where it was
 * longer: a label filled with a name of up to MAX_TEXT_LENGTH characters (002: the child's) still
 * leaves its line, answer included, within the one-line limit every template variable keeps.
 */
function shortened(text: string, units: number): string {
  if (text.length <= units) return text;
  let kept = '';
  for (const ch of text) {
    if (kept.length + ch.length > units - 1) break;
    kept += ch;
  }
  return `${kept.trimEnd()}…`;
}
