import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import { pino } from 'pino';
import { z } from 'zod';
import type { AppDefinition } from '../src/apps/app-definition-schema.js';
import type { Config } from '../src/config/config-schema.js';
import { countPairs, isSettled, type PairCounts } from '../src/ops/pair-counts.js';
import type { StatusRow } from '../src/ops/status-row.js';
import { createRolloutWorker } from '../src/pipeline/create-rollout-worker.js';
import { type EnqueueSummary, enqueueRollout } from '../src/pipeline/enqueue-rollout.js';
import type { PairJob } from '../src/pipeline/pair-job.js';
import type { PairOutcome } from '../src/pipeline/pair-outcome.js';
import { type PortalEntry, portalsFileSchema } from '../src/portals/portal-entry-schema.js';
import { connectRedis } from '../src/redis/connect-redis.js';
import type { RedisClient } from '../src/redis/redis-client.js';
import { createRuntime, type Runtime } from '../src/runtime/create-runtime.js';
import type { SimulatorHandle, SimulatorOptions } from '../src/simulator/start-simulator.js';
import { startSimulator } from '../src/simulator/start-simulator.js';
import { type CliProcess, runCli, spawnCli } from '../test/support/run-cli.js';
import { waitFor } from '../test/support/wait-for.js';
import { chaosConfig } from './chaos-config.js';
import { startChaosRedis } from './start-chaos-redis.js';

/** `status --json` rows (the public contract, see src/ops/status-row.ts), validated: it is another process's output. */
const statusRowsSchema = z.array(
  z.object({
    portal: z.string(),
    code: z.string(),
    state: z.string(),
    appId: z.number().int().nullable(),
    attempts: z.number().int(),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    updatedAt: z.string().nullable(),
    hash: z.string().nullable(),
  }),
);

export interface ChaosLabOptions {
  /** Scenario name: used in the key prefix and the temp dir. */
  name: string;
  sim: SimulatorOptions;
  /**
   * Config overrides on top of chaosConfig(); a function is called once the simulator listens (e.g. to start
   * its application backend and point `tokens.source` at it).
   */
  config?: Record<string, unknown> | ((sim: SimulatorHandle) => Promise<Record<string, unknown>>);
}

export interface SettleResult extends PairCounts {
  timedOut: boolean;
  /** Jobs still waiting, active or delayed once the pairs settled (they should drain to 0). */
  leftoverJobs: number;
  /** The first few of those, as `<job id> (<state>, <pair state>)`, for the failure report. */
  leftoverSample: string[];
}

