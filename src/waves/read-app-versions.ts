import type { RedisClient } from '../redis/redis-client.js';
import { readStableApps, type StableHow } from '../store/read-stable-apps.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { type WavePlanState, waveCount } from './wave-plan.js';
import { createWavePlanStore } from './wave-plan-store.js';

/** One CODE's stable definition against what is in flight (GET /api/apps, `status`, the dashboard). */
export interface AppVersionView {
  code: string;
  /** What a portal that installs the application gets (docs/waves.md, "Stable definitions"); null: none yet. */
  stable: {
    defHash: string;
    /** The plan or plain rollout it came from. */
    planId: string;
    source: string;
    since: string;
    how: StableHow;
  } | null;
  /** Plans and plain rollouts of this CODE not finished yet (running, pausing or halted), newest first. */
  inFlight: {
    planId: string;
    single: boolean;
    source: string;
    defHash: string;
    state: WavePlanState;
    wave: number;
    waves: number;
    /** The same definition as the stable one (a rollout of it to more portals). */
    sameAsStable: boolean;
  }[];
}

/** Every CODE that has a stable definition or a plan in flight, by CODE. */
export async function readAppVersions(deps: {
  redis: RedisClient;
  keys: RedisKeys;
}): Promise<AppVersionView[]> {
  const [stable, open] = await Promise.all([readStableApps(deps), createWavePlanStore(deps).listOpen()]);
  const byCode = new Map<string, AppVersionView>();
  const entry = (code: string): AppVersionView => {
    let view = byCode.get(code);
    if (!view) {
      view = { code, stable: null, inFlight: [] };
      byCode.set(code, view);
    }
    return view;
  };
  for (const s of stable) {
    entry(s.code).stable = {
      defHash: s.defHash,
      planId: s.planId,
      source: s.source,
      since: new Date(s.at).toISOString(),
      how: s.how,
    };
  }
  for (const plan of open) {
    for (const { code, defHash } of plan.apps) {
      const view = entry(code);
      view.inFlight.push({
        planId: plan.id,
        single: plan.single,
        source: plan.source,
        defHash,
        state: plan.state,
        wave: plan.wave,
        waves: waveCount(plan),
        sameAsStable: view.stable?.defHash === defHash,
      });
    }
  }
  return [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
