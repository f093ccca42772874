import type { AppDefinition } from '../src/apps/app-definition-schema.js';
import { deriveAppHash } from '../src/apps/derive-app-hash.js';
import type { PairState } from '../src/store/pair-result.js';
import { wantedFields } from '../test/support/portal-holds.js';
import { checkRollout, type PairExpectation, type RolloutCheck } from './check-rollout.js';
import type { ChaosLab } from './start-chaos-lab.js';

/**
 * Runs the shared end-of-run check against what an operator would see: `imbot-rollout status --json` (as an OS
 * process), the store's counters, and the apps (with their fields) the simulator really holds.
 */
export async function collectCheck(
  lab: ChaosLab,
  expected: readonly PairExpectation[],
): Promise<RolloutCheck> {
  const status = await lab.status();
  const stateCounts = await lab.runtime.results.countsByState();
  return checkRollout({ expected, status, stateCounts, portal: (domain) => lab.sim.portal(domain) });
}

/** The HASH a portal must hold for `def`: the definition's, or derived per portal and CODE for "HASH": "auto". */
function hashOn(domain: string, def: AppDefinition, hashSecret: string | undefined): string | undefined {
  if (!('IFRAME' in def)) return undefined;
  return def.HASH === 'auto' ? deriveAppHash(hashSecret ?? '', domain, def.CODE) : def.HASH;
}

/** One pair of `def` on `domain`: accepted end states, and the fields the portal must hold when registered. */
export function expectPair(
  domain: string,
  def: AppDefinition,
  hashSecret: string | undefined,
  accept: readonly PairState[] = ['registered'],
  reasons?: readonly string[],
): PairExpectation {
  return {
    domain,
    code: def.CODE,
    accept,
    ...(reasons === undefined ? {} : { reasons }),
    wanted: wantedFields(def, hashOn(domain, def, hashSecret)),
  };
}

/** Every pair of these portals x these apps must end registered, each portal holding exactly the definition. */
export function allRegistered(
  domains: readonly string[],
  apps: readonly AppDefinition[],
  hashSecret: string | undefined,
): PairExpectation[] {
  return domains.flatMap((domain) => apps.map((def) => expectPair(domain, def, hashSecret)));
}
