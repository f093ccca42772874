import { type AppDefinition, appDefinitionSchema } from '../apps/app-definition-schema.js';
import { EXIT_CODES } from '../errors/operator-error.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { Runtime } from '../runtime/create-runtime.js';
import type { SimulatorHandle } from '../simulator/start-simulator.js';
import { readStableApps } from '../store/read-stable-apps.js';
import { advanceWavePlan } from '../waves/advance-wave-plan.js';
import { controlWavePlan } from '../waves/control-wave-plan.js';
import { createWavePlan } from '../waves/create-wave-plan.js';
import { enqueuePlainRollout } from '../waves/enqueue-plain-rollout.js';
import { splitWaves } from '../waves/split-waves.js';
import { waitForWavePlan } from '../waves/wait-for-wave-plan.js';
import { waveDeps } from '../waves/wave-deps.js';
import { deliverDemoInstall, serveDemoEvents } from './demo-install-events.js';
import { waitForRollout } from './wait-for-rollout.js';

/** The demo's waves: a small first wave, a quarter, then the rest. */
const DEMO_PERCENTS = [5, 25, 100];
/** Share of the first wave's portals the simulator deletes, so that wave fails above --halt-failures. */
const DELETED_SHARE = 0.2;

/** Version 2 of the apps: the same apps with new titles (a change imbot.app.update applies). */
function secondVersion(apps: readonly AppDefinition[]): AppDefinition[] {
  return apps.map((app) =>
    appDefinitionSchema.parse({
      ...app,
      LANG: app.LANG.map((lang) => ({ ...lang, TITLE: `${lang.TITLE} v2` })),
    }),
  );
}

/** The first app's title (first language) a portal holds, as the simulator knows it. */
function heldTitle(simulator: SimulatorHandle, domain: string, code: string): string {
  return simulator.portal(domain).apps.find((app) => app.code === code)?.fields.LANG[0]?.TITLE ?? '(none)';
}

/**
 * `demo --waves`: version 1 of the apps goes to every portal at once (a plain rollout: once done, its definitions
 * are the stable ones); then version 2 goes in waves whose first wave holds deleted portals (PORTAL_DELETED): the
 * plan halts after wave 1 with the reason and the failing pairs, nothing of wave 2 is queued. While it is halted a
 * portal installs the application and gets the stable version 1, not the halted version 2 (docs/waves.md, "Stable
 * definitions"). Then the plan is resumed (as `rollout --resume ID` does), the other waves run, the plan ends done
 * and version 2 becomes stable: the next portal to install gets it. Returns the exit code: 0 when it went that way.
 */
export async function demoWaves(
  runtime: Runtime,
  simulator: SimulatorHandle,
  apps: readonly AppDefinition[],
  portals: readonly PortalEntry[],
  installing: readonly string[],
): Promise<number> {
  const deps = waveDeps(runtime);
  const code = apps[0]?.CODE ?? '';
  process.stdout.write(
    'demo: version 1 (examples/apps.json) to every portal at once, as a plain rollout; once it is done its ' +
      'definitions are the stable ones, what a portal that installs the application gets\n',
  );
  const v1 = await enqueuePlainRollout({ apps, portals, source: 'examples/apps.json' }, deps);
  await waitForRollout(runtime.results, v1.pairs, { stream: process.stderr, rolloutId: v1.rolloutId });
  const v1Plan = await advanceWavePlan(deps, v1.rolloutId);
  const stable = await readStableApps(runtime);
  process.stdout.write(
    `demo: rollout ${v1.rolloutId} is ${v1Plan?.state}; stable: ${stable.map((s) => `${s.code} from ${s.planId}`).join(', ')}\n\n`,
  );

  const [first = []] = splitWaves(
    portals.map((p) => p.domain),
    DEMO_PERCENTS,
  );
  const broken = first.slice(0, Math.max(1, Math.round(first.length * DELETED_SHARE)));
  for (const domain of broken) simulator.control.deletePortal(domain);
  process.stdout.write(
    `demo: version 2 (new titles) in waves ${DEMO_PERCENTS.map((p) => `${p}%`).join(',')} with --halt-failures 5%; ` +
      `deleted in the simulator: ${broken.length} of wave 1's ${first.length} portals, so wave 1 should halt the plan\n`,
  );
  const { plan } = await createWavePlan(
    {
      apps: secondVersion(apps),
      portals,
      percents: DEMO_PERCENTS,
      haltFailures: 0.05,
      haltNeedsReauth: 0.2,
      pauseMs: 0,
      source: 'apps-v2.json',
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
      `\`imbot-rollout rollout --resume ${plan.id}\` (accept wave 1 as it is) or --abort.\n`,
  );
  const events = await serveDemoEvents(runtime);
  try {
    const [during, after] = installing;
    let gotStable = true;
    if (during !== undefined) {
      const title = await installAndShow(runtime, simulator, events.url, during, code);
      const wanted = heldTitle(simulator, first.find((d) => !broken.includes(d)) ?? during, code);
      process.stdout.write(
        `demo: meanwhile ${during} installs the application: it gets the stable version 1 ("${title}"), not the ` +
          `halted version 2 that wave 1's portals hold ("${wanted}")\n`,
      );
      gotStable = !title.endsWith(' v2');
    }
    process.stdout.write('demo: resuming now:\n\n');
    await controlWavePlan(deps, plan.id, 'resume');
    let final = await waitForWavePlan(deps, plan.id, { stream: process.stdout, intervalMs: 500 });
    // The demo's other broken portals (one deleted, one whose refresh token was revoked) may halt a later wave too,
    // with few portals: each halt is shown and resumed the same way.
    for (let wave = 2; final?.state === 'halted' && wave <= final.waveSizes.length; wave++) {
      process.stdout.write(`\ndemo: halted again: ${final.reason}\ndemo: resuming now:\n\n`);
      await controlWavePlan(deps, plan.id, 'resume');
      final = await waitForWavePlan(deps, plan.id, { stream: process.stdout, intervalMs: 500 });
    }
    process.stdout.write(`\ndemo: plan ${plan.id} is ${final?.state}: version 2 is now the stable one\n`);
    if (after !== undefined && final?.state === 'done') {
      const title = await installAndShow(runtime, simulator, events.url, after, code);
      process.stdout.write(`demo: ${after} installs the application now: it gets version 2 ("${title}")\n`);
    }
    return final?.state === 'done' && gotStable ? 0 : EXIT_CODES.failed;
  } finally {
    await events.close();
  }
}

/** Delivers an install for `domain`, waits for its apps, and returns the title of `code` the portal now holds. */
async function installAndShow(
  runtime: Runtime,
  simulator: SimulatorHandle,
  url: string,
  domain: string,
  code: string,
): Promise<string> {
  const delivered = await deliverDemoInstall(url, simulator, domain);
  const pairs = (delivered?.codes ?? []).map((c) => ({ domain, code: c }));
  await waitForRollout(runtime.results, pairs, { stream: process.stderr });
  return heldTitle(simulator, domain, code);
}
