/**
 * The contract as JSON Schema (docs/integration.md): the invitation params of each service and
 * the `assignments` and `outcomes` job payloads, generated from the zod schemas the gateway
 * parses and writes with. `npm run docs:schemas` writes them to docs/schemas/; a test keeps the
 * files in step, so a change of a zod schema that is not published fails the build.
 */
import { z } from 'zod';
import { assignmentJob, ASSIGNMENT_JOB_NAME } from '../queues/jobs.js';
import { outcomeJob, OUTCOME_JOB_NAME } from '../queues/outcomes.js';
import type { ServiceRegistry } from '../services/load.js';
import { paramsSchema } from './core/params.js';

const toJson = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });

/** `params` of one service's invitation, as the API accepts them. */
export function paramsJsonSchema(services: ServiceRegistry, id: string): Record<string, unknown> {
  const service = services.get(id);
  if (!service) throw new Error(`no service ${id}`);
  return { title: `${id} params`, ...toJson(paramsSchema(service), 'input') };
}

/** Every published schema, by file name under docs/schemas/. */
export function contractSchemas(services: ServiceRegistry): Record<string, Record<string, unknown>> {
  const files: Record<string, Record<string, unknown>> = {
    [`${ASSIGNMENT_JOB_NAME}.json`]: {
      $id: `https://1414.gateway/schemas/${ASSIGNMENT_JOB_NAME}.json`,
      title: `assignments job ${ASSIGNMENT_JOB_NAME}`,
      ...toJson(assignmentJob, 'output'),
    },
    [`${OUTCOME_JOB_NAME}.json`]: {
      $id: `https://1414.gateway/schemas/${OUTCOME_JOB_NAME}.json`,
      ...toJson(outcomeJob, 'output'),
    },
  };
  for (const id of [...services.keys()].sort()) {
    files[`params.${id}.json`] = {
      $id: `https://1414.gateway/schemas/params.${id}.json`,
      ...paramsJsonSchema(services, id),
    };
  }
  return files;
}

/** A file's text as written: two-space JSON and a final newline. */
export const schemaText = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;
