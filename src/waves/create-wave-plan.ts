import type { AppDefinition } from '../apps/app-definition-schema.js';
import { definitionHash } from '../apps/definition-hash.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { ImportSummary } from '../store/portal-store.js';
import { advanceWavePlan, type WaveControllerDeps } from './advance-wave-plan.js';
import { splitWaves } from './split-waves.js';
import type { WavePlan } from './wave-plan.js';

export interface WavePlanRequest {
  apps: readonly AppDefinition[];
  portals: readonly PortalEntry[];
  /** Cumulative percentages, validated (parseWavePercents). */
  percents: readonly number[];
  haltFailures: number;
  haltNeedsReauth: number;
  pauseMs: number;
  recreate?: boolean;
  replace?: boolean;
  source: string;
}

/**
 * `rollout --waves`: stores every portal (all of them now, so no later wave imports anything), the definitions and
 * the plan, then queues wave 1 at once (the controllers in the workers take it from there). A wave 1 that cannot
 * be queued (a conflicting rollout, a change update cannot apply) leaves the plan halted with that reason.
 */
export async function createWavePlan(
  request: WavePlanRequest,
  deps: WaveControllerDeps,
): Promise<{ plan: WavePlan; imported: ImportSummary }> {
  const waves = splitWaves(
    request.portals.map((p) => p.domain),
    request.percents,
  );
  const apps = request.apps.map((app) => ({ app, defHash: definitionHash(app) }));
  for (const { app, defHash } of apps) await deps.definitions.save(defHash, app);
  const imported = await deps.portals.importPortals(request.portals);
  const created = await deps.plans.create({
    source: request.source,
    apps: apps.map(({ app, defHash }) => ({ code: app.CODE, defHash })),
    percents: [...request.percents],
    waves,
    haltFailures: request.haltFailures,
    haltNeedsReauth: request.haltNeedsReauth,
    pauseMs: request.pauseMs,
    recreate: request.recreate ?? false,
    replace: request.replace ?? false,
  });
  deps.logger.info(
    { plan: created.id, waves: created.waveSizes, apps: created.apps.length },
    'wave plan created',
  );
  const plan = (await advanceWavePlan(deps, created.id)) ?? created;
  return { plan, imported };
}
