import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ChaosScenario } from './chaos-scenario.js';
import { CHAOS_SCENARIOS, selectScenarios } from './chaos-scenarios.js';
import { passed } from './check-rollout.js';
import { type ChaosRow, formatChaosTable } from './format-chaos-table.js';
import { chaosOnCluster } from './start-chaos-redis.js';

const envSchema = z.object({
  CHAOS_SEED: z.coerce.number().int().min(0).optional(),
  CHAOS_PORTALS: z.coerce.number().int().min(10).max(5_000).default(300),
  CHAOS_ONLY: z.string().optional(),
});

const RESULTS_DIR = join(import.meta.dirname, 'results');
/**
 * Only a run of every scenario replaces chaos/results/latest.json (the table the docs quote); a CHAOS_ONLY or
 * --cluster run goes to the checkout's own .tmp/ (ignored by git), never to a file shared with other checkouts.
 */
const PARTIAL_RESULTS_FILE = join(import.meta.dirname, '..', '.tmp', 'chaos-partial.json');

function failedRow(scenario: ChaosScenario, seconds: number, error: unknown): ChaosRow {
  return {
    scenario: scenario.name,
    fault: scenario.fault,
    pairs: 0,
    registered: 0,
    fieldsExact: 0,
    expectedFailures: 0,
    reRegisters: 0,
    duplicates: 0,
    wrongFields: 0,
    lost: 0,
    stuck: 0,
    timeSeconds: seconds,
    passed: false,
    facts: {},
    problems: [
      `the scenario crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    ],
    violations: [],
  };
}

/**
 * `npm run chaos`: runs every scenario on its own redis-server and simulator, prints the table, writes it to
 * chaos/results/latest.json and exits 1 if any pair was lost or left stuck, a registered portal does not hold
 * exactly the wanted fields, or a portal holds a second app for a CODE.
 * CHAOS_SEED reproduces a run's draws, CHAOS_PORTALS sets the portals per scenario, CHAOS_ONLY=a,b picks scenarios.
 * Arguments: scenario names (as CHAOS_ONLY), and `--cluster` to run them on a local 3-master Redis Cluster
 * instead of one redis-server (`npm run chaos -- --cluster worker-kill`; CHAOS_CLUSTER=1 is the same).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--cluster')) process.env['CHAOS_CLUSTER'] = '1';
  const named = args.filter((arg) => !arg.startsWith('--'));
  const env = envSchema.parse(process.env);
  const seed = env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000);
  const scenarios = selectScenarios(named.length > 0 ? named.join(',') : env.CHAOS_ONLY);
  const onCluster = chaosOnCluster();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `chaos: seed ${seed}, ${env.CHAOS_PORTALS} portals per scenario, ${scenarios.length} scenario(s)` +
      (onCluster ? ', on a local 3-master Redis Cluster' : ''),
  );

  const started = performance.now();
  const rows: ChaosRow[] = [];
  for (const scenario of scenarios) {
    log(`chaos: ${scenario.name} (${scenario.fault})`);
    const t0 = performance.now();
    try {
      const outcome = await scenario.run({ seed, portals: env.CHAOS_PORTALS, log });
      const seconds = (performance.now() - t0) / 1000;
      const { check } = outcome;
      const row: ChaosRow = {
        scenario: onCluster ? `${scenario.name} (cluster)` : scenario.name,
        fault: scenario.fault,
        pairs: check.pairs,
        registered: check.registered,
        fieldsExact: check.fieldsExact,
        expectedFailures: check.expectedFailures,
        reRegisters: check.reRegisters,
        duplicates: check.duplicates,
        wrongFields: check.wrongFields,
        lost: check.lost,
        stuck: check.stuck,
        timeSeconds: Math.round(seconds * 10) / 10,
        passed: passed(check) && outcome.problems.length === 0,
        facts: outcome.facts,
        problems: [...check.problems, ...outcome.problems],
        violations: check.violations,
      };
      rows.push(row);
      if (row.passed) rmSync(outcome.dir, { recursive: true, force: true });
      log(
        `  ${row.passed ? 'pass' : 'FAIL'} in ${row.timeSeconds} s: ${row.registered}/${row.pairs} registered, ` +
          `${row.fieldsExact}/${row.registered} holding exactly the wanted fields, ${row.expectedFailures} failed as expected, ` +
          `${row.reRegisters} re-register(s), ${row.duplicates} duplicate app(s); ` +
          Object.entries(row.facts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
      );
      for (const line of [...row.problems, ...row.violations]) log(`    ${line}`);
      if (!row.passed) log(`    logs and config kept in ${outcome.dir}`);
    } catch (error) {
      const row = failedRow(scenario, Math.round((performance.now() - t0) / 100) / 10, error);
      rows.push(row);
      log(`  FAIL: ${row.problems[0]}`);
    }
  }
  const totalSeconds = Math.round((performance.now() - started) / 100) / 10;
  const ok = rows.every((r) => r.passed);
  process.stdout.write(
    `\n${formatChaosTable(rows)}\n\nchaos: ${ok ? 'pass' : 'FAIL'} in ${totalSeconds} s (seed ${seed})\n`,
  );
  const complete = scenarios.length === CHAOS_SCENARIOS.length && !onCluster;
  const resultsFile = complete ? join(RESULTS_DIR, 'latest.json') : PARTIAL_RESULTS_FILE;
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ seed, portalsPerScenario: env.CHAOS_PORTALS, totalSeconds, passed: ok, finishedAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  log(`chaos: results written to ${resultsFile}`);
  process.exitCode = ok ? 0 : 1;
}

await main();
