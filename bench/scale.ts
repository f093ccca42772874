import { Redis } from 'ioredis';
import { pino } from 'pino';
import { readPipelineMetrics } from '../src/metrics/pipeline-metrics.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { waitFor } from '../test/support/wait-for.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { buildDist } from './support/build-dist.js';
import { countDelayedMoves } from './support/count-delayed-moves.js';
import { processCpuSeconds, redisCpuSeconds } from './support/process-cpu.js';
import { processMemory } from './support/process-memory.js';
import { redisUsedMemory } from './support/redis-used-memory.js';
import { spawnWorkerProcess } from './support/spawn-worker-process.js';
import { type SimStats, startSimProcess } from './support/start-sim-process.js';

const PORTALS = 10_000;
const APPS = 3;
const PAIRS = PORTALS * APPS;
const CONCURRENCY = 50;
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 300;
/** The run that times the rollout against the request lower bound: the same portals x apps, 100 ms per request. */
const LATENCY_MS = 100;
const TARGET_REQUESTS_PER_PAIR = 0.4;
const TARGET_BOUND_FACTOR = 1.3;

const mb = (bytes: number) => bytes / 1024 / 1024;

/** What the simulator counted during one rollout (stats after minus before). */
interface RequestCounts {
  /** HTTP requests (a batch is one). */
  requests: number;
  /** Method executions, batch commands included. */
  commands: number;
  batches: number;
  byMethod: Record<string, number>;
}

function requestCounts(after: SimStats, before: SimStats): RequestCounts {
  const byMethod: Record<string, number> = {};
  for (const [method, n] of Object.entries(after.callsByMethod)) {
    const d = n - (before.callsByMethod[method] ?? 0);
    if (d !== 0) byMethod[method] = d;
  }
  return {
    requests: after.calls - before.calls,
    commands: after.commands - before.commands,
    batches: after.batches - before.batches,
    byMethod,
  };
}

/**
 * 10,000 portals x 3 apps at 100 ms per request: a fresh simulator, a fresh key prefix, the same default config
 * and one worker process. The lower bound is requests x latency / concurrency (each request holds one of the
 * worker's job slots for at least the latency).
 */
async function latencyRun(
  ctx: BenchContext,
  entry: string | undefined,
): Promise<{
  rolloutSeconds: number;
  startupSeconds: number;
  boundSeconds: number;
  factor: number;
  counts: Record<string, number>;
  requests: RequestCounts;
  simulator: SimStats;
  /** CPU seconds each process used during the rollout (worker: its whole life, startup included). */
  cpuSeconds: { worker: number; simulator: number; redis: number };
}> {
  const sim = await startSimProcess({
    portals: PORTALS,
    latencyMs: LATENCY_MS,
    burst: 50,
    drainPerSecond: 2,
    seed: 43,
  });
  const config = benchConfig(ctx.redisUrl, sim.oauthUrl);
  const runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    const summary = await enqueueRollout({ apps: benchApps(APPS, 'lat'), portals: sim.portals }, runtime);
    if (summary.jobsAdded !== PAIRS) throw new Error(`expected ${PAIRS} jobs, enqueued ${summary.jobsAdded}`);
    const before = await sim.stats();
    const simCpuBefore = await processCpuSeconds(sim.pid);
    const redisCpuBefore = await redisCpuSeconds(runtime.redis);
    const started = performance.now();
    const worker = await spawnWorkerProcess(config, CONCURRENCY, entry);
    stopWorker = () => worker.stop();
    const startupSeconds = (performance.now() - started) / 1000;
    const counts = await waitFor(
      async () => {
        const c = await runtime.results.countsByState();
        return c.pending === 0 ? c : false;
      },
      { message: `${LATENCY_MS} ms run: all ${PAIRS} pairs settled`, timeoutMs: 300_000, intervalMs: 100 },
    );
    const rolloutSeconds = (performance.now() - started) / 1000;
    const cpuSeconds = {
      worker: await processCpuSeconds(worker.pid),
      simulator: (await processCpuSeconds(sim.pid)) - simCpuBefore,
      redis: (await redisCpuSeconds(runtime.redis)) - redisCpuBefore,
    };
    await worker.stop();
    stopWorker = undefined;
    const simulator = await sim.stats();
    const requests = requestCounts(simulator, before);
    const boundSeconds = (requests.requests * (LATENCY_MS / 1000)) / CONCURRENCY;
    ctx.log(
      `  ${LATENCY_MS} ms run: ${rolloutSeconds.toFixed(1)} s for ${requests.requests} requests (bound ${boundSeconds.toFixed(1)} s)`,
    );
    return {
      rolloutSeconds,
      startupSeconds,
      boundSeconds,
      factor: rolloutSeconds / boundSeconds,
      counts: { ...counts },
      requests,
      simulator,
      cpuSeconds,
    };
  } finally {
    await stopWorker?.();
    await runtime.queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    await sim.stop();
  }
}

