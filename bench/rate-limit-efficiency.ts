import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { readPipelineMetrics } from '../src/metrics/pipeline-metrics.js';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { createPortalRateLimiter } from '../src/ratelimit/portal-rate-limiter.js';
import { connectRedis, createRuntime } from '../src/runtime/create-runtime.js';
import { maxInWindow } from '../test/support/max-in-window.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult, BenchTarget } from './support/bench-result.js';
import { countDelayedMoves } from './support/count-delayed-moves.js';
import { spawnWorkerProcess, type WorkerProcess } from './support/spawn-worker-process.js';
import { type SimPortalSnapshot, startSimProcess } from './support/start-sim-process.js';
import { waitUntil } from './support/wait-until.js';

const JOBS = 600;
const RATE = 20;
const BURST = 20;
const LATENCY_MS = 20;
const CONCURRENCY = 10;
const MIN_SECONDS = (JOBS - BURST) / RATE;
const TARGET_FACTOR = 1.1;

export interface RateRun {
  workers: string;
  /** Enqueue start to the last pair settled, s. */
  wallSeconds: number;
  /** First to last request the simulator saw, s. */
  requestSpanSeconds: number;
  requests: number;
  queryLimitExceeded: number;
  registered: number;
  duplicates: number;
  /** Most requests the simulator saw in any 1 s window (the server allows burst + rate). */
  maxPerSecond: number;
  /** Moves to the delayed set, from BullMQ's event stream. */
  delayedMoves: number;
  /** Delays by reason as the pipeline metrics in Redis count them. */
  delayedMetrics: Record<string, number>;
}

