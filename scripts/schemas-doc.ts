// Writes the contract's JSON Schema files to docs/schemas/ (gateway/contract-schemas.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { contractSchemas, schemaText } from '../gateway/contract-schemas.js';
import { loadServices } from '../services/load.js';

const dir = new URL('../docs/schemas/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(contractSchemas(await loadServices())))
  writeFileSync(new URL(name, dir), schemaText(schema));
console.log('docs/schemas written');
