import type { Worker } from 'bullmq';
import { pino } from 'pino';
import { readPipelineMetrics } from '../src/metrics/pipeline-metrics.js';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { createPortalRateLimiter } from '../src/ratelimit/portal-rate-limiter.js';
import { connectRedis } from '../src/redis/connect-redis.js';
import type { RedisClient } from '../src/redis/redis-client.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { maxInWindow } from '../test/support/max-in-window.js';
import { waitFor } from '../test/support/wait-for.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult, BenchTarget } from './support/bench-result.js';
import { countDelayedMoves } from './support/count-delayed-moves.js';
import {
  type ForeignCallerProcess,
  type ForeignCallerStats,
  spawnForeignCaller,
} from './support/foreign-caller.js';
import { injectQueryLimit } from './support/inject-query-limit.js';
import { spawnWorkerProcess, type WorkerProcess } from './support/spawn-worker-process.js';
import { type SimPortalSnapshot, startSimProcess } from './support/start-sim-process.js';

const JOBS = 600;
const RATE = 20;
const BURST = 20;
const LATENCY_MS = 20;
const CONCURRENCY = 10;
/** With one request per pair; the rows' minimum counts the requests the server actually took (see below). */
const MIN_SECONDS = (JOBS - BURST) / RATE;
const TARGET_FACTOR = 1.1;
/** Our request answered 503 without reaching the server: 20 burst + 40 more, about 2 s into the run. */
const INJECT_AT_CALL = 60;
const INJECTED_TARGET_FACTOR = 1.15;
/** The other application: half the server's rate for 10 s from the start of the rollout. */
const FOREIGN_RATE = RATE / 2;
const FOREIGN_MS = 10_000;
const FOREIGN_TARGET_FACTOR = 1.2;
const FOREIGN_MAX_503 = 3;

export interface RateRun {
  workers: string;
  /** Enqueue start to the last pair settled, s. */
  wallSeconds: number;
  /**
   * The least the server allows for the requests it took: (ours + the other caller's - burst) / rate, s. Counting
   * requests rather than pairs keeps the ratio about the limiter whatever a pair costs (register + update, batch).
   */
  minSeconds: number;
  /** First to last request the simulator saw (the other caller's included), s. */
  requestSpanSeconds: number;
  /** Our requests that reached the simulator. */
  requests: number;
  /** 503 QUERY_LIMIT_EXCEEDED answers to our requests: from the simulator's bucket, plus injected ones. */
  queryLimitExceeded: number;
  injected: number;
  /** The other application on the portal, when there is one. */
  foreign: ForeignCallerStats | undefined;
  registered: number;
  duplicates: number;
  /** Most requests the simulator saw in any 1 s window (the server allows burst + rate). */
  maxPerSecond: number;
  /** Moves to the delayed set, from BullMQ's event stream. */
  delayedMoves: number;
  /** Delays by reason as the pipeline metrics in Redis count them. */
  delayedMetrics: Record<string, number>;
}

/**
 * This benchmark measures the limiter, which sees one reservation per HTTP request: with batching (where the
 * pipeline has it) 600 pairs of one portal would be a handful of requests. So batching is switched off here when
 * the configuration has the switch (the config's `batch` object with `enabled: false`).
 */
function singleCalls(defaults: object): Record<string, unknown> {
  const batch: unknown = Reflect.get(defaults, 'batch');
  return typeof batch === 'object' && batch !== null ? { batch: { ...batch, enabled: false } } : {};
}

interface StartedWorkers {
  stop(): Promise<void>;
  /** 503s answered without reaching the server (injected). */
  injected?: () => number;
}

