import type { AppDefinition } from '../../../src/apps/app-definition-schema.js';
import { generatedPortalDomain } from '../../../src/simulator/generate-portal-seeds.js';
import type { SimPortalSeed } from '../../../src/simulator/simulator-types.js';
import type { WaveControllerDeps } from '../../../src/waves/advance-wave-plan.js';
import { createWavePlan } from '../../../src/waves/create-wave-plan.js';
import { splitWaves } from '../../../src/waves/split-waves.js';
import { startWaveController, type WaveController } from '../../../src/waves/start-wave-controller.js';
import { waveDeps } from '../../../src/waves/wave-deps.js';
import type { WavePlan } from '../../../src/waves/wave-plan.js';
import { type Harness, startHarness } from '../../pipeline/support/pipeline-harness.js';
import { waitFor } from '../../support/wait-for.js';

export interface WaveKit {
  h: Harness;
  deps: WaveControllerDeps;
  /** An in-process wave controller ticking every 100 ms (as a worker's would, faster). */
  startController(): WaveController;
  createPlan(
    apps: readonly AppDefinition[],
    percents: number[],
    options?: { haltFailures?: number; haltNeedsReauth?: number; pauseMs?: number; replace?: boolean },
  ): Promise<WavePlan>;
  /** Waits until the plan is in one of `states`; returns it. */
  untilState(id: string, states: readonly WavePlan['state'][], timeoutMs?: number): Promise<WavePlan>;
  close(): Promise<void>;
}

/** `count` simulator portals (portal-00001.sim.test ...), `deleted` of them in the state `deleted`. */
export function seeds(count: number, deleted: readonly string[] = []): SimPortalSeed[] {
  return Array.from({ length: count }, (_, i) => {
    const domain = generatedPortalDomain(i + 1);
    return deleted.includes(domain) ? { domain, state: 'deleted' as const } : { domain };
  });
}

/** The domains of each wave for `count` generated portals (the plan's own split). */
export function wavesOf(count: number, percents: number[]): string[][] {
  return splitWaves(
    seeds(count).map((s) => s.domain),
    percents,
  );
}

export async function startWaveKit(
  portals: SimPortalSeed[],
  simOptions: { latencyMs?: number } = {},
): Promise<WaveKit> {
  const h = await startHarness({ portals, ...simOptions });
  const deps = waveDeps(h.runtime);
  const controllers: WaveController[] = [];
  return {
    h,
    deps,
    startController() {
      const controller = startWaveController(deps, { intervalMs: 100 });
      controllers.push(controller);
      return controller;
    },
    async createPlan(apps, percents, options = {}) {
      const { plan } = await createWavePlan(
        {
          apps,
          portals: h.portals(),
          percents,
          haltFailures: options.haltFailures ?? 0.05,
          haltNeedsReauth: options.haltNeedsReauth ?? 0.2,
          pauseMs: options.pauseMs ?? 0,
          replace: options.replace ?? false,
          source: 'test-apps.json',
        },
        deps,
      );
      return plan;
    },
    async untilState(id, states, timeoutMs = 25_000) {
      return await waitFor(
        async () => {
          const plan = await deps.plans.get(id);
          if (!plan || !states.includes(plan.state))
            throw new Error(`plan is ${plan?.state} at wave ${plan?.wave}: ${plan?.reason ?? ''}`);
          return plan;
        },
        { timeoutMs, intervalMs: 50, message: `plan ${id} to be ${states.join(' or ')}` },
      );
    },
    async close() {
      await Promise.all(controllers.map((c) => c.stop()));
      await h.close();
    },
  };
}
