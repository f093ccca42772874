import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { connectRedis, createRuntime } from '../src/runtime/create-runtime.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { percentile } from './support/percentile.js';
import { type DrainTiming, runUntilDrained } from './support/run-until-drained.js';
import { startSimProcess } from './support/start-sim-process.js';

const PORTALS = 100;
const APPS_PER_PORTAL = 30;
const JOBS = PORTALS * APPS_PER_PORTAL;
const LATENCY_MS = 20;
const CONCURRENCY = 20;
const ROUNDS = 3;
const TARGET_RATIO = 0.8;

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

/** The full pipeline: rate limiter, token check, REST call to the simulator, result write. */
async function pipelineRound(
  redisUrl: string,
  oauthUrl: string,
  portals: Parameters<typeof enqueueRollout>[0]['portals'],
  round: number,
): Promise<DrainTiming & { enqueueMs: number; registered: number }> {
  const config = benchConfig(redisUrl, oauthUrl, {
    portalRate: { rate: 1000, burst: 10_000 },
    request: { timeoutMs: 10_000, refreshTimeoutMs: 10_000 },
  });
  const logger = pino({ level: 'silent' });
  const runtime = createRuntime({ config, logger });
  const connection = connectRedis(config.redisUrl, logger, 'bench-pipeline-worker');
  try {
    // New codes each round: the simulator keeps the apps of earlier rounds.
    const apps = benchApps(APPS_PER_PORTAL, `r${round}c`);
    const enqueueStarted = performance.now();
    const summary = await enqueueRollout({ apps, portals }, runtime);
    const enqueueMs = performance.now() - enqueueStarted;
    if (summary.jobsAdded !== JOBS) throw new Error(`expected ${JOBS} jobs, enqueued ${summary.jobsAdded}`);
    const { timing, worker } = await runUntilDrained(
      () => createRolloutWorker(runtime, { connection, concurrency: CONCURRENCY }),
      JOBS,
      120_000,
    );
    await worker.close();
    const counts = await runtime.results.countsByState();
    return { ...timing, enqueueMs, registered: counts.registered };
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
 * 1. Pipeline overhead: what the reconciling worker costs per job on top of BullMQ itself. Both sides process
 * the same number of jobs at the same concurrency; the pipeline's REST call takes 20 ms (simulator latency,
 * no limits), the raw side sleeps 20 ms. Rounds alternate raw / pipeline; the median round of each counts.
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
  const pipeline: (DrainTiming & { enqueueMs: number; registered: number })[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawBullmqRound(ctx.redisUrl));
      ctx.log(`  raw BullMQ round ${round + 1}: ${(raw[round]?.elapsedMs ?? 0).toFixed(0)} ms`);
      pipeline.push(await pipelineRound(ctx.redisUrl, sim.oauthUrl, sim.portals, round));
      ctx.log(`  pipeline round ${round + 1}: ${(pipeline[round]?.elapsedMs ?? 0).toFixed(0)} ms`);
    }
    const stats = await sim.stats();
    const rawMs = median(raw.map((r) => r.elapsedMs));
    const pipeMs = median(pipeline.map((r) => r.elapsedMs));
    const rawRate = JOBS / (rawMs / 1000);
    const pipeRate = JOBS / (pipeMs / 1000);
    const ratio = pipeRate / rawRate;
    const idealRate = CONCURRENCY / (LATENCY_MS / 1000);
    const cpuPerJob = (rows: readonly DrainTiming[]) => median(rows.map((r) => r.cpuMs / JOBS));
    const registered = pipeline.reduce((sum, r) => sum + r.registered, 0);
    const failed = pipeline.reduce((sum, r) => sum + r.failed, 0);
    return {
      id: 'pipeline-overhead',
      title: `1. Pipeline overhead (${JOBS} jobs, ${LATENCY_MS} ms per call, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds)`,
      headers: ['side', 'jobs/s', 'run time', 'CPU ms/job (bench process)', 'share of ideal'],
      rows: [
        [
          'raw BullMQ (20 ms sleep)',
          rawRate.toFixed(0),
          `${(rawMs / 1000).toFixed(2)} s`,
          cpuPerJob(raw).toFixed(3),
          `${((rawRate / idealRate) * 100).toFixed(0)}%`,
        ],
        [
          'imbot-rollout pipeline',
          pipeRate.toFixed(0),
          `${(pipeMs / 1000).toFixed(2)} s`,
          cpuPerJob(pipeline).toFixed(3),
          `${((pipeRate / idealRate) * 100).toFixed(0)}%`,
        ],
        ['ratio pipeline / raw', ratio.toFixed(2), '', '', ''],
      ],
      targets: [
        {
          name: 'pipeline jobs/s vs raw BullMQ',
          target: `>= ${TARGET_RATIO}`,
          measured: ratio.toFixed(2),
          met: ratio >= TARGET_RATIO,
        },
      ],
      notes: [
        `ideal = concurrency / latency = ${idealRate.toFixed(0)} jobs/s; the simulator runs in its own process.`,
        `pipeline: ${registered} of ${JOBS * ROUNDS} pairs registered, ${failed} failed, ${stats.queryLimitExceeded} QUERY_LIMIT_EXCEEDED, ${stats.duplicates} duplicates.`,
        `pipeline enqueue (not in the run time): median ${median(pipeline.map((r) => r.enqueueMs)).toFixed(0)} ms for ${JOBS} pairs.`,
      ],
      data: {
        jobs: JOBS,
        portals: PORTALS,
        latencyMs: LATENCY_MS,
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        raw,
        pipeline,
        rawJobsPerSecond: rawRate,
        pipelineJobsPerSecond: pipeRate,
        ratio,
        idealJobsPerSecond: idealRate,
        simulator: stats,
      },
    };
  } finally {
    await sim.stop();
  }
}
