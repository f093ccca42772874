import { pino } from 'pino';
import type { AppDefinition } from '../src/apps/app-definition-schema.js';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import type { PortalEntry } from '../src/portals/portal-entry-schema.js';
import { connectRedis } from '../src/redis/connect-redis.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { waitFor } from '../test/support/wait-for.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { countDelayedMoves } from './support/count-delayed-moves.js';
import { percentile } from './support/percentile.js';
import { startSimProcess } from './support/start-sim-process.js';

const BIG_JOBS = 5_000;
const SMALL_PORTALS = 500;
const LATENCY_MS = 20;
const TARGET_FACTOR = 2;

export interface FairnessPhase {
  phase: string;
  /** Completion of each small pair, ms after the worker started. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  registered: number;
  /** Big-portal requests the simulator saw while the small pairs ran (mixed phase only). */
  bigPortalRequests: number;
  /** Big-portal commands (methods run, batch commands included) meanwhile. */
  bigPortalCommands: number;
  bigPortalQueryLimitExceeded: number;
  delayedMoves: number;
}

/**
 * One phase: optionally queue the big portal's jobs, then the small portals' (after it), then start one worker
 * and time each small pair from the worker's start to its result being written.
 */
async function phase(
  ctx: BenchContext,
  name: string,
  oauthUrl: string,
  small: { portals: PortalEntry[]; app: AppDefinition },
  big: { portal: PortalEntry; apps: AppDefinition[] } | undefined,
  sim: Awaited<ReturnType<typeof startSimProcess>>,
): Promise<FairnessPhase> {
  // The project's default per-portal limit (1.5/s, burst 40), under the simulator's cloud bucket (2/s, 50).
  const config = benchConfig(ctx.redisUrl, oauthUrl);
  const logger = pino({ level: 'silent' });
  const runtime = createRuntime({ config, logger });
  const connection = connectRedis(config, logger, 'bench-fairness-worker');
  const moves = await countDelayedMoves(ctx.redisUrl, config.prefix);
  try {
    if (big) await enqueueRollout({ apps: big.apps, portals: [big.portal] }, runtime);
    const summary = await enqueueRollout({ apps: [small.app], portals: small.portals }, runtime);
    const bigBefore = big ? await sim.portal(big.portal.domain) : undefined;
    const startedAt = Date.now();
    const worker = createRolloutWorker(runtime, { connection, concurrency: config.worker.concurrency });
    const counts = await waitFor(
      async () => {
        const results = await runtime.results.getMany(summary.pairs);
        return results.every((r) => r !== undefined && r.state !== 'pending') ? results : false;
      },
      { message: `${name}: the ${SMALL_PORTALS} small pairs settled`, timeoutMs: 120_000, intervalMs: 50 },
    );
    const bigAfter = big ? await sim.portal(big.portal.domain) : undefined;
    await worker.close();
    const done = counts.map((r) => (r?.updatedAt ?? Number.NaN) - startedAt);
    return {
      phase: name,
      p50Ms: percentile(done, 50),
      p95Ms: percentile(done, 95),
      maxMs: Math.max(...done),
      registered: counts.filter((r) => r?.state === 'registered').length,
      bigPortalRequests: bigAfter && bigBefore ? bigAfter.calls - bigBefore.calls : 0,
      bigPortalCommands: bigAfter && bigBefore ? bigAfter.commands - bigBefore.commands : 0,
      bigPortalQueryLimitExceeded: bigAfter?.queryLimitExceeded ?? 0,
      delayedMoves: moves.count(),
    };
  } finally {
    await moves.close();
    await runtime.queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    await connection.quit();
  }
}

/**
 * 3. Fairness: one portal with 5,000 queued pairs (held to its rate limit) must not hold back 500 portals with
 * one pair each that were queued after it. Their p50/p95 completion is compared with the same 500 alone.
 */
