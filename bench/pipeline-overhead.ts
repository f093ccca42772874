import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { connectRedis } from '../src/redis/connect-redis.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { percentile } from './support/percentile.js';
import { type DrainTiming, runUntilDrained } from './support/run-until-drained.js';
import { type SimProcess, startSimProcess } from './support/start-sim-process.js';

/** Portals with 3 to 10 apps each (several pairs per portal, so per request with batching). */
const GROUPS = [
  { portals: 200, apps: 3 },
  { portals: 200, apps: 5 },
  { portals: 140, apps: 10 },
] as const;
const PORTALS = GROUPS.reduce((sum, g) => sum + g.portals, 0);
const JOBS = GROUPS.reduce((sum, g) => sum + g.portals * g.apps, 0);
const LATENCY_MS = 20;
const CONCURRENCY = 20;
const ROUNDS = 3;
/** Pipeline pairs/s vs raw BullMQ jobs/s with batching; the single-call mode's ratio is reported, no target. */
const TARGET_RATIO = 1.0;

type Mode = 'batch' | 'single';

interface PipelineRound extends DrainTiming {
  enqueueMs: number;
  registered: number;
  /** HTTP requests / method executions / batches the simulator counted in this round. */
  requests: number;
  commands: number;
  batches: number;
  /** ms from the worker's start to the last pair's result written (jobs of claimed pairs may finish later). */
  settledMs: number;
}

/** Raw BullMQ: the same number of jobs, each a 20 ms sleep, on the same Redis at the same concurrency. */
async function rawBullmqRound(redisUrl: string): Promise<DrainTiming> {
  const logger = pino({ level: 'silent' });
  const prefix = `bench-raw-${randomUUID().slice(0, 8)}`;
  const producer = connectRedis(redisUrl, logger, 'bench-raw-producer');
  const connection = connectRedis(redisUrl, logger, 'bench-raw-worker');
  const queue = new Queue('raw', { connection: producer, prefix });
  try {
    const jobs = Array.from({ length: JOBS }, (_, i) => ({
      name: 'pair',
      data: { domain: `portal-${i % PORTALS}.sim.test`, code: `cmd${i}` },
      opts: { jobId: `pair|${i}`, attempts: 1, removeOnComplete: true, removeOnFail: true },
    }));
    for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
    const { timing, worker } = await runUntilDrained(
      () =>
        new Worker(
          'raw',
          async () => {
            await sleep(LATENCY_MS);
            return { kind: 'done' };
          },
          { connection, prefix, concurrency: CONCURRENCY },
        ),
      JOBS,
      120_000,
    );
    await worker.close();
    return timing;
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit();
    await producer.quit();
  }
}

/**
 * The full pipeline: rate limiter, token check, REST call(s) to the simulator, result write. `batch`: the
 * default one request per portal (register + update of every due pair in one `batch`); `single`: batch.enabled
 * false, each pair's calls alone (a new pair costs two requests: register, then update).
 */
