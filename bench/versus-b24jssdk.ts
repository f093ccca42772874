import { pino } from 'pino';
import type { AppDefinition } from '../src/apps/app-definition-schema.js';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import { connectRedis } from '../src/redis/connect-redis.js';
import { createRuntime, type Runtime } from '../src/runtime/create-runtime.js';
import type { SimFaults } from '../src/simulator/simulator-types.js';
import { waitFor } from '../test/support/wait-for.js';
import { benchApps } from './support/bench-apps.js';
import { benchConfig } from './support/bench-config.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { sdkRollout } from './support/sdk-rollout.js';
import { type SimProcess, type SimStats, startSimProcess } from './support/start-sim-process.js';

const PORTALS = 500;
const LATENCY_MS = 20;
const CONCURRENCY = 20;
/** A flaky day: answers 500 without work, connections dropped after the app was created, 503s from other apps. */
const FLAKY: SimFaults = { http500Rate: 0.02, dropAfterWorkRate: 0.02, queryLimitRate: 0.02 };

export interface ComparisonRun {
  scenario: string;
  tool: string;
  seconds: number;
  /** REST calls the simulator received. */
  calls: number;
  /** Methods the simulator ran: single requests plus batch commands. */
  commands: number;
  /** Pairs left without the app (the tool gave up or reported a failure). */
  failures: number;
  /** 503 QUERY_LIMIT_EXCEEDED answers: the portals' buckets plus the injected ones ("other apps"). */
  queryLimit: number;
  /** Registrations of a CODE the portal already held: 0 against a server that deduplicates (get-or-create). */
  duplicates: number;
  /** Registers that returned an app the portal already held (a retry after a lost answer: safe). */
  reRegisters: number;
  errors: Record<string, number>;
}

function delta(after: SimStats, before: SimStats) {
  return {
    calls: after.calls - before.calls,
    commands: after.commands - before.commands,
    queryLimit:
      after.queryLimitExceeded -
      before.queryLimitExceeded +
      (after.injected.queryLimit - before.injected.queryLimit),
    duplicates: after.duplicates - before.duplicates,
    reRegisters: after.registerExisting - before.registerExisting,
  };
}

async function runSdk(
  sim: SimProcess,
  scenario: string,
  app: AppDefinition,
  concurrency: number,
): Promise<ComparisonRun> {
  const before = await sim.stats();
  const started = performance.now();
  const outcome = await sdkRollout(sim.portals, app, sim.url, concurrency);
  const seconds = (performance.now() - started) / 1000;
  return {
    scenario,
    tool: concurrency === 1 ? 'b24jssdk, plain loop' : `b24jssdk, ${concurrency} at a time`,
    seconds,
    ...delta(await sim.stats(), before),
    failures: outcome.failed,
    errors: outcome.errors,
  };
}

async function runImbot(
  sim: SimProcess,
  scenario: string,
  app: AppDefinition,
  runtime: Runtime,
): Promise<ComparisonRun> {
  const before = await sim.stats();
  const started = performance.now();
  const summary = await enqueueRollout({ apps: [app], portals: sim.portals }, runtime);
  const counts = await waitFor(
    async () => {
      const c = await runtime.results.countsByState();
      return c.pending === 0 ? c : false;
    },
    { message: `${scenario}: imbot-rollout settled`, timeoutMs: 120_000, intervalMs: 50 },
  );
  const seconds = (performance.now() - started) / 1000;
  const results = await runtime.results.getMany(summary.pairs);
  const errors: Record<string, number> = {};
  for (const r of results)
    if (r?.state === 'failed')
      errors[r.lastError?.code ?? 'UNKNOWN'] = (errors[r.lastError?.code ?? 'UNKNOWN'] ?? 0) + 1;
  return {
    scenario,
    tool: `imbot-rollout, 1 worker x ${CONCURRENCY}`,
    seconds,
    ...delta(await sim.stats(), before),
    failures: counts.failed + counts.needs_reauth,
    errors,
  };
}

/**
 * One simulator (500 OAuth portals, 20 ms latency, cloud bucket 50 / 2 per s, optional faults) and, per tool, its
 * own app CODE, so the tools never see each other's apps. imbot-rollout runs with its default configuration
 * (client limit 1.5/s burst 40, 8 attempts, 2 s base back-off) and one in-process worker; its run time counts
 * from the start of enqueueing (portals imported, pairs stored) to the last pair settled.
 */