async function measureRun(
  ctx: BenchContext,
  label: string,
  startWorkers: (config: ReturnType<typeof benchConfig>) => Promise<StartedWorkers>,
  foreign?: { rate: number; durationMs: number },
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
    ...singleCalls(benchConfig(ctx.redisUrl, sim.oauthUrl)),
    worker: {
      concurrency: CONCURRENCY,
      stalledIntervalMs: 30_000,
      lockDurationMs: 60_000,
      maxStalledCount: 5,
    },
  });
  const runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
  let workers: StartedWorkers | undefined;
  let other: ForeignCallerProcess | undefined;
  const moves = await countDelayedMoves(ctx.redisUrl, config.prefix);
  try {
    workers = await startWorkers(config);
    const apps = benchApps(JOBS, 'rl');
    const target = sim.portals[0];
    if (foreign && target) other = await spawnForeignCaller();
    const started = performance.now();
    if (foreign && target)
      other?.start({ portal: target, rate: foreign.rate, durationMs: foreign.durationMs });
    const summary = await enqueueRollout({ apps, portals: sim.portals }, runtime);
    if (summary.jobsAdded !== JOBS) throw new Error(`expected ${JOBS} jobs, enqueued ${summary.jobsAdded}`);
    const counts = await waitFor(
      async () => {
        const c = await runtime.results.countsByState();
        return c.pending === 0 ? c : false;
      },
      { message: `${label}: all ${JOBS} pairs settled`, timeoutMs: 180_000, intervalMs: 100 },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const foreignStats = await other?.done();
    const domain = target?.domain ?? '';
    const portal: SimPortalSnapshot = await sim.portal(domain);
    const times = portal.requestTimes;
    const metrics = await readPipelineMetrics(runtime.redis, config.prefix);
    const injected = workers.injected?.() ?? 0;
    const requests = portal.calls - (foreignStats?.sent ?? 0);
    const refused = portal.queryLimitExceeded - (foreignStats?.refused ?? 0);
    return {
      workers: label,
      wallSeconds,
      minSeconds: (requests - refused + (foreignStats?.accepted ?? 0) - BURST) / RATE,
      requestSpanSeconds: times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0,
      requests,
      queryLimitExceeded: refused + injected,
      injected,
      foreign: foreignStats,
      registered: counts.registered,
      duplicates: portal.duplicates,
      maxPerSecond: maxInWindow(times, 1_000),
      delayedMoves: moves.count(),
      delayedMetrics: Object.fromEntries(metrics.delayed.map((d) => [d.reason, d.count])),
    };
  } finally {
    await other?.stop();
    await workers?.stop();
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
 * OS processes sharing the limiter through Redis; then how the limiter recovers: one 503 injected about 2 s in,
 * and another application spending half the bucket for the first 10 s (against the minimum that leaves);
 * and (not a target) the limiter with its arrival margin off.
 */
export async function runRateLimitEfficiency(ctx: BenchContext): Promise<BenchResult> {
  /**
   * One worker in this process; `arrivalMarginMs` replaces the runtime's limiter (0 = the limiter without
   * margin), `injectAt` answers that call with an injected 503.
   */
  const inProcess =
    (opts: { arrivalMarginMs?: number; injectAt?: number } = {}) =>
    async (config: ReturnType<typeof benchConfig>): Promise<StartedWorkers> => {
      const logger = pino({ level: 'silent' });
      const runtime = createRuntime({ config, logger });
      const limiter =
        opts.arrivalMarginMs === undefined
          ? runtime.limiter
          : createPortalRateLimiter({
              redis: runtime.redis,
              prefix: config.prefix,
              arrivalMarginMs: opts.arrivalMarginMs,
            });
      const injection =
        opts.injectAt === undefined ? undefined : injectQueryLimit(runtime.rest, opts.injectAt, LATENCY_MS);
      const connection: RedisClient = connectRedis(config, logger, 'bench-rl-worker');
      const worker: Worker = createRolloutWorker(
        { ...runtime, limiter, ...(injection ? { rest: injection.rest } : {}) },
        { connection, concurrency: CONCURRENCY },
      );
      return {
        async stop() {
          await worker.close();
          await runtime.close();
          await connection.quit();
        },
        ...(injection ? { injected: injection.injected } : {}),
      };
    };
  const threeProcesses = async (config: ReturnType<typeof benchConfig>): Promise<StartedWorkers> => {
    const processes: WorkerProcess[] = await Promise.all(
      [0, 1, 2].map(() => spawnWorkerProcess(config, CONCURRENCY)),
    );
    return {
      async stop() {
        await Promise.all(processes.map((p) => p.stop()));
      },
    };
  };
  const describe = (run: RateRun) =>
    `${run.wallSeconds.toFixed(1)} s (${(run.wallSeconds / run.minSeconds).toFixed(3)}x of ${run.minSeconds.toFixed(2)} s), ${run.requests} requests, ${run.queryLimitExceeded} x 503` +
    (run.foreign ? `; other caller ${run.foreign.accepted} taken, ${run.foreign.refused} x 503` : '');
  const runs: RateRun[] = [];
  runs.push(await measureRun(ctx, '1 worker (in-process)', inProcess()));
  ctx.log(`  1 worker: ${describe(runs[0] as RateRun)}`);
  runs.push(await measureRun(ctx, '3 worker processes', threeProcesses));
  ctx.log(`  3 processes: ${describe(runs[1] as RateRun)}`);
  const injected = await measureRun(
    ctx,
    `1 worker, one 503 injected (call ${INJECT_AT_CALL})`,
    inProcess({ injectAt: INJECT_AT_CALL }),
  );
  ctx.log(`  one injected 503: ${describe(injected)}`);
  const shared = await measureRun(
    ctx,
    `1 worker, other caller ${FOREIGN_RATE}/s for ${FOREIGN_MS / 1000} s`,
    inProcess(),
    { rate: FOREIGN_RATE, durationMs: FOREIGN_MS },
  );
  ctx.log(`  other caller: ${describe(shared)}`);
  // Not a target: the limiter without its arrival margin, to show where 503s came from and what one costs.
  const noMargin = await measureRun(ctx, '1 worker, no arrival margin', inProcess({ arrivalMarginMs: 0 }));
  ctx.log(`  no margin: ${describe(noMargin)}`);

  const ratio = (run: RateRun) => run.wallSeconds / run.minSeconds;
  const targets: BenchTarget[] = [
    ...runs.flatMap((run) => [
      {
        name: `${run.workers}: run time vs minimum`,
        target: `<= ${TARGET_FACTOR}x`,
        measured: `${ratio(run).toFixed(3)}x`,
        met: ratio(run) <= TARGET_FACTOR,
      },
      {
        name: `${run.workers}: QUERY_LIMIT_EXCEEDED answers`,
        target: '0',
        measured: String(run.queryLimitExceeded),
        met: run.queryLimitExceeded === 0,
      },
    ]),
    {
      name: `${injected.workers}: run time vs minimum`,
      target: `<= ${INJECTED_TARGET_FACTOR}x`,
      measured: `${ratio(injected).toFixed(3)}x`,
      met: ratio(injected) <= INJECTED_TARGET_FACTOR,
    },
    {
      name: `${shared.workers}: run time vs the minimum it leaves`,
      target: `<= ${FOREIGN_TARGET_FACTOR}x`,
      measured: `${ratio(shared).toFixed(3)}x`,
      met: ratio(shared) <= FOREIGN_TARGET_FACTOR,
    },
    {
      name: `${shared.workers}: QUERY_LIMIT_EXCEEDED answers to the rollout`,
      target: `<= ${FOREIGN_MAX_503}`,
      measured: String(shared.queryLimitExceeded),
      met: shared.queryLimitExceeded <= FOREIGN_MAX_503,
    },
  ];
  const all = [...runs, injected, shared, noMargin];
  return {
    id: 'rate-limit',
    title: `2. Rate-limit efficiency (1 portal, ${JOBS} pairs, server and client ${BURST} burst / ${RATE} per s; minimum ${MIN_SECONDS} s at one request per pair)`,
    headers: [
      'workers',
      'run time',
      'minimum',
      'x minimum',
      'request span',
      'requests',
      '503 QUERY_LIMIT',
      'other caller: taken / 503',
      'max req in 1 s',
      'registered',
      'duplicates',
      'moves to delayed',
      'delay reasons (metrics)',
    ],
    rows: all.map((run) => [
      run.workers,
      `${run.wallSeconds.toFixed(2)} s`,
      `${run.minSeconds.toFixed(2)} s`,
      ratio(run).toFixed(3),
      `${run.requestSpanSeconds.toFixed(2)} s`,
      String(run.requests),
      run.injected > 0
        ? `${run.queryLimitExceeded} (${run.injected} injected)`
        : String(run.queryLimitExceeded),
      run.foreign ? `${run.foreign.accepted} / ${run.foreign.refused}` : '-',
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
      'every pair is its own request here (batching off, see singleCalls): the limiter is measured per request.',
      `run time: from the start of enqueueRollout to the last pair settled; minimum: (our requests + the other caller's that the server took - burst) / rate, so the ratio measures the limiter whatever a pair costs in requests; request span: first to last request seen by the simulator (its own clock, the other caller's included). Simulator latency ${LATENCY_MS} ms, worker concurrency ${CONCURRENCY} per process.`,
      `the server admits at most burst + rate * window requests in any window: ${BURST + RATE} in 1 s.`,
      `one 503 injected: the worker's call number ${INJECT_AT_CALL} (about 2 s in) is answered 503 QUERY_LIMIT_EXCEEDED without reaching the simulator, as timing jitter or one request of another application would cause.`,
      `other caller: another application (its own OS process) calls profile ${FOREIGN_RATE} times per s for ${FOREIGN_MS / 1000} s from the start of the rollout on the same portal (same bucket) and sends a refused request again 6-14 ms later until it is taken, so it really spends half the bucket; its 503s are not the rollout's and are shown apart (each refusal is retried, so one full bucket can mean several).`,
      'the runtime limiter keeps a 50 ms arrival margin (src/runtime/create-runtime.ts); the last row swaps in the same limiter with margin 0: a request granted on schedule that travels a few ms faster than the one before reaches the full server bucket early and gets 503, and the limiter slows down, then recovers within seconds (src/ratelimit/portal-rate-limiter.ts).',
    ],
    data: {
      jobs: JOBS,
      rate: RATE,
      burst: BURST,
      latencyMs: LATENCY_MS,
      concurrency: CONCURRENCY,
      minSeconds: MIN_SECONDS,
      injectAtCall: INJECT_AT_CALL,
      foreign: { rate: FOREIGN_RATE, durationMs: FOREIGN_MS },
      runs,
      injected,
      shared,
      noMargin,
    },
  };
}
