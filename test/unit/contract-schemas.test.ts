import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractSchemas, schemaText } from '../../gateway/contract-schemas.js';
import { OUTCOMES } from '../../queues/outcomes.js';
import { loadServices } from '../../services/load.js';

const DIR = new URL('../../docs/schemas/', import.meta.url);
const services = await loadServices();
const generated = contractSchemas(services);
const published = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as Record<string, unknown>;

describe('the contract in docs/schemas (npm run docs:schemas)', () => {
  it('holds exactly the schemas generated from the zod schemas, byte for byte', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(generated).sort());
    for (const [name, schema] of Object.entries(generated))
      expect(readFileSync(new URL(name, DIR), 'utf8'), name).toBe(schemaText(schema));
  });

  it('outcome.v1 lists every outcome and requires the fields every job has', () => {
    const schema = published('outcome.v1.json') as {
      properties: { outcome: { enum: string[] } };
      required: string[];
    };
    expect(schema.properties.outcome.enum).toEqual([...OUTCOMES]);
    for (const field of ['v', 'conversationId', 'service', 'externalId', 'state', 'outcome', 'at'])
      expect(schema.required).toContain(field);
  });

  it.each([...services.keys()])('params of %s names the fields the service requires', (id) => {
    const schema = published(`params.${id}.json`) as { required?: string[] };
    const service = services.get(id);
    const required = Object.entries(service?.params ?? {})
      .filter(([, type]) => !type.endsWith('?'))
      .map(([name]) => name);
    expect([...(schema.required ?? [])].sort()).toEqual(required.sort());
  });
});
