import type { AppDefinition } from '../apps/app-definition-schema.js';
import { EXIT_CODES } from '../errors/operator-error.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { Runtime } from '../runtime/create-runtime.js';
import type { SimulatorHandle } from '../simulator/start-simulator.js';
import { controlWavePlan } from '../waves/control-wave-plan.js';
import { createWavePlan } from '../waves/create-wave-plan.js';
import { splitWaves } from '../waves/split-waves.js';
import { waitForWavePlan } from '../waves/wait-for-wave-plan.js';
import { waveDeps } from '../waves/wave-deps.js';

/** The demo's waves: a small first wave, a quarter, then the rest. */
const DEMO_PERCENTS = [5, 25, 100];
/** Share of the first wave's portals the simulator deletes, so that wave fails above --halt-failures. */
const DELETED_SHARE = 0.2;

/**
 * `demo --waves`: a rollout in waves whose first wave holds deleted portals (PORTAL_DELETED): the plan halts
 * after wave 1 with the reason and the failing pairs, nothing of wave 2 is queued; then it is resumed (as
 * `rollout --resume ID` does) and the other waves run. Returns the exit code: 0 when it went that way.
 */
export async function demoWaves(
  runtime: Runtime,
  simulator: SimulatorHandle,
  apps: readonly AppDefinition[],
  portals: readonly PortalEntry[],
): Promise<number> {
  const deps = waveDeps(runtime);
  const [first = []] = splitWaves(
    portals.map((p) => p.domain),
    DEMO_PERCENTS,
  );
  const broken = first.slice(0, Math.max(1, Math.round(first.length * DELETED_SHARE)));
  for (const domain of broken) simulator.control.deletePortal(domain);
  process.stdout.write(
    `demo: waves ${DEMO_PERCENTS.map((p) => `${p}%`).join(',')} with --halt-failures 5%; deleted in the simulator: ` +
      `${broken.length} of wave 1's ${first.length} portals, so wave 1 should halt the plan\n`,
  );
  const { plan } = await createWavePlan(
    {
      apps,
      portals,
      percents: DEMO_PERCENTS,
      haltFailures: 0.05,
      haltNeedsReauth: 0.2,
      pauseMs: 0,
      source: 'examples/apps.json',
    },
    deps,
  );
  const halted = await waitForWavePlan(deps, plan.id, { stream: process.stdout, intervalMs: 500 });
  if (halted?.state !== 'halted' || halted.wave !== 1) {
    process.stdout.write(`demo: expected the plan to halt at wave 1, it is ${halted?.state}\n`);
    return EXIT_CODES.failed;
  }
  process.stdout.write(
    `\ndemo: the plan halted by itself: ${halted.reason}\n` +
      'demo: wave 2 was never queued. An operator looks at the failing pairs (above), then either ' +
      `\`imbot-rollout rollout --resume ${plan.id}\` (accept wave 1 as it is) or --abort.\n` +
      'demo: resuming now:\n\n',
  );
  await controlWavePlan(deps, plan.id, 'resume');
  let final = await waitForWavePlan(deps, plan.id, { stream: process.stdout, intervalMs: 500 });
  // The demo's other broken portals (one deleted, one whose refresh token was revoked) may halt a later wave too,
  // with few portals: each halt is shown and resumed the same way.
  for (let wave = 2; final?.state === 'halted' && wave <= final.waveSizes.length; wave++) {
    process.stdout.write(`\ndemo: halted again: ${final.reason}\ndemo: resuming now:\n\n`);
    await controlWavePlan(deps, plan.id, 'resume');
    final = await waitForWavePlan(deps, plan.id, { stream: process.stdout, intervalMs: 500 });
  }
  process.stdout.write(`\ndemo: plan ${plan.id} is ${final?.state}\n`);
  return final?.state === 'done' ? 0 : EXIT_CODES.failed;
}