async function pipelineRound(
  redisUrl: string,
  sim: SimProcess,
  round: number,
  mode: Mode,
): Promise<PipelineRound> {
  const defaults = benchConfig(redisUrl, sim.oauthUrl);
  const config = benchConfig(redisUrl, sim.oauthUrl, {
    portalRate: { rate: 1000, burst: 10_000 },
    request: { timeoutMs: 10_000, refreshTimeoutMs: 10_000 },
    batch: { ...defaults.batch, enabled: mode === 'batch' },
  });
  const logger = pino({ level: 'silent' });
  const runtime = createRuntime({ config, logger });
  const connection = connectRedis(config, logger, 'bench-pipeline-worker');
  try {
    // New codes each round: the simulator keeps the apps of earlier rounds.
    const enqueueStarted = performance.now();
    let offset = 0;
    let jobsAdded = 0;
    const pairs: { domain: string; code: string }[] = [];
    for (const group of GROUPS) {
      const portals = sim.portals.slice(offset, offset + group.portals);
      offset += group.portals;
      const apps = benchApps(group.apps, `r${round}${mode[0]}${group.apps}c`);
      const summary = await enqueueRollout({ apps, portals }, runtime);
      jobsAdded += summary.jobsAdded;
      pairs.push(...summary.pairs);
    }
    const enqueueMs = performance.now() - enqueueStarted;
    if (jobsAdded !== JOBS) throw new Error(`expected ${JOBS} jobs, enqueued ${jobsAdded}`);
    const before = await sim.stats();
    const startedAt = Date.now();
    const { timing, worker } = await runUntilDrained(
      () => createRolloutWorker(runtime, { connection, concurrency: CONCURRENCY }),
      JOBS,
      120_000,
    );
    await worker.close();
    const after = await sim.stats();
    const counts = await runtime.results.countsByState();
    const written = await runtime.results.getMany(pairs);
    const settledMs = Math.max(...written.map((r) => r?.updatedAt ?? Number.POSITIVE_INFINITY)) - startedAt;
    if (counts.pending > 0)
      throw new Error(`${mode} round: ${counts.pending} pairs still pending after ${JOBS} jobs`);
    return {
      ...timing,
      enqueueMs,
      registered: counts.registered,
      requests: after.calls - before.calls,
      commands: after.commands - before.commands,
      batches: after.batches - before.batches,
      settledMs,
    };
  } finally {
    await runtime.queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    await connection.quit();
  }
}

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * 1. Pipeline overhead: pairs/s of the reconciling worker against jobs/s of BullMQ itself. Both sides process
 * the same number of jobs (one per pair) at the same concurrency; each request to the simulator takes 20 ms (no
 * limits), the raw side sleeps 20 ms per job. The pipeline runs twice per round: batching on (the default: one
 * request per portal, several pairs each) and off (single calls). Rounds alternate raw / batch / single; the
 * median round of each counts, and all ratios come from the same run.
 */
