import type { ChaosScenario } from './chaos-scenario.js';
import { besideBackendBorrow, besideBackendSource } from './scenarios/beside-backend.js';
import { brokenPortals } from './scenarios/broken-portals.js';
import { flakyApi } from './scenarios/flaky-api.js';
import { redisRestart } from './scenarios/redis-restart.js';
import { twoProducers } from './scenarios/two-producers.js';
import { workerFreeze } from './scenarios/worker-freeze.js';
import { workerKills } from './scenarios/worker-kills.js';

/** Every scenario of `npm run chaos`, in the order they run. */
export const CHAOS_SCENARIOS: readonly ChaosScenario[] = [
  workerKills,
  workerFreeze,
  redisRestart,
  flakyApi,
  brokenPortals,
  twoProducers,
  besideBackendSource,
  besideBackendBorrow,
];

/**
 * The scenarios named in `only` (CHAOS_ONLY, comma-separated; a group name selects its scenarios), all when
 * undefined; an unknown name throws.
 */
export function selectScenarios(only: string | undefined): ChaosScenario[] {
  if (only === undefined || only.trim() === '') return [...CHAOS_SCENARIOS];
  const names = only.split(',').map((s) => s.trim());
  const named = (s: ChaosScenario) =>
    names.includes(s.name) || (s.group !== undefined && names.includes(s.group));
  const unknown = names.filter((name) => !CHAOS_SCENARIOS.some((s) => s.name === name || s.group === name));
  if (unknown.length > 0) {
    throw new Error(
      `CHAOS_ONLY names unknown scenario(s) ${unknown.join(', ')}; known: ${CHAOS_SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  return CHAOS_SCENARIOS.filter(named);
}