export async function runFairness(ctx: BenchContext): Promise<BenchResult> {
  const sim = await startSimProcess({
    portals: SMALL_PORTALS + 1,
    latencyMs: LATENCY_MS,
    burst: 50,
    drainPerSecond: 2,
    seed: 31,
  });
  try {
    const [bigPortal, ...smallPortals] = sim.portals;
    if (!bigPortal) throw new Error('the simulator listed no portal');
    const bigApps = benchApps(BIG_JOBS, 'big');
    const [aloneApp1, mixedApp, aloneApp2] = benchApps(3, 'small');
    if (!aloneApp1 || !mixedApp || !aloneApp2) throw new Error('no apps');
    // Alone, mixed, alone again (new app codes each time): the faster alone run is the baseline.
    const alone1 = await phase(
      ctx,
      'alone',
      sim.oauthUrl,
      { portals: smallPortals, app: aloneApp1 },
      undefined,
      sim,
    );
    ctx.log(`  alone: p95 ${alone1.p95Ms} ms`);
    const mixed = await phase(
      ctx,
      `after ${BIG_JOBS} jobs of one portal`,
      sim.oauthUrl,
      { portals: smallPortals, app: mixedApp },
      { portal: bigPortal, apps: bigApps },
      sim,
    );
    ctx.log(`  mixed: p95 ${mixed.p95Ms} ms`);
    const alone2 = await phase(
      ctx,
      'alone',
      sim.oauthUrl,
      { portals: smallPortals, app: aloneApp2 },
      undefined,
      sim,
    );
    ctx.log(`  alone again: p95 ${alone2.p95Ms} ms`);
    const alone = alone2.p95Ms < alone1.p95Ms ? alone2 : alone1;
    const p95Ratio = mixed.p95Ms / alone.p95Ms;
    const p50Ratio = mixed.p50Ms / alone.p50Ms;
    const row = (p: FairnessPhase) => [
      p.phase,
      `${p.p50Ms} ms`,
      `${p.p95Ms} ms`,
      `${p.maxMs} ms`,
      `${p.registered}/${SMALL_PORTALS}`,
      p.phase === 'alone' ? '-' : `${p.bigPortalRequests} (${p.bigPortalCommands} commands)`,
      String(p.delayedMoves),
    ];
    return {
      id: 'fairness',
      title: `3. Fairness (${SMALL_PORTALS} one-pair portals queued after one portal with ${BIG_JOBS} pairs)`,
      headers: [
        'small portals',
        'p50',
        'p95',
        'max',
        'registered',
        'big-portal requests meanwhile',
        'moves to delayed',
      ],
      rows: [
        row(alone),
        row(mixed),
        ['ratio mixed / alone', p50Ratio.toFixed(2), p95Ratio.toFixed(2), '', '', '', ''],
      ],
      targets: [
        {
          name: 'small portals p95 behind a 5,000-job portal vs alone',
          target: `<= ${TARGET_FACTOR}x`,
          measured: `${p95Ratio.toFixed(2)}x`,
          met: p95Ratio <= TARGET_FACTOR,
        },
      ],
      notes: [
        `completion = result written, measured from the worker's start (all jobs queued before it). One in-process worker, concurrency 20; simulator latency ${LATENCY_MS} ms, cloud bucket 50 / 2 per s; client limit: the default 1.5 per s, burst 40.`,
        `alone ran twice (before and after the mixed run); the faster is the baseline (the other: p95 ${(alone === alone1 ? alone2 : alone1).p95Ms} ms).`,
        `the big portal answered ${mixed.bigPortalQueryLimitExceeded} QUERY_LIMIT_EXCEEDED; its remaining jobs were discarded after the small ones settled.`,
      ],
      data: {
        bigJobs: BIG_JOBS,
        smallPortals: SMALL_PORTALS,
        latencyMs: LATENCY_MS,
        phases: [alone1, mixed, alone2],
        p50Ratio,
        p95Ratio,
      },
    };
  } finally {
    await sim.stop();
  }
}