/**
 * 4. Scale: 10,000 portals x 3 apps through one worker OS process, against a zero-latency simulator in its own
 * process. Enqueue time, rollout time, the worker's RSS, Redis memory per portal, how often jobs were moved
 * to the delayed set, and the requests the simulator received (HTTP requests and method executions). Then the
 * same rollout against a simulator answering after 100 ms, timed against requests x latency / concurrency.
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

    const statsBefore = await sim.stats();
    const started = performance.now();
    const worker = await spawnWorkerProcess(config, CONCURRENCY, build.entry ?? undefined);
    stopWorker = () => worker.stop();
    // RSS over time: a plateau is V8 sizing its heap for the allocation rate, a steady climb would be a leak.
    const rssSamples: { seconds: number; settled: number; rssMb: number }[] = [];
    const counts = await waitFor(
      async () => {
        const c = await runtime.results.countsByState();
        const seconds = (performance.now() - started) / 1000;
        if (rssSamples.length === 0 || seconds - (rssSamples.at(-1)?.seconds ?? 0) >= 2) {
          const rssMb = Math.round(mb((await processMemory(worker.pid)).rss));
          rssSamples.push({ seconds: Math.round(seconds * 10) / 10, settled: PAIRS - c.pending, rssMb });
        }
        return c.pending === 0 ? c : false;
      },
      { message: `all ${PAIRS} pairs settled`, timeoutMs: 240_000, intervalMs: 250 },
    );
    const rolloutSeconds = (performance.now() - started) / 1000;
    const memory = await processMemory(worker.pid);
    const workerCpuSeconds = await processCpuSeconds(worker.pid);
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
    const requests = requestCounts(stats, statsBefore);
    const perPair = requests.requests / PAIRS;
    ctx.log(
      `  ${requests.requests} requests (${requests.batches} batches), ${requests.commands} commands: ${perPair.toFixed(3)} requests per pair`,
    );
    // The same rollout at 100 ms per request (the zero-latency simulator idles meanwhile).
    const lat = await latencyRun(ctx, build.entry ?? undefined);
    const latPerPair = lat.requests.requests / PAIRS;
    const methods = (r: RequestCounts) =>
      Object.entries(r.byMethod)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([m, n]) => `${m} ${n}`)
        .join(', ');
    return {
      id: 'scale',
      title: `4. Scale (${PORTALS.toLocaleString('en')} portals x ${APPS} apps = ${PAIRS.toLocaleString('en')} pairs, one worker process, concurrency ${CONCURRENCY}, zero-latency simulator, then ${LATENCY_MS} ms)`,
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
        [
          'requests (HTTP) / commands (methods run) / batches',
          `${requests.requests} / ${requests.commands} / ${requests.batches}`,
          '',
        ],
        ['requests per pair', perPair.toFixed(3), `<= ${TARGET_REQUESTS_PER_PAIR}`],
        ['commands per pair', (requests.commands / PAIRS).toFixed(3), ''],
        [
          'worker CPU (process lifetime; per 1,000 pairs)',
          `${workerCpuSeconds.toFixed(1)} s (${((workerCpuSeconds / PAIRS) * 1000).toFixed(2)} s)`,
          '',
        ],
        [
          `${LATENCY_MS} ms run: requests / commands / batches`,
          `${lat.requests.requests} / ${lat.requests.commands} / ${lat.requests.batches}`,
          '',
        ],
        [`${LATENCY_MS} ms run: requests per pair`, latPerPair.toFixed(3), `<= ${TARGET_REQUESTS_PER_PAIR}`],
        [
          `${LATENCY_MS} ms run: rollout time (worker spawned to last pair settled)`,
          `${lat.rolloutSeconds.toFixed(1)} s (${(PAIRS / lat.rolloutSeconds).toFixed(0)} pairs/s)`,
          '',
        ],
        [
          `${LATENCY_MS} ms run: lower bound requests x ${LATENCY_MS} ms / ${CONCURRENCY}`,
          `${lat.boundSeconds.toFixed(1)} s`,
          '',
        ],
        [
          `${LATENCY_MS} ms run: rollout time / lower bound`,
          `${lat.factor.toFixed(2)}x`,
          `<= ${TARGET_BOUND_FACTOR}x`,
        ],
        [
          `${LATENCY_MS} ms run: CPU s worker / simulator / Redis (per 1,000 pairs)`,
          [lat.cpuSeconds.worker, lat.cpuSeconds.simulator, lat.cpuSeconds.redis]
            .map((c) => `${c.toFixed(1)} (${((c / PAIRS) * 1000).toFixed(2)})`)
            .join(' / '),
          '',
        ],
        [
          `${LATENCY_MS} ms run: rollout time / zero-latency rollout time`,
          `${(lat.rolloutSeconds / rolloutSeconds).toFixed(2)}x`,
          '',
        ],
        [
          `${LATENCY_MS} ms run: registered / failed / 503s`,
          `${lat.counts['registered'] ?? 0} / ${lat.counts['failed'] ?? 0} / ${lat.simulator.queryLimitExceeded}`,
          '',
        ],
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
        {
          name: `requests per pair, ${PORTALS.toLocaleString('en')} portals x ${APPS} apps (zero latency / ${LATENCY_MS} ms)`,
          target: `<= ${TARGET_REQUESTS_PER_PAIR}`,
          measured: `${perPair.toFixed(3)} / ${latPerPair.toFixed(3)}`,
          met: Math.max(perPair, latPerPair) <= TARGET_REQUESTS_PER_PAIR,
        },
        {
          name: `rollout time at ${LATENCY_MS} ms vs requests x latency / concurrency`,
          target: `<= ${TARGET_BOUND_FACTOR}x`,
          measured: `${lat.factor.toFixed(2)}x (${lat.rolloutSeconds.toFixed(1)} s vs ${lat.boundSeconds.toFixed(1)} s)`,
          met: lat.factor <= TARGET_BOUND_FACTOR,
        },
      ],
      notes: [
        'Redis memory: INFO used_memory after enqueue (queue full) and after the rollout (finished jobs are removed; results, attempt history and portal credentials stay), minus before, divided by the portals.',
        `moves to delayed: BullMQ "delayed" events of the queue (${delayedMoves}); the pipeline metrics count ${JSON.stringify(delayedByReason)}.`,
        `requests: HTTP requests the simulator received (a batch is one); commands: methods it ran, batch commands included. Zero latency: ${methods(requests)}; ${LATENCY_MS} ms: ${methods(lat.requests)}.`,
        `${LATENCY_MS} ms run: a second simulator (${LATENCY_MS} ms per request, same portals count, cloud bucket), a fresh key prefix, the same config and worker; its rollout time counts from spawning the worker (startup ${lat.startupSeconds.toFixed(1)} s) to the last pair settled; lower bound = requests x latency / concurrency (each request holds a job slot for at least the latency).`,
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
        requests,
        requestsPerPair: perPair,
        workerCpuSeconds,
        simulator: stats,
        latencyRun: { latencyMs: LATENCY_MS, ...lat, requestsPerPair: latPerPair },
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
