/**
 * Loads every `services/*.json` and validates it at start-up: a bad service
 * file stops the gateway with GW_SERVICE_INVALID naming the file and the field.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../common/errors.js';
import { serviceSchema, type ServiceDefinition } from './schema.js';

export const SERVICES_DIR = fileURLToPath(new URL('.', import.meta.url));

export type ServiceRegistry = ReadonlyMap<string, ServiceDefinition>;

export function parseService(raw: unknown, source: string): ServiceDefinition {
  const parsed = serviceSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GatewayError('GW_SERVICE_INVALID', `${source}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export async function loadServices(dir: string = SERVICES_DIR): Promise<ServiceRegistry> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const registry = new Map<string, ServiceDefinition>();
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(join(dir, file), 'utf8'));
    } catch (err) {
      throw new GatewayError('GW_SERVICE_INVALID', `${file}: ${(err as Error).message}`);
    }
    const service = parseService(raw, file);
    if (`${service.id}.json` !== file)
      throw new GatewayError('GW_SERVICE_INVALID', `${file}: id "${service.id}" must match the file name`);
    registry.set(service.id, service);
  }
  return registry;
}

/** Every template a service sends, for the start-up check that each exists in both languages. */
export function templatesOf(service: ServiceDefinition): string[] {
  return [...new Set(Object.values(service.stages).flatMap((s) => (s.send ? [s.send] : [])))];
}
