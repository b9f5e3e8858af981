/**
 * WEBHOOKS_FILE: signed HTTPS webhooks per system (docs/integration.md, "Webhooks"). Validated at
 * start-up: a URL that is not https (plain http only to a loopback address, for tests and a
 * receiver on the same host), a secret shorter than 32 bytes, an unknown outcome or service, a repeated
 * name stops the gateway with one line naming it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { GatewayError } from '../../common/errors.js';
import { OUTCOME_NAMES } from '../../queues/outcomes.js';
import { SERVICES_DIR } from '../../services/load.js';

/** The services of `services/` (a service's id is its file's name), read once when first needed. */
let services: readonly string[] | undefined;
const knownServices = (): readonly string[] =>
  (services ??= readdirSync(SERVICES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort());

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const url = z.string().refine((value) => {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}, 'must be an https URL (http only to 127.0.0.1, localhost or [::1])');

export const webhookSchema = z.object({
  /** Names the system, its queue (`webhook-<name>`) and its dead letters in the API. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 of a-z 0-9 -'),
  url,
  /** Shared secret of the HMAC-SHA256 signature. */
  secret: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes (256 bits)'),
  /** Only these services' outcomes (all when left out). */
  services: z
    .array(
      z.string().refine((s) => knownServices().includes(s), {
        error: () => `must be one of ${knownServices().join(', ')}`,
      }),
    )
    .min(1)
    .optional(),
  /** Only these outcomes (all when left out). */
  outcomes: z
    .array(z.string().refine((o) => OUTCOME_NAMES.includes(o), `must be one of ${OUTCOME_NAMES.join(', ')}`))
    .min(1)
    .optional(),
});
export type WebhookConfig = z.infer<typeof webhookSchema>;

const fileSchema = z
  .array(webhookSchema)
  .max(32)
  .superRefine((hooks, ctx) => {
    const seen = new Set<string>();
    hooks.forEach((h, i) => {
      if (seen.has(h.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${h.name}" is used twice` });
      seen.add(h.name);
    });
  });

/** Parses the file's JSON (an array of webhooks); throws GW_CONFIG_INVALID naming the field. */
export function parseWebhooks(raw: unknown, source = 'WEBHOOKS_FILE'): WebhookConfig[] {
  const parsed = fileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${source} ${i.path.join('.')} ${i.message}`);
  throw new GatewayError('GW_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`);
}

export function loadWebhooksFile(path: string): WebhookConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GatewayError(
      'GW_CONFIG_INVALID',
      `invalid configuration: WEBHOOKS_FILE ${path}: ${(err as Error).message}`,
    );
  }
  return parseWebhooks(raw);
}