async function scenario(
  ctx: BenchContext,
  name: string,
  faults: SimFaults | undefined,
  withRerun: boolean,
): Promise<ComparisonRun[]> {
  const sim = await startSimProcess({
    portals: PORTALS,
    latencyMs: LATENCY_MS,
    burst: 50,
    drainPerSecond: 2,
    seed: 51,
    ...(faults ? { faults } : {}),
  });
  const config = benchConfig(ctx.redisUrl, sim.oauthUrl);
  const logger = pino({ level: 'silent' });
  const runtime = createRuntime({ config, logger });
  const connection = connectRedis(config, logger, 'bench-vs-sdk-worker');
  const worker = createRolloutWorker(runtime, { connection, concurrency: CONCURRENCY });
  try {
    const [loopApp, poolApp, imbotApp] = benchApps(3, 'vs');
    if (!loopApp || !poolApp || !imbotApp) throw new Error('no apps');
    const runs: ComparisonRun[] = [];
    runs.push(await runSdk(sim, name, loopApp, 1));
    ctx.log(`  ${name}: SDK loop ${runs.at(-1)?.seconds.toFixed(1)} s`);
    runs.push(await runSdk(sim, name, poolApp, CONCURRENCY));
    ctx.log(`  ${name}: SDK x${CONCURRENCY} ${runs.at(-1)?.seconds.toFixed(1)} s`);
    runs.push(await runImbot(sim, name, imbotApp, runtime));
    ctx.log(`  ${name}: imbot-rollout ${runs.at(-1)?.seconds.toFixed(1)} s`);
    if (withRerun) {
      // The same rollout started again (after a crash, a timeout, or to be sure): what does a second run do?
      const again = `${name}, run again`;
      runs.push(await runSdk(sim, again, poolApp, CONCURRENCY));
      runs.push(await runImbot(sim, again, imbotApp, runtime));
      ctx.log(`  ${again}: done`);
    }
    return runs;
  } finally {
    await worker.close();
    await connection.quit();
    await runtime.queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    await sim.stop();
  }
}

/**
 * 5. Against what users use instead: the same rollout of one app to 500 portals with the official
 * @bitrix24/b24jssdk (a plain loop, and 20 portals at a time) and with imbot-rollout, on a clean and on a flaky
 * simulator, and each started a second time.
 */
export async function runVersusB24jssdk(ctx: BenchContext): Promise<BenchResult> {
  const runs = [
    ...(await scenario(ctx, 'clean', undefined, true)),
    ...(await scenario(ctx, 'flaky', FLAKY, false)),
  ];
  const errorText = (errors: Record<string, number>) =>
    Object.entries(errors)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ') || '-';
  return {
    id: 'vs-b24jssdk',
    title: `5. imbot-rollout vs @bitrix24/b24jssdk (one app to ${PORTALS} portals, ${LATENCY_MS} ms latency)`,
    headers: [
      'scenario',
      'tool',
      'time',
      'calls',
      'calls per pair',
      'commands per pair',
      '503s',
      'failures',
      'duplicates',
      're-registers',
      'failure codes',
    ],
    rows: runs.map((r) => [
      r.scenario,
      r.tool,
      `${r.seconds.toFixed(1)} s`,
      String(r.calls),
      (r.calls / PORTALS).toFixed(2),
      (r.commands / PORTALS).toFixed(2),
      String(r.queryLimit),
      String(r.failures),
      String(r.duplicates),
      String(r.reRegisters),
      errorText(r.errors),
    ]),
    targets: [],
    notes: [
      `same simulator, same parameters (toRegisterParams), same network latency for every tool; each tool registers its own CODE. SDK: B24OAuth per portal with its defaults (token bucket 50 / 2 per s per client, 3 attempts, retries on network errors); imbot-rollout: default config, one worker in the bench process, concurrency ${CONCURRENCY}.`,
      `flaky: ${FLAKY.http500Rate ? FLAKY.http500Rate * 100 : 0}% answers 500 without work, ${FLAKY.dropAfterWorkRate ? FLAKY.dropAfterWorkRate * 100 : 0}% connections dropped after the app was created, ${FLAKY.queryLimitRate ? FLAKY.queryLimitRate * 100 : 0}% 503 QUERY_LIMIT_EXCEEDED injected (other apps on the portal), drawn per call from a seeded RNG.`,
      'calls per pair: HTTP requests the simulator received (its `calls`; a batch is one) per portal x app; commands per pair: methods it ran, batch commands included (imbot-rollout: register, then update, in one batch: docs/bitrix24.md). re-registers: registers that returned the app the portal already held (a retry after a lost answer; register is get-or-create, so no duplicate). duplicates: only possible against a server that does not deduplicate.',
    ],
    data: { portals: PORTALS, latencyMs: LATENCY_MS, concurrency: CONCURRENCY, faults: FLAKY, runs },
  };
}
