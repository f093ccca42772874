import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** GET /metrics in the Prometheus text format; 503 when Redis cannot be read. */
export function metricsRoutes(app: FastifyInstance, deps: { registry: Registry }): void {
  app.get('/metrics', async (request, reply) => {
    let text: string;
    try {
      text = await deps.registry.metrics();
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, 'metrics scrape failed');
      return reply.code(503).send({ error: 'unavailable', message: 'metrics could not be read from Redis' });
    }
    return reply.header('content-type', deps.registry.contentType).send(text);
  });
}
