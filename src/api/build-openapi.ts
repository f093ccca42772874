import { z } from 'zod';
import type { ApiRouteSpec } from './api-route-table.js';

type Json = Record<string, unknown>;

function inputSchema(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json['$schema'];
  return json;
}

/** Fastify's `:name` parameters as OpenAPI's `{name}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = inputSchema(schema);
  const properties = (json['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((json['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}

/**
 * The OpenAPI 3.1 document of the JSON API, generated from the route table's zod schemas (`z.toJSONSchema`, input
 * side): each route's path and query parameters and JSON body. Answers are described in docs/http-api.md.
 */
export function buildOpenApi(routes: readonly ApiRouteSpec[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    const operation: Json = {
      summary: route.summary,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses: {
        '200': { description: 'OK (docs/http-api.md)' },
        '400': { description: 'bad_request: the input named in `issues`' },
        '401': { description: 'the API token is required' },
      },
    };
    if (route.body) {
      operation['requestBody'] = {
        required: false,
        content: { 'application/json': { schema: inputSchema(route.body) } },
      };
    }
    (paths[path] as Record<string, Json>)[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'imbot-rollout HTTP API', version, description: 'docs/http-api.md' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'imbot_rollout_session' },
      },
    },
    paths,
  };
}