async function measureRun(
  ctx: BenchContext,
  label: string,
  startWorkers: (config: ReturnType<typeof benchConfig>) => Promise<() => Promise<void>>,
): Promise<RateRun> {
  const sim = await startSimProcess({
    portals: 1,
    latencyMs: LATENCY_MS,
    burst: BURST,
    drainPerSecond: RATE,
    seed: 21,
  });
  const config = benchConfig(ctx.redisUrl, sim.oauthUrl, {
    portalRate: { rate: RATE, burst: BURST },
    worker: {
      concurrency: CONCURRENCY,
      stalledIntervalMs: 30_000,
      lockDurationMs: 60_000,
      maxStalledCount: 5,
    },
  });
  const runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  let stopWorkers: (() => Promise<void>) | undefined;
  const moves = await countDelayedMoves(ctx.redisUrl, config.prefix);
  try {
    stopWorkers = await startWorkers(config);
    const apps = benchApps(JOBS, 'rl');
    const started = performance.now();
    const summary = await enqueueRollout({ apps, portals: sim.portals }, runtime);
    if (summary.jobsAdded !== JOBS) throw new Error(`expected ${JOBS} jobs, enqueued ${summary.jobsAdded}`);
    const counts = await waitUntil(
      `${label}: all ${JOBS} pairs settled`,
      async () => {
        const c = await runtime.results.countsByState();
        return c.pending === 0 ? c : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 100 },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const domain = sim.portals[0]?.domain ?? '';
    const portal: SimPortalSnapshot = await sim.portal(domain);
    const times = portal.requestTimes;
    const metrics = await readPipelineMetrics(runtime.redis, config.prefix);
    return {
      workers: label,
      wallSeconds,
      requestSpanSeconds: times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0,
      requests: portal.calls,
      queryLimitExceeded: portal.queryLimitExceeded,
      registered: counts.registered,
      duplicates: portal.duplicates,
      maxPerSecond: maxInWindow(times, 1_000),
      delayedMoves: moves.count(),
      delayedMetrics: Object.fromEntries(metrics.delayed.map((d) => [d.reason, d.count])),
    };
  } finally {
    await stopWorkers?.();
    await moves.close();
    await runtime.queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    await sim.stop();
  }
}

/**
 * 2. Rate-limit efficiency: one portal, 600 pairs, the simulator's bucket 20 burst / 20 per second and the
 * client's limit the same. How close to the theoretical minimum ((jobs - burst) / rate) does the rollout finish,
 * and does the server ever answer QUERY_LIMIT_EXCEEDED? Once with one in-process worker, once with three worker
 * OS processes sharing the limiter through Redis, and (not a target) once with the limiter's arrival margin off.
 */
export async function runRateLimitEfficiency(ctx: BenchContext): Promise<BenchResult> {
  /** One worker in this process; `arrivalMarginMs` replaces the runtime's limiter (0 = the limiter without margin). */
  const inProcess = (arrivalMarginMs?: number) => async (config: ReturnType<typeof benchConfig>) => {
    const logger = pino({ level: 'silent' });
    const runtime = createRuntime({ config, logger });
    const limiter =
      arrivalMarginMs === undefined
        ? runtime.limiter
        : createPortalRateLimiter({ redis: runtime.redis, prefix: config.prefix, arrivalMarginMs });
    const connection: Redis = connectRedis(config.redisUrl, logger, 'bench-rl-worker');
    const worker: Worker = createRolloutWorker(
      { ...runtime, limiter },
      { connection, concurrency: CONCURRENCY },
    );
    return async () => {
      await worker.close();
      await runtime.close();
      await connection.quit();
    };
  };
  const threeProcesses = async (config: ReturnType<typeof benchConfig>) => {
    const processes: WorkerProcess[] = await Promise.all(
      [0, 1, 2].map(() => spawnWorkerProcess(config, CONCURRENCY)),
    );
    return async () => {
      await Promise.all(processes.map((p) => p.stop()));
    };
  };
  const runs: RateRun[] = [];
  runs.push(await measureRun(ctx, '1 worker (in-process)', inProcess()));
  ctx.log(`  1 worker: ${runs[0]?.wallSeconds.toFixed(1)} s, ${runs[0]?.queryLimitExceeded} x 503`);
  runs.push(await measureRun(ctx, '3 worker processes', threeProcesses));
  ctx.log(`  3 processes: ${runs[1]?.wallSeconds.toFixed(1)} s, ${runs[1]?.queryLimitExceeded} x 503`);
  // Not a target: the limiter without its arrival margin, to show where 503s came from and what one costs.
  const noMargin = await measureRun(ctx, '1 worker, no arrival margin', inProcess(0));
  ctx.log(`  no margin: ${noMargin.wallSeconds.toFixed(1)} s, ${noMargin.queryLimitExceeded} x 503`);

  const targets: BenchTarget[] = runs.flatMap((run) => [
    {
      name: `${run.workers}: run time vs minimum`,
      target: `<= ${TARGET_FACTOR}x`,
      measured: `${(run.wallSeconds / MIN_SECONDS).toFixed(3)}x`,
      met: run.wallSeconds / MIN_SECONDS <= TARGET_FACTOR,
    },
    {
      name: `${run.workers}: QUERY_LIMIT_EXCEEDED answers`,
      target: '0',
      measured: String(run.queryLimitExceeded),
      met: run.queryLimitExceeded === 0,
    },
  ]);
  return {
    id: 'rate-limit',
    title: `2. Rate-limit efficiency (1 portal, ${JOBS} pairs, server and client ${BURST} burst / ${RATE} per s, minimum ${MIN_SECONDS} s)`,
    headers: [
      'workers',
      'run time',
      'x minimum',
      'request span',
      'requests',
      '503 QUERY_LIMIT',
      'max req in 1 s',
      'registered',
      'duplicates',
      'moves to delayed',
      'delay reasons (metrics)',
    ],
    rows: [...runs, noMargin].map((run) => [
      run.workers,
      `${run.wallSeconds.toFixed(2)} s`,
      (run.wallSeconds / MIN_SECONDS).toFixed(3),
      `${run.requestSpanSeconds.toFixed(2)} s`,
      String(run.requests),
      String(run.queryLimitExceeded),
      String(run.maxPerSecond),
      String(run.registered),
      String(run.duplicates),
      String(run.delayedMoves),
      Object.entries(run.delayedMetrics)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', ') || '-',
    ]),
    targets,
    notes: [
      `run time: from the start of enqueueRollout to the last pair settled; request span: first to last request seen by the simulator (its own clock). Simulator latency ${LATENCY_MS} ms, worker concurrency ${CONCURRENCY} per process.`,
      `the server admits at most burst + rate * window requests in any window: ${BURST + RATE} in 1 s.`,
      'the runtime limiter keeps a 50 ms arrival margin (src/runtime/create-runtime.ts); the last row swaps in the same limiter with margin 0: a request granted on schedule that travels a few ms faster than the one before reaches the full server bucket early and gets 503, and the slow-down that follows halves the rate for every job already holding a wake-up ticket.',
    ],
    data: {
      jobs: JOBS,
      rate: RATE,
      burst: BURST,
      latencyMs: LATENCY_MS,
      concurrency: CONCURRENCY,
      minSeconds: MIN_SECONDS,
      runs,
      noMargin,
    },
  };
}
