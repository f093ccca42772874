import { checkRollout, type PairExpectation, type RolloutCheck } from './check-rollout.js';
import type { ChaosLab } from './start-chaos-lab.js';

/**
 * Runs the shared end-of-run check against what an operator would see: `imbot-rollout status --json` (as an OS
 * process), the store's counters, and the apps the simulator really holds.
 */
export async function collectCheck(
  lab: ChaosLab,
  expected: readonly PairExpectation[],
): Promise<RolloutCheck> {
  const status = await lab.status();
  const stateCounts = await lab.runtime.results.countsByState();
  return checkRollout({
    expected,
    status,
    stateCounts,
    appsOnPortal: (domain) => lab.sim.portal(domain).apps,
  });
}

/** Every pair of these portals x these codes must end registered. */
export function allRegistered(domains: readonly string[], codes: readonly string[]): PairExpectation[] {
  return domains.flatMap((domain) =>
    codes.map((code) => ({ domain, code, accept: ['registered'] as const })),
  );
}
