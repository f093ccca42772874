import { loadavg } from 'node:os';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import type { PairJob } from '../src/pipeline/pair-job.js';
import { startRedisServer } from '../src/redis/start-redis-server.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import type { PairState } from '../src/store/pair-result.js';
import { waitFor } from '../test/support/wait-for.js';
import {
  type LatencySummary,
  sampleApiRounds,
  startApiLatencySampler,
  summarizeLatency,
} from './support/api-latency-sampler.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult, BenchTarget } from './support/bench-result.js';
import { buildDist } from './support/build-dist.js';
import { countKeyFamilies } from './support/count-key-families.js';
import { processCpuSeconds, redisCpuSeconds } from './support/process-cpu.js';
import { processMemory } from './support/process-memory.js';
import { redisUsedMemory } from './support/redis-used-memory.js';
import { startResourceSampler } from './support/resource-sampler.js';
import { spawnApiProcess } from './support/spawn-api-process.js';
import { spawnWorkerProcess, type WorkerProcess } from './support/spawn-worker-process.js';
import { type SimProcess, type SimStats, startSimProcess } from './support/start-sim-process.js';

/** The two sizes compared, smaller first: `BENCH_SCALE_PORTALS=2000,20000` for a quick check. */
const DEFAULT_SIZES: readonly [number, number] = [10_000, 100_000];
const APPS = 3;
/** Worker processes (`BENCH_SCALE_WORKERS`), each `imbot-rollout worker --concurrency 50`. */
const DEFAULT_WORKERS = 4;
const CONCURRENCY = 50;
/** Every 100th portal is deleted (its pairs fail at once), every 100th (offset 50) has its refresh token revoked (parked). */
const BROKEN_EVERY = 100;
const API_PATHS = ['/api/progress', '/api/attention'] as const;
/** Pause between the end of one API request and the next (one in flight at a time; each path every ~2 gaps). */
const API_GAP_MS = 100;
/** Requests of each path after the rollout, with the workers stopped. */
const IDLE_ROUNDS = 20;
const RESOURCE_INTERVAL_MS = 1_000;
/** Per-portal Redis memory and API p95 may grow at most this much from the smaller to the larger size. */
const TARGET_GROWTH = 1.5;

const KIB = 1024;
const MIB = 1024 * 1024;

