import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { formatTable } from '../src/ops/format-table.js';
import { startRedisServer } from '../src/redis/start-redis-server.js';
import { runFairness } from './fairness.js';
import { runPipelineOverhead } from './pipeline-overhead.js';
import { runPlan100k } from './plan-100k.js';
import { runRateLimitEfficiency } from './rate-limit-efficiency.js';
import { runScale } from './scale.js';
import { runScale100k } from './scale-100k.js';
import type { BenchContext, BenchResult } from './support/bench-result.js';
import { machineInfo } from './support/machine-info.js';
import { runVersusB24jssdk } from './versus-b24jssdk.js';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  'pipeline-overhead': runPipelineOverhead,
  'rate-limit': runRateLimitEfficiency,
  fairness: runFairness,
  scale: runScale,
  'vs-b24jssdk': runVersusB24jssdk,
  'scale-100k': runScale100k,
  'plan-100k': runPlan100k,
};

/**
 * Benchmarks that run only when named (`npm run bench -- scale-100k`): too long for the default run
 * (docs/performance.md says how long).
 */
const ONLY_WHEN_NAMED = new Set(['scale-100k', 'plan-100k']);

const RESULTS_DIR = join(import.meta.dirname, 'results');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function printResult(result: BenchResult, seconds: number): void {
  const lines = [
    '',
    `== ${result.title}  [${seconds.toFixed(0)} s]`,
    formatTable(result.headers, result.rows),
    ...result.notes.map((note) => `  - ${note}`),
    ...result.targets.map(
      (t) => `  target ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.measured} (target ${t.target})`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * `npm run bench [-- name ...]`: runs the benchmarks (all, or those named) one after the other on a private
 * redis-server, prints a table per benchmark and writes bench/results/<id>.json plus summary.json. Exits 1
 * only when a benchmark could not run; a missed target is printed and recorded, not an error.
 */
async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    log(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const selected =
    argv.length > 0 ? argv : Object.keys(BENCHMARKS).filter((name) => !ONLY_WHEN_NAMED.has(name));
  const server = await startRedisServer();
  const admin = new Redis(server.url, { maxRetriesPerRequest: null });
  const redisVersion = /^redis_version:(.+)$/m.exec(await admin.info('server'))?.[1]?.trim() ?? 'unknown';
  const machine = machineInfo(redisVersion);
  log(
    `machine: ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, redis ${machine.redis}; private redis at ${server.url}`,
  );
  await mkdir(RESULTS_DIR, { recursive: true });
  const startedAt = new Date().toISOString();
  const runStarted = performance.now();
  const summary: Record<string, unknown>[] = [];
  let failures = 0;
  try {
    for (const name of selected) {
      const run = BENCHMARKS[name];
      if (!run) continue;
      await admin.flushall();
      // Other processes on the machine skew every figure: record the load each benchmark started under.
      const loadBefore = loadavg()[0] ?? 0;
      log(`\n-- ${name} (load average ${loadBefore.toFixed(2)})`);
      const t0 = performance.now();
      try {
        const result = await run({ redisUrl: server.url, log: (line) => log(line) });
        const seconds = (performance.now() - t0) / 1000;
        printResult(result, seconds);
        const record = { ...result, ranAt: new Date().toISOString(), seconds, loadBefore, machine };
        await writeFile(join(RESULTS_DIR, `${result.id}.json`), `${JSON.stringify(record, null, 2)}\n`);
        summary.push({ id: result.id, title: result.title, seconds, loadBefore, targets: result.targets });
      } catch (error) {
        failures++;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`benchmark ${name} could not run: ${message}`);
        summary.push({ id: name, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    admin.disconnect();
    await server.stop();
  }
  const totalSeconds = (performance.now() - runStarted) / 1000;
  // summary.json describes a complete run only; a partial run updates just its benchmarks' files.
  if (argv.length === 0) {
    await writeFile(
      join(RESULTS_DIR, 'summary.json'),
      `${JSON.stringify({ startedAt, totalSeconds, machine, benchmarks: summary }, null, 2)}\n`,
    );
  }
  process.stdout.write(
    `\nall done in ${totalSeconds.toFixed(0)} s; ${failures} benchmark(s) could not run; results in bench/results/\n`,
  );
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
