import type { Worker } from 'bullmq';
import { pino } from 'pino';
import { type AppDefinition, appDefinitionSchema } from '../../../src/apps/app-definition-schema.js';
import type { Config } from '../../../src/config/config-schema.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { countPairs, isSettled } from '../../../src/ops/pair-counts.js';
import { createRolloutWorker } from '../../../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../../../src/pipeline/enqueue-rollout.js';
import type { PairJob } from '../../../src/pipeline/pair-job.js';
import type { PairOutcome } from '../../../src/pipeline/pair-outcome.js';
import { type PortalEntry, portalsFileSchema } from '../../../src/portals/portal-entry-schema.js';
import { closeBullmq } from '../../../src/redis/close-bullmq.js';
import { connectRedis } from '../../../src/redis/connect-redis.js';
import type { RedisClient } from '../../../src/redis/redis-client.js';
import { createRuntime, type Runtime } from '../../../src/runtime/create-runtime.js';
import type { SimulatorHandle, SimulatorOptions } from '../../../src/simulator/start-simulator.js';
import { startSimulator } from '../../../src/simulator/start-simulator.js';
import { testRedisTarget, uniquePrefix } from '../../support/redis.js';
import { waitFor } from '../../support/wait-for.js';

export function jsApp(code: string, param = '/help'): AppDefinition {
  return appDefinitionSchema.parse({
    CODE: code,
    JS_METHOD: 'SEND',
    JS_PARAM: param,
    CONTEXT: 'BOT',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: `Title ${code}`, DESCRIPTION: 'Test command' }],
  });
}

export function iframeApp(code: string): AppDefinition {
  return appDefinitionSchema.parse({
    CODE: code,
    IFRAME: 'https://apps.example.com/iframe.php',
    IFRAME_WIDTH: 350,
    IFRAME_HEIGHT: 150,
    HASH: 'auto',
    LANG: [{ LANGUAGE_ID: 'en', TITLE: `Iframe ${code}` }],
  });
}

export interface Harness {
  sim: SimulatorHandle;
  config: Config;
  runtime: Runtime;
  portals(): PortalEntry[];
  /** A worker in this process; `deps` lets a test wrap a dependency (default: the harness runtime). */
  startWorker(concurrency?: number, deps?: Runtime): Worker<PairJob, PairOutcome>;
  rollout(
    apps: readonly AppDefinition[],
    portals?: readonly PortalEntry[],
    options?: { recreate?: boolean },
  ): ReturnType<typeof enqueueRollout>;
  /** Waits until none of the pairs is pending and returns the counts; throws with the last counts past the timeout. */
  settle(
    pairs: readonly { domain: string; code: string }[],
    timeoutMs?: number,
  ): ReturnType<typeof countPairs>;
  close(): Promise<void>;
}

/** A simulator, a config on a fresh prefix of the test Redis, the runtime, and workers on demand. */
export async function startHarness(
  simOptions: SimulatorOptions,
  configOverrides: Record<string, unknown> = {},
): Promise<Harness> {
  const sim = await startSimulator(simOptions);
  const config = loadConfig(
    {},
    {
      ...testRedisTarget(),
      prefix: uniquePrefix('pipe'),
      allowHttp: true,
      allowHosts: ['127.0.0.1'], // the simulator: exempt from the outbound rule
      hashSecret: 'test-hash-secret-0123456789',
      secrets: { key: 'dGVzdC1vbmx5LXNlY3JldC1rZXktMzItYnl0ZXMhISE=' }, // test-only key: secrets sealed at rest
      logLevel: 'silent',
      b24: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', oauthUrl: sim.oauthUrl },
      retry: { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 400, jitter: 0.2 },
      portalRate: { rate: 50, burst: 50 },
      request: { timeoutMs: 2_000, refreshTimeoutMs: 2_000 },
      worker: { concurrency: 10, stalledIntervalMs: 1_000, lockDurationMs: 2_000, maxStalledCount: 5 },
      // Single calls unless a test asks for batches: most tests assert exact per-call sequences; the batch path
      // has its own tests (batching.test.ts, and convergence.test.ts runs in both modes).
      batch: { enabled: false, maxCommands: 50, maxBytes: 1_048_576 },
      ...configOverrides,
    },
  );
  const logger = pino({ level: 'silent' });
  const runtime = createRuntime({ config, logger });
  const workers: { worker: Worker<PairJob, PairOutcome>; connection: RedisClient }[] = [];
  return {
    sim,
    config,
    runtime,
    portals: () =>
      portalsFileSchema({ allowHttp: true, allowHosts: config.allowHosts }).parse(sim.portalsFile()),
    startWorker(concurrency = config.worker.concurrency, deps = runtime) {
      const connection = connectRedis(config, logger, 'test-worker');
      const worker = createRolloutWorker(deps, { connection, concurrency });
      workers.push({ worker, connection });
      return worker;
    },
    async rollout(apps, portals, options = {}) {
      return await enqueueRollout(
        {
          apps,
          portals:
            portals ??
            portalsFileSchema({ allowHttp: true, allowHosts: config.allowHosts }).parse(sim.portalsFile()),
          recreate: options.recreate ?? false,
        },
        runtime,
      );
    },
    async settle(pairs, timeoutMs = 20_000) {
      return await waitFor(
        async () => {
          const counts = await countPairs(runtime.results, pairs);
          if (!isSettled(counts)) throw new Error(`not settled yet: ${JSON.stringify(counts)}`);
          return counts;
        },
        { timeoutMs, intervalMs: 50, message: `${pairs.length} pairs to settle` },
      );
    },
    async close() {
      // Graceful: let the jobs in flight finish before their connection is closed under them (a forced close
      // left a processor writing to a quit connection: an unhandled "Connection is closed").
      await Promise.all(workers.map(({ worker, connection }) => closeBullmq(worker, connection)));
      await Promise.all(workers.map(({ connection }) => connection.quit()));
      await runtime.queue.obliterate({ force: true }).catch(() => undefined);
      await runtime.close();
      await sim.stop();
    },
  };
}
