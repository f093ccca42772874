import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/api/api-route-table.js';
import { buildApi } from '../../src/api/build-api.js';
import { type Harness, startHarness } from '../pipeline/support/pipeline-harness.js';

let harness: Harness | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await harness?.close();
  harness = undefined;
});

describe('the OpenAPI document at /api/openapi.json', () => {
  it('describes every registered /api/ route with the zod schemas of its input, and nothing else', async () => {
    // The handout on, so its routes are registered and compared too.
    harness = await startHarness(
      { portals: 1, seed: 43 },
      { tokens: { handout: { secret: 'handout-secret-0123456789abcdef0123' } } },
    );
    const registered: string[] = [];
    app = await buildApi(harness.runtime, {
      host: '127.0.0.1',
      token: undefined,
      onRoute: (route) => {
        if (!route.url.startsWith('/api/')) return;
        for (const method of [route.method].flat())
          if (method !== 'HEAD') registered.push(`${method} ${route.url}`);
      },
    });
    await app.ready();
    // A route without its entry in src/api/api-route-table.ts (its input schemas) fails here.
    expect(registered.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.url}`).sort());

    const answer = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(answer.statusCode).toBe(200);
    const doc = answer.json() as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { parameters: { name: string; in: string }[]; requestBody?: unknown }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const route of API_ROUTES) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      // Every path parameter is described, from the route's params schema.
      const named = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
      expect(
        operation?.parameters
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
      ).toEqual(named.sort());
      if (route.body) expect(operation?.requestBody).toBeDefined();
    }
    expect(doc.paths['/api/portals']?.['get']?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['state', 'code', 'search', 'offset', 'limit']),
    );
  });
});
