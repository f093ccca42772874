import { Redis } from 'ioredis';
import { pino } from 'pino';
import { readPipelineMetrics } from '../src/metrics/pipeline-metrics.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { buildDist } from './support/build-dist.js';
import { countDelayedMoves } from './support/count-delayed-moves.js';
import { processMemory } from './support/process-memory.js';
import { redisUsedMemory } from './support/redis-used-memory.js';
import { spawnWorkerProcess } from './support/spawn-worker-process.js';
import { startSimProcess } from './support/start-sim-process.js';
import { waitUntil } from './support/wait-until.js';

const PORTALS = 10_000;
const APPS = 3;
const PAIRS = PORTALS * APPS;
const CONCURRENCY = 50;
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 300;

const mb = (bytes: number) => bytes / 1024 / 1024;

/**
 * 4. Scale: 10,000 portals x 3 apps through one worker OS process, against a zero-latency simulator in its own
 * process. Enqueue time, rollout time, the worker's RSS, Redis memory per portal and how often jobs were moved
 * to the delayed set.
 */
export async function runScale(ctx: BenchContext): Promise<BenchResult> {
  const sim = await startSimProcess({
    portals: PORTALS,
    latencyMs: 0,
    burst: 50,
    drainPerSecond: 2,
    seed: 41,
  });
  const admin = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  // Default config (client limit 1.5/s, burst 40: three calls per portal fit in the burst).
  const config = benchConfig(ctx.redisUrl, sim.oauthUrl);
  const runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  const moves = await countDelayedMoves(ctx.redisUrl, config.prefix);
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    // The worker runs as the Docker image runs it (node dist/cli/main.js) when the build succeeds.
    const build = await buildDist();
    ctx.log(
      `  build: ${build.entry ? `dist/ in ${build.seconds.toFixed(0)} s` : 'failed, running the sources with tsx'}`,
    );
    // What the worker process holds before any job: a throwaway worker on an empty queue.
    const idleWorker = await spawnWorkerProcess(
      { ...config, prefix: `${config.prefix}-idle` },
      CONCURRENCY,
      build.entry ?? undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idle = await processMemory(idleWorker.pid);
    await idleWorker.stop();

    const memoryBefore = await redisUsedMemory(admin);
    const apps = benchApps(APPS, 'scale');
    const enqueueStarted = performance.now();
    const summary = await enqueueRollout({ apps, portals: sim.portals }, runtime);
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    if (summary.jobsAdded !== PAIRS) throw new Error(`expected ${PAIRS} jobs, enqueued ${summary.jobsAdded}`);
    const memoryQueued = await redisUsedMemory(admin);
    ctx.log(`  enqueued ${PAIRS} pairs in ${enqueueSeconds.toFixed(1)} s`);

    const started = performance.now();
    const worker = await spawnWorkerProcess(config, CONCURRENCY, build.entry ?? undefined);
    stopWorker = () => worker.stop();
    // RSS over time: a plateau is V8 sizing its heap for the allocation rate, a steady climb would be a leak.
    const rssSamples: { seconds: number; settled: number; rssMb: number }[] = [];
    const counts = await waitUntil(
      `all ${PAIRS} pairs settled`,
      async () => {
        const c = await runtime.results.countsByState();
        const seconds = (performance.now() - started) / 1000;
        if (rssSamples.length === 0 || seconds - (rssSamples.at(-1)?.seconds ?? 0) >= 2) {
          const rssMb = Math.round(mb((await processMemory(worker.pid)).rss));
          rssSamples.push({ seconds: Math.round(seconds * 10) / 10, settled: PAIRS - c.pending, rssMb });
        }
        return c.pending === 0 ? c : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
    const rolloutSeconds = (performance.now() - started) / 1000;
    const memory = await processMemory(worker.pid);
    ctx.log(
      `  rolled out in ${rolloutSeconds.toFixed(1)} s, worker peak RSS ${mb(memory.peakRss).toFixed(0)} MB`,
    );
    await worker.stop();
    stopWorker = undefined;
    const memoryDone = await redisUsedMemory(admin);
    const stats = await sim.stats();
    const metrics = await readPipelineMetrics(runtime.redis, config.prefix);
    const delayedMoves = moves.count();
    const queuedPerPortal = (memoryQueued - memoryBefore) / PORTALS;
    const durablePerPortal = (memoryDone - memoryBefore) / PORTALS;
    const delayedByReason = Object.fromEntries(metrics.delayed.map((d) => [d.reason, d.count]));
    return {
      id: 'scale',
      title: `4. Scale (${PORTALS.toLocaleString('en')} portals x ${APPS} apps = ${PAIRS.toLocaleString('en')} pairs, one worker process, concurrency ${CONCURRENCY}, zero-latency simulator)`,
      headers: ['figure', 'value', 'target'],
      rows: [
        ['enqueue time (rollout command side)', `${enqueueSeconds.toFixed(1)} s`, ''],
        [
          'rollout time (worker process spawned to last pair settled)',
          `${rolloutSeconds.toFixed(1)} s`,
          `< ${TARGET_SECONDS} s`,
        ],
        ['throughput', `${(PAIRS / rolloutSeconds).toFixed(0)} pairs/s`, ''],
        ['worker peak RSS (VmHWM)', `${mb(memory.peakRss).toFixed(0)} MB`, `< ${TARGET_RSS_MB} MB`],
        ['worker RSS idle (before any job)', `${mb(idle.rss).toFixed(0)} MB`, ''],
        [
          'worker RSS at 25/50/75/100% of the run',
          [0.25, 0.5, 0.75, 1]
            .map(
              (f) =>
                rssSamples[Math.min(rssSamples.length - 1, Math.floor(f * (rssSamples.length - 1)))]?.rssMb,
            )
            .join(' / ')
            .concat(' MB'),
          '',
        ],
        ['Redis memory per portal, queued (jobs + state)', `${(queuedPerPortal / 1024).toFixed(2)} KiB`, ''],
        [
          'Redis memory per portal, after rollout (durable state)',
          `${(durablePerPortal / 1024).toFixed(2)} KiB`,
          '',
        ],
        ['moves to delayed per job', (delayedMoves / PAIRS).toFixed(4), ''],
        [
          'registered / failed / duplicates',
          `${counts.registered} / ${counts.failed} / ${stats.duplicates}`,
          '',
        ],
        ['QUERY_LIMIT_EXCEEDED answers', String(stats.queryLimitExceeded), ''],
      ],
      targets: [
        {
          name: 'one worker process rolls out 30,000 pairs',
          target: `< ${TARGET_SECONDS} s`,
          measured: `${rolloutSeconds.toFixed(1)} s`,
          met: rolloutSeconds < TARGET_SECONDS,
        },
        {
          name: 'worker RSS',
          target: `< ${TARGET_RSS_MB} MB`,
          measured: `${mb(memory.peakRss).toFixed(0)} MB`,
          met: mb(memory.peakRss) < TARGET_RSS_MB,
        },
      ],
      notes: [
        'Redis memory: INFO used_memory after enqueue (queue full) and after the rollout (finished jobs are removed; results, attempt history and portal credentials stay), minus before, divided by the portals.',
        `moves to delayed: BullMQ "delayed" events of the queue (${delayedMoves}); the pipeline metrics count ${JSON.stringify(delayedByReason)}.`,
        `the simulator (its own process), Redis and the worker share the 2 cores; enqueueing happens before the worker starts. Worker: ${build.entry ? 'node dist/cli/main.js worker (compiled, as in the Docker image)' : 'the sources through tsx (the build failed)'}.`,
      ],
      data: {
        portals: PORTALS,
        apps: APPS,
        pairs: PAIRS,
        concurrency: CONCURRENCY,
        enqueueSeconds,
        rolloutSeconds,
        pairsPerSecond: PAIRS / rolloutSeconds,
        worker: {
          entry: build.entry ? 'dist' : 'tsx',
          idleRssBytes: idle.rss,
          rssBytes: memory.rss,
          peakRssBytes: memory.peakRss,
          rssSamples,
        },
        redis: {
          usedMemoryBefore: memoryBefore,
          usedMemoryQueued: memoryQueued,
          usedMemoryAfter: memoryDone,
          queuedBytesPerPortal: queuedPerPortal,
          durableBytesPerPortal: durablePerPortal,
        },
        delayedMoves,
        delayedMovesPerJob: delayedMoves / PAIRS,
        delayedByReason,
        counts,
        simulator: stats,
      },
    };
  } finally {
    await stopWorker?.();
    await moves.close();
    await runtime.queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    admin.disconnect();
    await sim.stop();
  }
}