export async function runPipelineOverhead(ctx: BenchContext): Promise<BenchResult> {
  const sim = await startSimProcess({
    portals: PORTALS,
    latencyMs: LATENCY_MS,
    burst: 1_000_000,
    drainPerSecond: 1_000_000,
    seed: 11,
  });
  const raw: DrainTiming[] = [];
  const rounds: Record<Mode, PipelineRound[]> = { batch: [], single: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawBullmqRound(ctx.redisUrl));
      ctx.log(`  raw BullMQ round ${round + 1}: ${(raw[round]?.elapsedMs ?? 0).toFixed(0)} ms`);
      for (const mode of ['batch', 'single'] as const) {
        const r = await pipelineRound(ctx.redisUrl, sim, round, mode);
        rounds[mode].push(r);
        ctx.log(
          `  pipeline (${mode}) round ${round + 1}: ${r.elapsedMs.toFixed(0)} ms, ${r.requests} requests, ${r.commands} commands`,
        );
      }
    }
    const stats = await sim.stats();
    const rawMs = median(raw.map((r) => r.elapsedMs));
    const rawRate = JOBS / (rawMs / 1000);
    const idealRate = CONCURRENCY / (LATENCY_MS / 1000);
    const cpuPerJob = (rows: readonly DrainTiming[]) => median(rows.map((r) => r.cpuMs / JOBS));
    const side = (mode: Mode) => {
      const rows = rounds[mode];
      const ms = median(rows.map((r) => r.elapsedMs));
      const rate = JOBS / (ms / 1000);
      const requests = median(rows.map((r) => r.requests));
      const commands = median(rows.map((r) => r.commands));
      return {
        ms,
        rate,
        ratio: rate / rawRate,
        requests,
        commands,
        requestsPerPair: requests / JOBS,
        // The time each request took on the worker's job slots, against the ideal of one latency per request.
        boundMs: (requests * LATENCY_MS) / CONCURRENCY,
        cpuPerJob: cpuPerJob(rows),
        settledMs: median(rows.map((r) => r.settledMs)),
        registered: rows.reduce((sum, r) => sum + r.registered, 0),
        failed: rows.reduce((sum, r) => sum + r.failed, 0),
      };
    };
    const batch = side('batch');
    const single = side('single');
    const row = (name: string, s: ReturnType<typeof side>) => [
      name,
      s.rate.toFixed(0),
      `${(s.ms / 1000).toFixed(2)} s`,
      s.requestsPerPair.toFixed(3),
      (s.commands / JOBS).toFixed(2),
      `${(s.ms / s.boundMs).toFixed(2)}x`,
      s.cpuPerJob.toFixed(3),
      s.ratio.toFixed(2),
    ];
    return {
      id: 'pipeline-overhead',
      title: `1. Pipeline overhead (${JOBS} pairs on ${PORTALS} portals with ${GROUPS.map((g) => g.apps).join('/')} apps, ${LATENCY_MS} ms per request, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds)`,
      headers: [
        'side',
        'pairs (jobs)/s',
        'run time',
        'requests per pair',
        'commands per pair',
        'run time / (requests x latency / concurrency)',
        'CPU ms/job (bench process)',
        'ratio to raw',
      ],
      rows: [
        [
          `raw BullMQ (${LATENCY_MS} ms sleep per job)`,
          rawRate.toFixed(0),
          `${(rawMs / 1000).toFixed(2)} s`,
          '1 sleep',
          '',
          `${(rawMs / ((JOBS * LATENCY_MS) / CONCURRENCY)).toFixed(2)}x`,
          cpuPerJob(raw).toFixed(3),
          '1.00',
        ],
        row('imbot-rollout, batching (default)', batch),
        row('imbot-rollout, single calls (batch.enabled false)', single),
      ],
      targets: [
        {
          name: 'pipeline pairs/s vs raw BullMQ jobs/s, batching',
          target: `>= ${TARGET_RATIO.toFixed(1)}`,
          measured: batch.ratio.toFixed(2),
          met: batch.ratio >= TARGET_RATIO,
        },
      ],
      notes: [
        `portals: ${GROUPS.map((g) => `${g.portals} x ${g.apps} apps`).join(', ')}; every pair is new (register, then update: docs/bitrix24.md). Batching sends one request per portal (all its registers and updates); single calls send two per pair.`,
        `single-call mode ratio ${single.ratio.toFixed(2)} (reported, no target): each new pair costs two ${LATENCY_MS} ms requests, so its ceiling is about 0.5 of raw.`,
        `last pair's result written (median): batching ${(batch.settledMs / 1000).toFixed(2)} s, single calls ${(single.settledMs / 1000).toFixed(2)} s after the worker started, of ${(batch.ms / 1000).toFixed(2)} s / ${(single.ms / 1000).toFixed(2)} s until the last job finished; the rest is the jobs of pairs a batch already settled (each still a BullMQ job that reads its pair and completes).`,
        `ideal raw = concurrency / latency = ${idealRate.toFixed(0)} jobs/s; the simulator runs in its own process.`,
        `pipeline: ${batch.registered + single.registered} of ${JOBS * ROUNDS * 2} pairs registered, ${batch.failed + single.failed} jobs failed, ${stats.queryLimitExceeded} QUERY_LIMIT_EXCEEDED, ${stats.duplicates} duplicates, ${stats.registerExisting} re-registers.`,
        `pipeline enqueue (not in the run time): median ${median([...rounds.batch, ...rounds.single].map((r) => r.enqueueMs)).toFixed(0)} ms for ${JOBS} pairs.`,
      ],
      data: {
        jobs: JOBS,
        portals: PORTALS,
        groups: GROUPS,
        latencyMs: LATENCY_MS,
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        raw,
        pipeline: rounds,
        rawJobsPerSecond: rawRate,
        batch,
        single,
        ratio: batch.ratio,
        singleRatio: single.ratio,
        idealJobsPerSecond: idealRate,
        simulator: stats,
      },
    };
  } finally {
    await sim.stop();
  }
}
