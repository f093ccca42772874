import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApi } from '../../../src/api/build-api.js';
import { pairJobId } from '../../../src/pipeline/pair-job.js';
import type { SimulatorOptions } from '../../../src/simulator/start-simulator.js';
import { type Harness, startHarness } from '../../pipeline/support/pipeline-harness.js';

export const API_TOKEN = 'intake-test-token-0123456789abcdef';

export interface IntakeHarness extends Harness {
  api: FastifyInstance;
  /** http://127.0.0.1:PORT/bitrix24/events: where the simulator delivers application events. */
  eventsUrl: string;
  /** The portal's stored hash as Redis holds it (to show that nothing changed). */
  rawPortal(domain: string): Promise<Record<string, string>>;
  /** Ids of the BullMQ jobs of a portal's pairs that still exist (any state). */
  jobsOf(domain: string, codes: readonly string[]): Promise<string[]>;
  closeAll(): Promise<void>;
}

/**
 * The pipeline harness (simulator, Redis, runtime, workers on demand) plus the real HTTP API (`serve`'s
 * buildApi, with an API token) listening on a free port, so the simulator posts events to it over HTTP.
 */
export async function startIntakeHarness(
  simOptions: SimulatorOptions,
  configOverrides: Record<string, unknown> = {},
  options: { logger?: Logger } = {},
): Promise<IntakeHarness> {
  const harness = await startHarness(simOptions, {
    events: { botCode: 'simbot', ratePerMinute: 1000 },
    ...configOverrides,
  });
  const api = await buildApi(harness.runtime, {
    host: '127.0.0.1',
    token: API_TOKEN,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    ...harness,
    api,
    eventsUrl: `http://127.0.0.1:${port}/bitrix24/events`,
    rawPortal: async (domain) => await harness.runtime.redis.hgetall(harness.runtime.keys.portal(domain)),
    async jobsOf(domain, codes) {
      const ids: string[] = [];
      for (const code of codes) {
        const job = await harness.runtime.queue.getJob(pairJobId(domain, code));
        if (job !== undefined) ids.push(pairJobId(domain, code));
      }
      return ids;
    },
    async closeAll() {
      await api.close();
      await harness.close();
    },
  };
}
