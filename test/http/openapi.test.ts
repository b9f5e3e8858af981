import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, openApiDocument } from '../../gateway/http/openapi.js';
import { bearer, createTestApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD /path` express routes, read from its router stack (routers are mounted at /). */
function routesOf(app: Express): string[] {
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
        return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${path}`);
      }
      return layer.handle?.stack ? walk(layer.handle.stack) : [];
    });
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack).sort();
}

describe('/openapi.json', () => {
  it('is served and is an OpenAPI 3.1 document', async () => {
    const res = await request(t.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument(t.core.services))));
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('documents every route express serves, and nothing it does not', () => {
    const documented = OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`).sort();
    expect(routesOf(t.app)).toEqual(documented);
  });

  it('every request example validates against the schema the route parses with', () => {
    const examples = OPERATIONS.flatMap((op) =>
      Object.entries(op.body?.examples ?? {}).map(([name, value]) => ({ op, name, value })),
    );
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const { op, name, value } of examples) {
      const parsed = op.body?.schema.safeParse(value);
      expect(parsed?.success, `${op.path} example ${name}: ${JSON.stringify(parsed?.error?.issues)}`).toBe(
        true,
      );
    }
  });

  it('the invitation examples are accepted by the running API', async () => {
    const op = OPERATIONS.find((o) => o.path === '/v1/invitations');
    for (const [name, example] of Object.entries(op?.body?.examples ?? {})) {
      const res = await request(t.app)
        .post('/v1/invitations')
        .set('Authorization', bearer('system'))
        .send(example as object);
      expect(res.status, name).toBe(202);
      expect(op?.ok.schema?.safeParse(res.body).success, name).toBe(true);
    }
  });

  it("documents invitations per service: service a constant of each, params that service's schema", () => {
    const doc = openApiDocument(t.core.services) as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
    };
    const body = doc.paths['/v1/invitations']?.post.requestBody.content['application/json']?.schema as {
      oneOf: Array<{
        oneOf?: Array<{ properties: { service: { const: string }; params: { required: string[] } } }>;
      }>;
    };
    const single = body.oneOf[0]?.oneOf ?? [];
    expect(single.map((o) => o.properties.service.const)).toEqual([...t.core.services.keys()].sort());
    const meals = single.find((o) => o.properties.service.const === 'school-meals');
    expect(meals?.properties.params.required).toEqual(['parentFullName', 'childFullName']);
  });

  it('names the roles and the error statuses of every guarded operation', () => {
    const doc = openApiDocument(t.core.services) as {
      paths: Record<string, Record<string, { 'x-roles'?: string[]; responses: object }>>;
    };
    for (const op of OPERATIONS.filter((o) => o.roles)) {
      const documented = doc.paths[op.path]?.[op.method];
      expect(documented?.['x-roles']).toEqual(op.roles);
      expect(Object.keys(documented?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
    }
  });
});