function positiveInt(name: string, raw: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: "${raw}" is not a whole number >= 1`);
  return value;
}

/** BENCH_SCALE_PORTALS="small,large" (default 10000,100000). */
function sizesFromEnv(): readonly [number, number] {
  const raw = process.env['BENCH_SCALE_PORTALS'];
  if (!raw) return DEFAULT_SIZES;
  const parts = raw.split(',').map((p) => positiveInt('BENCH_SCALE_PORTALS', p));
  const [small, large] = parts;
  if (parts.length !== 2 || small === undefined || large === undefined || small >= large) {
    throw new Error(`BENCH_SCALE_PORTALS: expected two sizes, smaller first (e.g. 2000,20000), got "${raw}"`);
  }
  return [small, large];
}

function workersFromEnv(): number {
  const raw = process.env['BENCH_SCALE_WORKERS'];
  return raw ? positiveInt('BENCH_SCALE_WORKERS', raw) : DEFAULT_WORKERS;
}

/** Everything measured at one size. */
interface SizeRun {
  portals: number;
  pairs: number;
  loadAverage: number;
  simulator: { startSeconds: number; portalsLoadSeconds: number; maxRssBytes: number; stats: SimStats };
  /** Seconds the bench took to delete and revoke the broken portals through /_sim/control (setup, not timed). */
  breakSeconds: number;
  broken: { deleted: number; revoked: number };
  enqueue: {
    seconds: number;
    /** From the start of enqueueRollout to the first chunk's progress: checks, portal import, first 1,000 pairs. */
    firstChunkSeconds: number;
    jobsAdded: number;
    /** The bench process (it ran enqueueRollout) peak RSS so far, VmHWM. */
    producerPeakRssBytes: number;
  };
  rollout: {
    /** First worker spawned to last pair settled. */
    seconds: number;
    /** First worker spawned to the queue empty (the jobs of pairs a batch settled end after one read). */
    drainedSeconds: number;
    /** Jobs not finished (by state) when the last pair settled. */
    jobsLeftAtSettled: Record<string, number>;
    /** Up to 5 of the delayed jobs then: id, how long until due, attempts made. */
    delayedAtSettled: { id: string; dueInMs: number; attemptsMade: number }[];
    /** Spawning the worker processes until each printed `worker: started`. */
    workerStartSeconds: number;
    /** Seconds from the first worker's spawn until 10% and 90% of the pairs had settled. */
    tenPercentSeconds: number;
    ninetyPercentSeconds: number;
    /** Settled pairs over time (about one point a second). */
    settled: { seconds: number; settled: number }[];
    counts: Record<PairState, number>;
  };
  workers: { maxSampledRssBytes: number; peakRssBytes: number; cpuSeconds: number }[];
  api: {
    /** While 10% to 90% of the pairs settled. */
    steady: Record<string, LatencySummary>;
    /** From the first worker's spawn until the queue drained. */
    during: Record<string, LatencySummary>;
    idle: Record<string, LatencySummary>;
    maxRssBytes: number;
    cpuSeconds: number;
  };
  redis: {
    usedBefore: number;
    usedQueued: number;
    usedPeak: number;
    usedAfter: number;
    keysQueued: number;
    keysAfter: number;
    /** MEMORY USAGE of BullMQ's event stream after completion (capped: a fixed cost, not per portal). */
    eventStreamBytes: number;
    /** Keys after completion by family (count-key-families.ts). */
    keyFamilies: Record<string, number>;
    /** CPU seconds Redis used during the rollout. */
    cpuSeconds: number;
  };
  simulatorCpuSeconds: number;
}

/** Jobs not yet finished, by state (finished jobs are removed at once). */
async function unfinishedJobs(queue: Queue<PairJob>): Promise<Record<string, number>> {
  return await queue.getJobCounts(
    'waiting',
    'prioritized',
    'delayed',
    'active',
    'paused',
    'waiting-children',
  );
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, n) => a + n, 0);

/** Deletes every BROKEN_EVERY-th portal and revokes the refresh token (and expires the access token) of another. */
async function breakPortals(sim: SimProcess): Promise<{ deleted: number; revoked: number }> {
  const actions: Record<string, unknown>[] = [];
  let deleted = 0;
  let revoked = 0;
  sim.portals.forEach((portal, i) => {
    if (portal.auth.type !== 'oauth') return;
    if (i % BROKEN_EVERY === 0) {
      actions.push({ action: 'deletePortal', domain: portal.domain });
      deleted++;
    } else if (i % BROKEN_EVERY === BROKEN_EVERY / 2) {
      actions.push({ action: 'revokeRefreshToken', domain: portal.domain });
      actions.push({ action: 'expireAccessToken', domain: portal.domain });
      revoked++;
    }
  });
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < actions.length; i = next++) {
      const action = actions[i];
      if (action) await sim.control(action);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return { deleted, revoked };
}

/** One size: a fresh redis-server and simulator, enqueue, then the workers roll out while the API is polled. */
async function runSize(
  portals: number,
  workerCount: number,
  entry: string | undefined,
  ctx: BenchContext,
): Promise<SizeRun> {
  const pairs = portals * APPS;
  const loadAverage = loadavg()[0] ?? 0;
  ctx.log(`  ${portals} portals (${pairs} pairs), load average ${loadAverage.toFixed(2)}`);
  // A fresh server per size: used_memory and its peak start from an empty data set each time.
  const server = await startRedisServer();
  const admin = new Redis(server.url, { maxRetriesPerRequest: null });
  const cleanups: (() => Promise<void>)[] = [
    async () => {
      admin.disconnect();
      await server.stop();
    },
  ];
  try {
    const sim = await startSimProcess({
      portals,
      latencyMs: 0,
      burst: 50,
      drainPerSecond: 2,
      seed: 41,
      startTimeoutMs: 600_000,
    });
    cleanups.unshift(() => sim.stop());
    ctx.log(
      `    simulator up in ${sim.startSeconds.toFixed(1)} s, portals file read in ${sim.portalsLoadSeconds.toFixed(1)} s`,
    );
    const breakStarted = performance.now();
    const broken = await breakPortals(sim);
    const breakSeconds = (performance.now() - breakStarted) / 1000;

    const config = benchConfig(server.url, sim.oauthUrl);
    const runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
    cleanups.unshift(() => runtime.close());
    await runtime.redis.ping();
    const usedBefore = await redisUsedMemory(admin);

    const enqueueStarted = performance.now();
    let firstChunkSeconds = Number.NaN;
    const summary = await enqueueRollout(
      {
        apps: benchApps(APPS, 'scale'),
        portals: sim.portals,
        onProgress: () => {
          if (Number.isNaN(firstChunkSeconds))
            firstChunkSeconds = (performance.now() - enqueueStarted) / 1000;
        },
      },
      runtime,
    );
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    if (summary.jobsAdded !== pairs) throw new Error(`expected ${pairs} jobs, enqueued ${summary.jobsAdded}`);
    const producerPeakRssBytes = (await processMemory(process.pid)).peakRss;
    const usedQueued = await redisUsedMemory(admin);
    const keysQueued = await admin.dbsize();
    ctx.log(`    enqueued in ${enqueueSeconds.toFixed(1)} s`);

    // The API runs as `imbot-rollout serve` in its own process, polled as an open dashboard polls it.
    const api = await spawnApiProcess(config, entry);
    cleanups.unshift(() => api.stop());
    const apiCpuBefore = await processCpuSeconds(api.pid);
    const simCpuBefore = await processCpuSeconds(sim.pid);
    const redisCpuBefore = await redisCpuSeconds(admin);
    const sampler = startApiLatencySampler(api.url, API_PATHS, { gapMs: API_GAP_MS });

    const started = performance.now();
    const workers: WorkerProcess[] = [];
    cleanups.unshift(async () => {
      await Promise.all(workers.map((w) => w.stop()));
    });
    await Promise.all(
      Array.from({ length: workerCount }, async () => {
        workers.push(await spawnWorkerProcess(config, CONCURRENCY, entry));
      }),
    );
    const workerStartSeconds = (performance.now() - started) / 1000;
    const resources = startResourceSampler(
      {
        ...Object.fromEntries(workers.map((w, i) => [`worker-${i + 1}`, w.pid])),
        api: api.pid,
        simulator: sim.pid,
      },
      admin,
      RESOURCE_INTERVAL_MS,
    );
    let lastLog = performance.now();
    const settled: { seconds: number; settled: number }[] = [];
    let tenPercentSeconds = Number.NaN;
    let ninetyPercentSeconds = Number.NaN;
    const counts = await waitFor(
      async () => {
        const c = await runtime.results.countsByState();
        const seconds = (performance.now() - started) / 1000;
        const done = pairs - c.pending;
        if (Number.isNaN(tenPercentSeconds) && done >= pairs * 0.1) tenPercentSeconds = seconds;
        if (Number.isNaN(ninetyPercentSeconds) && done >= pairs * 0.9) ninetyPercentSeconds = seconds;
        if (settled.length === 0 || seconds - (settled.at(-1)?.seconds ?? 0) >= 1 || c.pending === 0) {
          settled.push({ seconds: Math.round(seconds * 10) / 10, settled: done });
        }
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          ctx.log(`    ${done} of ${pairs} settled`);
        }
        return c.pending === 0 ? c : false;
      },
      { message: `all ${pairs} pairs settled`, timeoutMs: 120_000 + pairs * 10, intervalMs: 250 },
    );
    const rolloutSeconds = (performance.now() - started) / 1000;
    ctx.log(`    all pairs settled after ${rolloutSeconds.toFixed(1)} s; waiting for the queue to drain`);
    // Jobs whose pair another job's batch settled still run (one read each): the workers are busy until the
    // queue is empty, and the memory after completion is measured on an empty queue.
    const leftAtSettled = await unfinishedJobs(runtime.queue);
    // What the delayed jobs wait for (a long wait after the last pair settled shows here).
    const delayedAtSettled = (await runtime.queue.getDelayed(0, 4)).map((job) => ({
      id: job.id ?? '',
      dueInMs: Math.round(job.timestamp + job.delay - Date.now()),
      attemptsMade: job.attemptsMade,
    }));
    await waitFor(async () => sum(await unfinishedJobs(runtime.queue)) === 0, {
      message: 'the rollout queue drained',
      timeoutMs: 120_000 + pairs * 10,
      intervalMs: 250,
    });
    const drainedSeconds = (performance.now() - started) / 1000;
    const during = await sampler.stop();
    // The steady part of the rollout (10% to 90% of the pairs settled): the same load at every size, without the
    // workers' start-up or the tail, whose share of the run differs between sizes.
    const steadyWindow = {
      from: started + tenPercentSeconds * 1000,
      to: started + ninetyPercentSeconds * 1000,
    };
    const samples = await resources.stop();
    const workerFigures = await Promise.all(
      workers.map(async (w, i) => ({
        maxSampledRssBytes: samples.processes[`worker-${i + 1}`]?.maxRss ?? 0,
        peakRssBytes: (await processMemory(w.pid)).peakRss,
        cpuSeconds: await processCpuSeconds(w.pid),
      })),
    );
    const apiCpuSeconds = (await processCpuSeconds(api.pid)) - apiCpuBefore;
    const simulatorCpuSeconds = (await processCpuSeconds(sim.pid)) - simCpuBefore;
    const redisCpu = (await redisCpuSeconds(admin)) - redisCpuBefore;
    ctx.log(
      `    queue drained after ${drainedSeconds.toFixed(1)} s (${during.length} API requests meanwhile)`,
    );
    await Promise.all(workers.map((w) => w.stop()));
    workers.length = 0;

    // Completed jobs are removed: what stays is the durable state (credentials, results, history, indexes).
    const usedAfter = await redisUsedMemory(admin);
    const keysAfter = await admin.dbsize();
    const keyFamilies = await countKeyFamilies(admin, config.prefix);
    // BullMQ's event stream is capped (10,000 events by default): a fixed cost, large next to few portals.
    const eventStreamBytes =
      Number(await admin.memory('USAGE', runtime.queue.keys['events'] ?? '', 'SAMPLES', '0')) || 0;
    const idle = await sampleApiRounds(api.url, API_PATHS, IDLE_ROUNDS);
    const stats = await sim.stats();
    return {
      portals,
      pairs,
      loadAverage,
      simulator: {
        startSeconds: sim.startSeconds,
        portalsLoadSeconds: sim.portalsLoadSeconds,
        maxRssBytes: samples.processes['simulator']?.maxRss ?? 0,
        stats,
      },
      breakSeconds,
      broken,
      enqueue: {
        seconds: enqueueSeconds,
        firstChunkSeconds,
        jobsAdded: summary.jobsAdded,
        producerPeakRssBytes,
      },
      rollout: {
        seconds: rolloutSeconds,
        drainedSeconds,
        jobsLeftAtSettled: leftAtSettled,
        delayedAtSettled,
        workerStartSeconds,
        tenPercentSeconds,
        ninetyPercentSeconds,
        settled,
        counts,
      },
      workers: workerFigures,
      api: {
        steady: Object.fromEntries(API_PATHS.map((p) => [p, summarizeLatency(during, p, steadyWindow)])),
        during: Object.fromEntries(API_PATHS.map((p) => [p, summarizeLatency(during, p)])),
        idle: Object.fromEntries(API_PATHS.map((p) => [p, summarizeLatency(idle, p)])),
        maxRssBytes: samples.processes['api']?.maxRss ?? 0,
        cpuSeconds: apiCpuSeconds,
      },
      redis: {
        usedBefore,
        usedQueued,
        usedPeak: Math.max(samples.redisMaxUsedMemory, usedQueued),
        usedAfter,
        keysQueued,
        keysAfter,
        keyFamilies,
        eventStreamBytes,
        cpuSeconds: redisCpu,
      },
      simulatorCpuSeconds,
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const growth = (small: number, large: number) => (small > 0 ? large / small : Number.NaN);
const times = (g: number) => (Number.isFinite(g) ? `${g.toFixed(2)}x` : 'n/a');

/** Per-portal bytes of Redis' used_memory above the empty server. */
function perPortal(run: SizeRun, used: number): number {
  return (used - run.redis.usedBefore) / run.portals;
}

function latencyCell(s: LatencySummary | undefined): string {
  if (!s) return 'n/a';
  const errors = s.errors > 0 ? `, ${s.errors} errors` : '';
  return `${fixed(s.p50)} / ${fixed(s.p95)} ms (${s.samples}${errors})`;
}

/** Pairs per second while 10% to 90% of them settled: the rate without start-up and tail. */
function steadyThroughput(run: SizeRun): number {
  return (run.pairs * 0.8) / (run.rollout.ninetyPercentSeconds - run.rollout.tenPercentSeconds);
}

/** Key families whose count per portal differs between the sizes by more than 5% (or exists at one size only). */
function keyFamilyChanges(small: SizeRun, large: SizeRun): string[] {
  const names = new Set([...Object.keys(small.redis.keyFamilies), ...Object.keys(large.redis.keyFamilies)]);
  const changes: string[] = [];
  for (const name of [...names].sort()) {
    const a = (small.redis.keyFamilies[name] ?? 0) / small.portals;
    const b = (large.redis.keyFamilies[name] ?? 0) / large.portals;
    if (Math.abs(b - a) > 0.05 * Math.max(a, b) && Math.max(a, b) >= 0.01) {
      changes.push(`${name} ${a.toFixed(3)} -> ${b.toFixed(3)}`);
    }
  }
  return changes;
}

function maxOf(values: number[]): number {
  return values.length === 0 ? 0 : Math.max(...values);
}

/**
 * 6. Scale to 100,000 portals: the same rollout (portals x 3 apps, zero-latency simulator, N worker processes)
 * at two sizes, 10,000 and 100,000 portals by default, each against its own fresh redis-server and simulator,
 * with `imbot-rollout serve` polled on /api/progress and /api/attention during the rollout. Reported side by
 * side with the growth from the smaller to the larger size: what should stay flat per portal (Redis memory, API
 * latency) and what should grow with the pairs (times).
 */
export async function runScale100k(ctx: BenchContext): Promise<BenchResult> {
  const [smallSize, largeSize] = sizesFromEnv();
  const workerCount = workersFromEnv();
  const build = await buildDist();
  ctx.log(
    `  build: ${build.entry ? `dist/ in ${build.seconds.toFixed(0)} s` : 'failed, running the sources with tsx'}`,
  );
  const entry = build.entry ?? undefined;
  const small = await runSize(smallSize, workerCount, entry, ctx);
  const large = await runSize(largeSize, workerCount, entry, ctx);
  const sizeRatio = largeSize / smallSize;

  type Row = { figure: string; value: (r: SizeRun) => number; show: (n: number) => string; target?: string };
  const row = (r: Row): string[] => {
    const a = r.value(small);
    const b = r.value(large);
    return [r.figure, r.show(a), r.show(b), times(growth(a, b)), r.target ?? ''];
  };
  const seconds = (n: number) => `${fixed(n)} s`;
  const mb = (n: number) => `${fixed(n / MIB, 0)} MB`;
  const kib = (n: number) => `${fixed(n / KIB, 2)} KiB`;
  const ms = (n: number) => `${fixed(n)} ms`;
  const p95 = (run: SizeRun, path: string, when: 'steady' | 'during' | 'idle') =>
    run.api[when][path]?.p95 ?? Number.NaN;
  const flat = `<= ${TARGET_GROWTH}x`;
  const grows = `(grows ~${sizeRatio.toFixed(0)}x with the pairs)`;

  const rows: string[][] = [
    row({
      figure: 'simulator start (portals generated, portals file written)',
      value: (r) => r.simulator.startSeconds,
      show: seconds,
    }),
    row({
      figure: 'portals file read and validated (bench process)',
      value: (r) => r.simulator.portalsLoadSeconds,
      show: seconds,
    }),
    row({ figure: 'simulator peak RSS (sampled)', value: (r) => r.simulator.maxRssBytes, show: mb }),
    row({ figure: 'enqueue time (rollout command side)', value: (r) => r.enqueue.seconds, show: seconds }),
    row({
      figure: '  of which checks + portal import + first chunk',
      value: (r) => r.enqueue.firstChunkSeconds,
      show: seconds,
    }),
    row({
      figure: 'enqueue time per 1,000 pairs',
      value: (r) => (r.enqueue.seconds / r.pairs) * 1000,
      show: (n) => `${fixed(n * 1000, 0)} ms`,
    }),
    row({
      figure: 'producer (bench process) peak RSS',
      value: (r) => r.enqueue.producerPeakRssBytes,
      show: mb,
    }),
    row({
      figure: `rollout time (${workerCount} worker processes spawned to last pair settled)`,
      value: (r) => r.rollout.seconds,
      show: seconds,
      target: grows,
    }),
    row({
      figure: 'queue drained (spawned to no job left)',
      value: (r) => r.rollout.drainedSeconds,
      show: seconds,
    }),
    row({
      figure: 'jobs still queued when the last pair settled',
      value: (r) => sum(r.rollout.jobsLeftAtSettled),
      show: (n) => String(n),
    }),
    row({
      figure: 'throughput (all pairs / rollout time)',
      value: (r) => r.pairs / r.rollout.seconds,
      show: (n) => `${fixed(n, 0)} pairs/s`,
    }),
    row({
      figure: 'steady throughput (10% to 90% of the pairs settled)',
      value: steadyThroughput,
      show: (n) => `${fixed(n, 0)} pairs/s`,
      target: '(flat)',
    }),
    row({
      figure: 'worker processes start (spawned to ready)',
      value: (r) => r.rollout.workerStartSeconds,
      show: seconds,
    }),
    row({
      figure: 'worker RSS, highest sample of any worker process',
      value: (r) => maxOf(r.workers.map((w) => w.maxSampledRssBytes)),
      show: mb,
    }),
    row({
      figure: 'worker peak RSS (VmHWM), highest worker process',
      value: (r) => maxOf(r.workers.map((w) => w.peakRssBytes)),
      show: mb,
    }),
    row({ figure: 'API process peak RSS (sampled)', value: (r) => r.api.maxRssBytes, show: mb }),
    row({
      figure: 'Redis used_memory per portal, queued (jobs + state)',
      value: (r) => perPortal(r, r.redis.usedQueued),
      show: kib,
    }),
    row({
      figure: 'Redis used_memory per portal, peak during the rollout (sampled)',
      value: (r) => perPortal(r, r.redis.usedPeak),
      show: kib,
    }),
    row({
      figure: 'Redis used_memory per portal, after completion (durable state)',
      value: (r) => perPortal(r, r.redis.usedAfter),
      show: kib,
      target: flat,
    }),
    row({
      figure: '  the same without the queue event stream (capped, a fixed cost)',
      value: (r) => perPortal(r, r.redis.usedAfter - r.redis.eventStreamBytes),
      show: kib,
    }),
    row({
      figure: 'Redis keys per portal, after completion',
      value: (r) => r.redis.keysAfter / r.portals,
      show: (n) => fixed(n, 2),
    }),
    ...API_PATHS.map((path) => [
      `${path} p50 / p95 while 10% to 90% of the pairs settled (requests)`,
      latencyCell(small.api.steady[path]),
      latencyCell(large.api.steady[path]),
      times(growth(p95(small, path, 'steady'), p95(large, path, 'steady'))),
      `p95 ${flat}`,
    ]),
    ...API_PATHS.map((path) => [
      `${path} p50 / p95 from the workers' spawn to the queue drained (requests)`,
      latencyCell(small.api.during[path]),
      latencyCell(large.api.during[path]),
      times(growth(p95(small, path, 'during'), p95(large, path, 'during'))),
      '',
    ]),
    row({
      figure: `/api/progress p95 after the rollout, workers stopped (${IDLE_ROUNDS} requests)`,
      value: (r) => p95(r, '/api/progress', 'idle'),
      show: ms,
    }),
    row({
      figure: `/api/attention p95 after the rollout, workers stopped (${IDLE_ROUNDS} requests)`,
      value: (r) => p95(r, '/api/attention', 'idle'),
      show: ms,
    }),
    row({
      figure: 'CPU per 1,000 pairs: workers (sum, process lifetime)',
      value: (r) => (r.workers.reduce((s, w) => s + w.cpuSeconds, 0) / r.pairs) * 1000,
      show: seconds,
    }),
    row({
      figure: 'CPU per 1,000 pairs during the rollout: Redis',
      value: (r) => (r.redis.cpuSeconds / r.pairs) * 1000,
      show: (n) => `${fixed(n, 2)} s`,
    }),
    row({
      figure: 'CPU per 1,000 pairs during the rollout: simulator',
      value: (r) => (r.simulatorCpuSeconds / r.pairs) * 1000,
      show: (n) => `${fixed(n, 2)} s`,
    }),
    row({ figure: 'CPU during the rollout: API process', value: (r) => r.api.cpuSeconds, show: seconds }),
    [
      'registered / failed / parked (expected)',
      ...[small, large].map(
        (r) =>
          `${r.rollout.counts.registered} / ${r.rollout.counts.failed} / ${r.rollout.counts.needs_reauth} ` +
          `(${(r.portals - r.broken.deleted - r.broken.revoked) * APPS} / ${r.broken.deleted * APPS} / ${r.broken.revoked * APPS})`,
      ),
      '',
      '',
    ],
    [
      'duplicates / 503 QUERY_LIMIT_EXCEEDED',
      ...[small, large].map(
        (r) => `${r.simulator.stats.duplicates} / ${r.simulator.stats.queryLimitExceeded}`,
      ),
      '',
      '',
    ],
    [
      'load average (1 min) when the size started',
      fixed(small.loadAverage, 2),
      fixed(large.loadAverage, 2),
      '',
      '',
    ],
  ];

  const target = (name: string, a: number, b: number, unit: (n: number) => string): BenchTarget => {
    const g = growth(a, b);
    return {
      name: `${name}, ${smallSize.toLocaleString('en')} -> ${largeSize.toLocaleString('en')} portals`,
      target: flat,
      measured: `${times(g)} (${unit(a)} -> ${unit(b)})`,
      met: Number.isFinite(g) && g <= TARGET_GROWTH,
    };
  };
  const targets: BenchTarget[] = [
    target(
      'Redis memory per portal after completion',
      perPortal(small, small.redis.usedAfter),
      perPortal(large, large.redis.usedAfter),
      kib,
    ),
    ...API_PATHS.map((path) =>
      target(
        `${path} p95 during the rollout (10% to 90% settled)`,
        p95(small, path, 'steady'),
        p95(large, path, 'steady'),
        ms,
      ),
    ),
  ];
  const apiErrors = [small, large].flatMap((r) =>
    Object.values(r.api.during)
      .concat(Object.values(r.api.idle))
      .map((s) => s.errors),
  );
  const totalApiErrors = apiErrors.reduce((s, n) => s + n, 0);
  const id =
    smallSize === DEFAULT_SIZES[0] && largeSize === DEFAULT_SIZES[1]
      ? 'scale-100k'
      : `scale-100k-${smallSize}-${largeSize}`;
  return {
    id,
    title: `6. Scale to ${largeSize.toLocaleString('en')} portals (${smallSize.toLocaleString('en')} vs ${largeSize.toLocaleString('en')} portals x ${APPS} apps, ${workerCount} worker processes x concurrency ${CONCURRENCY}, zero-latency simulator, API polled during the rollout)`,
    headers: [
      'figure',
      `${smallSize.toLocaleString('en')} portals`,
      `${largeSize.toLocaleString('en')} portals`,
      `growth (${sizeRatio.toFixed(0)}x the portals)`,
      'target',
    ],
    rows,
    targets,
    notes: [
      `each size: a fresh redis-server (no maxmemory, no persistence) and a fresh simulator process (burst 50 / 2 per s, zero latency); 1 in ${BROKEN_EVERY} portals deleted (its pairs fail at once) and 1 in ${BROKEN_EVERY} with a revoked refresh token (parked), so /api/attention has pairs to list.`,
      `API: \`imbot-rollout serve\` in its own process; one request at a time, ${API_PATHS.join(' and ')} alternately, ${API_GAP_MS} ms between one answer and the next request, from the first worker's spawn until the queue drained; /api/attention with its defaults (limit 100, 5 history lines). p95 by nearest rank; the target compares the requests sent while 10% to 90% of the pairs settled (the same load at both sizes: worker start-up and the drain tail take a different share of a short and a long run).${totalApiErrors > 0 ? ` ${totalApiErrors} API answers were not 200.` : ''}`,
      'Redis memory: INFO used_memory minus the empty server, divided by the portals: after enqueueing (all jobs queued), the highest sample during the rollout (every 1 s), and after completion: every pair settled, the queue drained, the workers stopped (finished jobs are removed).',
      `worker RSS: VmRSS of each worker process sampled every ${RESOURCE_INTERVAL_MS / 1000} s, and each process's VmHWM at the end. Worker: ${build.entry ? 'node dist/cli/main.js worker (compiled, as in the Docker image)' : 'the sources through tsx (the build failed)'}.`,
      `Redis keys per portal by family that differ between the sizes (per portal, smaller -> larger): ${keyFamilyChanges(small, large).join('; ') || 'none'}.`,
      "the bench, the simulator, Redis, the API and the worker processes share the machine's cores: compare the growth column, not a lone time.",
    ],
    data: {
      sizes: [smallSize, largeSize],
      apps: APPS,
      workers: workerCount,
      concurrency: CONCURRENCY,
      apiGapMs: API_GAP_MS,
      runs: [small, large],
      growth: {
        redisPerPortalAfter: growth(
          perPortal(small, small.redis.usedAfter),
          perPortal(large, large.redis.usedAfter),
        ),
        redisPerPortalQueued: growth(
          perPortal(small, small.redis.usedQueued),
          perPortal(large, large.redis.usedQueued),
        ),
        progressP95: growth(p95(small, '/api/progress', 'steady'), p95(large, '/api/progress', 'steady')),
        attentionP95: growth(p95(small, '/api/attention', 'steady'), p95(large, '/api/attention', 'steady')),
        rolloutSeconds: growth(small.rollout.seconds, large.rollout.seconds),
        steadyThroughput: growth(steadyThroughput(small), steadyThroughput(large)),
        enqueueSeconds: growth(small.enqueue.seconds, large.enqueue.seconds),
      },
    },
  };
}
