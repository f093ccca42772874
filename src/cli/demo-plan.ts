import type { AppDefinition } from '../apps/app-definition-schema.js';
import { EXIT_CODES } from '../errors/operator-error.js';
import { formatTable } from '../ops/format-table.js';
import { countPairs, isSettled } from '../ops/pair-counts.js';
import { enqueueRollout } from '../pipeline/enqueue-rollout.js';
import { computeRolloutPlan } from '../plan/compute-rollout-plan.js';
import { formatPlanSummary } from '../plan/format-plan-summary.js';
import { PLAN_ACTIONS, type PlanAction } from '../plan/predict-pair-action.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { waitForRollout } from './wait-for-rollout.js';

/** What the rollout did to a pair, from the operations its history gained and the state it ended in. */
function didAction(ops: readonly string[], state: string | undefined): PlanAction | 'failed' {
  if (state === 'failed') return 'failed';
  if (ops.includes('unregister') && ops.includes('register')) return 'recreate';
  if (ops.includes('register')) return 'register';
  if (ops.includes('update')) return 'update';
  return state === 'needs_reauth' ? 'blocked' : 'unchanged';
}

async function rollOut(runtime: Runtime, apps: readonly AppDefinition[], portals: readonly PortalEntry[]) {
  const summary = await enqueueRollout({ apps, portals, recreate: true }, runtime);
  await waitForRollout(runtime.results, summary.pairs, {
    stream: process.stderr,
    unchanged: summary.counts.unchanged,
  });
  return summary;
}

/**
 * `demo --plan`: version 1 of the example apps is rolled out (one portal got an older version of the first app,
 * with an icon), one portal is parked and one uninstalled; then a plan for version 2 of the first app shows updates
 * with their field diffs on most portals, a recreate refused on the one portal, and the blocked portals. Planned
 * again with --recreate, it is applied, and the plan's prediction is compared with what the rollout did, pair by
 * pair. Returns the exit code: 0 when every pair that did not fail went as planned.
 */
export async function demoPlan(
  runtime: Runtime,
  apps: readonly AppDefinition[],
  portals: readonly PortalEntry[],
): Promise<number> {
  const [first, ...others] = apps;
  const iconOf = apps.find((app) => app.ICON_FILE !== undefined)?.ICON_FILE;
  const [odd, parked, uninstalled, ...rest] = portals;
  if (!first || 'IFRAME' in first || !iconOf || !odd || !parked || !uninstalled || rest.length === 0) {
    process.stdout.write(
      'demo: --plan needs at least 4 portals and a JS command first in examples/apps.json\n',
    );
    return EXIT_CODES.failed;
  }
  process.stdout.write(`demo: rolling out version 1 of ${apps.map((a) => a.CODE).join(', ')}\n`);
  await rollOut(runtime, apps, [parked, uninstalled, ...rest]);
  await rollOut(runtime, [{ ...first, ICON_FILE: iconOf }, ...others], [odd]);
  await runtime.portals.markNeedsReauth(parked.domain, 'demo: refresh token revoked');
  await runtime.portals.markUninstalled(uninstalled.domain, 'demo: ONAPPUNINSTALL');
  const v2: AppDefinition[] = [
    { ...first, LANG: (first.LANG ?? []).map((l) => ({ ...l, TITLE: `${l.TITLE} (v2)` })), CONTEXT: 'ALL' },
    ...others,
  ];
  process.stdout.write(
    `\ndemo: version 2 changes ${first.CODE}'s titles and CONTEXT; ${odd.domain} holds an older ${first.CODE} ` +
      `with an icon; ${parked.domain} is parked, ${uninstalled.domain} uninstalled. rollout --plan says:\n\n`,
  );
  const planned = await computeRolloutPlan(
    { apps: v2, portals, recreate: false, replace: false },
    runtime,
    () => {},
  );
  process.stdout.write(`${formatPlanSummary(planned).join('\n')}\n`);

  process.stdout.write('\ndemo: planned again with --recreate, then applied:\n');
  const predicted = new Map<string, PlanAction>();
  const historyBefore = new Map<string, number>();
  await computeRolloutPlan({ apps: v2, portals, recreate: true, replace: false }, runtime, async (entry) => {
    const key = `${entry.domain}|${entry.code}`;
    predicted.set(key, entry.action);
    historyBefore.set(key, (await runtime.results.history(entry.domain, entry.code)).length);
  });
  const summary = await rollOut(runtime, v2, portals);
  const counts = await countPairs(runtime.results, summary.pairs);
  if (!isSettled(counts)) return EXIT_CODES.failed;

  const did = new Map<string, number>();
  const plannedCounts = new Map<string, number>();
  let mismatches = 0;
  for (const pair of summary.pairs) {
    const key = `${pair.domain}|${pair.code}`;
    const history = await runtime.results.history(pair.domain, pair.code);
    const ops = history
      .slice(0, history.length - (historyBefore.get(key) ?? 0))
      .filter((r) => r.outcome === 'ok')
      .map((r) => r.op);
    const action = didAction(ops, (await runtime.results.get(pair.domain, pair.code))?.state);
    const plan = predicted.get(key) ?? 'unchanged';
    did.set(action, (did.get(action) ?? 0) + 1);
    plannedCounts.set(plan, (plannedCounts.get(plan) ?? 0) + 1);
    if (action !== 'failed' && action !== plan) mismatches++;
  }
  process.stdout.write(
    `\n${formatTable(
      ['ACTION', 'PLANNED', 'DONE'],
      [...PLAN_ACTIONS, 'failed' as const].map((a) => [
        a,
        String(plannedCounts.get(a) ?? 0),
        String(did.get(a) ?? 0),
      ]),
    )}\n`,
  );
  process.stdout.write(
    mismatches === 0
      ? 'demo: every pair went as planned (a failed pair is a planned call the portal refused, e.g. a deleted portal)\n'
      : `demo: ${mismatches} pair(s) did not go as planned\n`,
  );
  return mismatches === 0 ? 0 : EXIT_CODES.failed;
}
