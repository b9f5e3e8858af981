/**
 * Invitation params per service, validated from the service's data
 * (`params` in services/<id>.json) with the template variable types, so a new
 * service needs no code here.
 */
import { z } from 'zod';
import { GatewayError } from '../../common/errors.js';
import { isLocalDate } from '../../dialogue/time.js';
import type { ServiceDefinition } from '../../services/schema.js';
import { MAX_BANKS, VAR_TYPES } from '../../templates/var-types.js';

const cache = new WeakMap<ServiceDefinition, z.ZodType<Record<string, unknown>>>();

export function paramsSchema(service: ServiceDefinition): z.ZodType<Record<string, unknown>> {
  const cached = cache.get(service);
  if (cached) return cached;
  const shape: Record<string, z.ZodType> = {};
  for (const [name, type] of Object.entries(service.params)) {
    if (type === 'banks?')
      shape[name] = z
        .array(VAR_TYPES.banks.schema.element)
        .max(MAX_BANKS, `must list at most ${MAX_BANKS} banks`)
        .default([]);
    else if (type === 'text?') shape[name] = VAR_TYPES.text.schema.optional();
    else if (type === 'date')
      shape[name] = z.string().refine(isLocalDate, 'must be a calendar date YYYY-MM-DD');
    else shape[name] = VAR_TYPES[type].schema;
  }
  // Strict: a misspelt optional param (`schoolname`) would send the SMS without it, silently.
  const schema = z.strictObject(shape);
  cache.set(service, schema);
  return schema;
}

/**
 * Fields a service does not list named one by one in a 400; the rest are counted in one more line,
 * so a body of thousands of them is not answered with thousands of lines.
 */
export const MAX_UNKNOWN_PARAMS_NAMED = 10;

/** The params validated for the service, or a 400 naming each bad `params.<field>`. */
export function parseParams(service: ServiceDefinition, params: unknown): Record<string, unknown> {
  const parsed = paramsSchema(service).safeParse(params);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.flatMap((i) => {
    if (i.code !== 'unrecognized_keys')
      return [{ path: ['params', ...i.path].join('.'), message: i.message }];
    const named = i.keys.slice(0, MAX_UNKNOWN_PARAMS_NAMED).map((key) => ({
      path: ['params', ...i.path, key].join('.'),
      message: `is not a param of ${service.id} (its params: ${Object.keys(service.params).join(', ')})`,
    }));
    const rest = i.keys.length - named.length;
    return rest > 0
      ? [
          ...named,
          {
            path: ['params', ...i.path].join('.'),
            message: `and ${rest} more fields ${service.id} does not list`,
          },
        ]
      : named;
  });
  throw new GatewayError('GW_VALIDATION_FAILED', 'invalid params for this service', details);
}