export interface ChaosLab {
  readonly sim: SimulatorHandle;
  readonly config: Config;
  /** The config as a JSON file, for CLI processes (`ROLLOUT_CONFIG`). */
  readonly configFile: string;
  /** The producer's / checker's runtime in this process. */
  readonly runtime: Runtime;
  /** Temp dir with the config file, input files and logs; kept when the scenario fails. */
  readonly dir: string;
  /** Environment for CLI processes of this lab. */
  cliEnv(): Record<string, string>;
  /** The simulator's portals in the validated portals-file form. */
  portals(): PortalEntry[];
  /** A worker in this process (its own Redis connection, like the CLI worker). */
  startWorker(concurrency?: number): Worker<PairJob, PairOutcome>;
  /** `imbot-rollout worker` as an OS process; resolves once it printed that it started. */
  spawnWorker(concurrency: number): Promise<CliProcess>;
  /** Every worker process that started so far (printed that it started), alive or not. */
  workerProcesses(): readonly CliProcess[];
  /**
   * Kills Redis (SIGKILL) and starts it again on the same port and data dir, then sets `appendfsync always` again:
   * see DURABLE_AOF. Resolves with the moments (performance.now()) Redis went down and accepted connections again.
   */
  restartRedis(): Promise<{ downAt: number; upAt: number }>;
  /** The producer in this process; `onProgress` is called after each chunk of pairs (config.producer.chunkSize). */
  rollout(
    apps: readonly AppDefinition[],
    portals?: readonly PortalEntry[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<EnqueueSummary>;
  /** Writes an apps file and a portals file (current simulator credentials) for `rollout` CLI processes. */
  writeInputFiles(
    appsJson: readonly Record<string, unknown>[],
    portals?: readonly PortalEntry[],
  ): { appsFile: string; portalsFile: string };
  /** Waits until none of the pairs is pending and the queue has drained, or `timeoutMs` passes. */
  waitSettled(pairs: readonly { domain: string; code: string }[], timeoutMs: number): Promise<SettleResult>;
  /** What `imbot-rollout status --json` reports (run as an OS process, like an operator would). */
  status(): Promise<StatusRow[]>;
  /** Log file of the in-process runtime and workers (pino, level warn). */
  readonly logFile: string;
  close(options: { keepDir: boolean }): Promise<void>;
}

/**
 * Redis must not lose a write it acknowledged, even when it is killed: with `appendfsync everysec` (what
 * startRedisServer and docker-compose.yml use) Redis may hold the AOF write back for up to 2 s while a background
 * fsync is slow, and a kill then loses writes the workers were told were done. The restart scenario checks that
 * the registered pairs never drop across a restart, which `everysec` cannot promise; `always` writes and fsyncs
 * before Redis answers (docs/reliability.md, "Not guaranteed").
 */
const DURABLE_AOF = ['appendfsync', 'always'] as const;

async function queueBacklog(runtime: Runtime): Promise<number> {
  const counts = await runtime.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

const LEFTOVER_SAMPLE = 5;

/** The first `limit` jobs still in the queue, each with its BullMQ state and its pair's state in the store. */
async function describeLeftoverJobs(runtime: Runtime, limit: number): Promise<string[]> {
  const jobs = await runtime.queue.getJobs(
    ['waiting', 'active', 'delayed', 'prioritized', 'paused'],
    0,
    limit - 1,
  );
  return await Promise.all(
    jobs.slice(0, limit).map(async (job) => {
      const state = await job.getState();
      const pair = await runtime.results.get(job.data.domain, job.data.code);
      // BullMQ scores a delayed job with its due time (ms) * 0x1000 plus a counter.
      const delayedKey = runtime.queue.keys['delayed'];
      const score = job.id && delayedKey ? await runtime.redis.zscore(delayedKey, job.id) : null;
      const due = score === null ? '' : `, due in ${Math.round(Number(score) / 0x1000 - Date.now())} ms`;
      return `${job.id} (${state}${due}; pair ${pair?.state ?? 'unknown'})`;
    }),
  );
}

/**
 * Everything one chaos scenario needs, private to it: its own redis-server (AOF on, so a restart keeps the
 * data; with `--cluster` a local 3-master Redis Cluster, start-chaos-redis.ts), the portal simulator in this process, the config written to a file for CLI processes, a runtime for the
 * producer and the checks, and workers in this process or as OS processes.
 */
export async function startChaosLab(options: ChaosLabOptions): Promise<ChaosLab> {
  const dir = mkdtempSync(join(tmpdir(), `imbot-chaos-${options.name}-`));
  const prefix = `chaos-${options.name}-${randomUUID().slice(0, 6)}`;
  // One redis-server, or with `--cluster` a local 3-master Redis Cluster (start-chaos-redis.ts).
  const redisServer = await startChaosRedis(prefix);
  const sim = await startSimulator(options.sim);
  const overrides = typeof options.config === 'function' ? await options.config(sim) : options.config;
  const config = chaosConfig({ ...redisServer.where, prefix, oauthUrl: sim.oauthUrl }, overrides);
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const logFile = join(dir, 'in-process.log');
  const logger = pino({ level: 'warn' }, pino.destination({ dest: logFile, sync: true }));
  const runtime = createRuntime({ config, logger });
  if (redisServer.needsDurableConfig) await runtime.redis.config('SET', ...DURABLE_AOF);
  const workers: { worker: Worker<PairJob, PairOutcome>; connection: RedisClient }[] = [];
  const processes: CliProcess[] = [];
  const started: CliProcess[] = [];
  const cliEnv = (): Record<string, string> => ({ ROLLOUT_CONFIG: configFile, LOG_LEVEL: 'warn' });
  const portals = () =>
    portalsFileSchema({ allowHttp: true, allowHosts: config.allowHosts }).parse(sim.portalsFile());
  let inputs = 0;

  return {
    sim,
    config,
    configFile,
    runtime,
    dir,
    logFile,
    cliEnv,
    portals,
    startWorker(concurrency = config.worker.concurrency) {
      const connection = connectRedis(config, logger, 'chaos-worker');
      const worker = createRolloutWorker(runtime, { connection, concurrency });
      workers.push({ worker, connection });
      return worker;
    },
    async spawnWorker(concurrency) {
      const worker = spawnCli(['worker', '--concurrency', String(concurrency)], cliEnv());
      processes.push(worker);
      await waitFor(
        () => {
          if (!worker.alive()) throw new Error(`worker process exited at start:\n${worker.output()}`);
          return worker.output().includes('worker: started');
        },
        { timeoutMs: 30_000, intervalMs: 25, message: `worker process ${worker.pid} to start` },
      );
      started.push(worker);
      return worker;
    },
    workerProcesses: () => started,
    async restartRedis() {
      const downAt = performance.now();
      await redisServer.restart();
      const upAt = performance.now();
      // Commands wait for the reconnect: this is the first one after it (before it, `everysec` for a few ms).
      if (redisServer.needsDurableConfig) await runtime.redis.config('SET', ...DURABLE_AOF);
      return { downAt, upAt };
    },
    async rollout(apps, chosen, onProgress) {
      return await enqueueRollout(
        { apps, portals: chosen ?? portals(), ...(onProgress === undefined ? {} : { onProgress }) },
        runtime,
      );
    },
    writeInputFiles(appsJson, chosen) {
      inputs++;
      const appsFile = join(dir, `apps-${inputs}.json`);
      const portalsFile = join(dir, `portals-${inputs}.json`);
      writeFileSync(appsFile, JSON.stringify(appsJson));
      writeFileSync(portalsFile, JSON.stringify(chosen ?? sim.portalsFile()));
      return { appsFile, portalsFile };
    },
    async waitSettled(pairs, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let counts = await countPairs(runtime.results, pairs);
      while (!isSettled(counts) && Date.now() < deadline) {
        await delay(100);
        counts = await countPairs(runtime.results, pairs);
      }
      // Settled pairs can still have a job around (a killed worker's job waits for the stalled check): let the
      // queue drain so nothing runs while the checks read the simulator.
      let leftoverJobs = await queueBacklog(runtime);
      while (leftoverJobs > 0 && Date.now() < deadline) {
        await delay(100);
        leftoverJobs = await queueBacklog(runtime);
      }
      const leftoverSample =
        leftoverJobs > 0 ? await describeLeftoverJobs(runtime, LEFTOVER_SAMPLE) : ([] as string[]);
      return { ...counts, timedOut: !isSettled(counts), leftoverJobs, leftoverSample };
    },
    async status() {
      const { code, stdout, output } = await runCli(['status', '--json'], cliEnv());
      if (code !== 0) throw new Error(`imbot-rollout status --json exited with ${code}:\n${output}`);
      return statusRowsSchema.parse(JSON.parse(stdout));
    },
    async close({ keepDir }) {
      await Promise.all(processes.map((p) => p.stop(5_000)));
      for (const p of processes) writeFileSync(join(dir, `worker-${p.pid}.log`), p.output());
      await Promise.all(workers.map(({ worker }) => worker.close(true)));
      await Promise.all(workers.map(({ connection }) => connection.quit().catch(() => undefined)));
      await runtime.close();
      await sim.stop();
      await redisServer.stop();
      logger.flush();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
