import { canonicalJson } from '../apps/canonical-json.js';
import { UsageError } from '../errors/operator-error.js';
import { computeRolloutPlan, type PlanDeps, type RolloutPlanRequest } from './compute-rollout-plan.js';
import type { PlanFile, PlanRequestRecord } from './plan-file.js';
import { type PlanEntry, type PlanSummary, planRefusals } from './plan-summary.js';
import { StalePlanError } from './stale-plan-error.js';

/** How many changed pairs a refusal names (the count covers them all). */
export const NAMED_CHANGES = 50;

const HOUR = 3_600_000;
function age(ms: number): string {
  return ms >= HOUR ? `${Math.round((ms / HOUR) * 10) / 10} h` : `${Math.round(ms / 60_000)} min`;
}

type Prediction = { [K in keyof Omit<PlanEntry, 'domain' | 'code'>]?: PlanEntry[K] | undefined };

function describe(entry: Prediction | undefined): string {
  if (entry === undefined) return 'not in the plan';
  const rest = entry;
  const detail = rest.fields
    ? ` ${rest.fields.join(',')}`
    : rest.blocked
      ? ` (${rest.blocked})`
      : rest.rolloutId
        ? ` (${rest.rolloutId})`
        : '';
  return `${rest.action}${rest.refused ? ' (refused)' : ''}${detail}`;
}

/**
 * Checks that a saved plan still describes what its rollout would do, before `rollout --apply` queues it:
 * - not older than `maxAgeMs`;
 * - not a plan the producer would refuse whole (a conflict without --replace, a change needing --recreate);
 * - the same definitions (`current` is the request as read again from the plan's files);
 * - every pair's prediction, computed again from the durable state now, equal to the saved one.
 * Throws StalePlanError naming up to NAMED_CHANGES changed pairs and their count; returns the new summary.
 */
export async function checkPlanHolds(
  plan: PlanFile,
  current: { request: RolloutPlanRequest; record: PlanRequestRecord },
  deps: PlanDeps,
  options: { maxAgeMs: number },
): Promise<PlanSummary> {
  const made = Date.parse(plan.createdAt);
  const elapsed = deps.now() - made;
  if (elapsed > options.maxAgeMs) {
    throw new StalePlanError(
      `plan ${plan.id} was made ${age(elapsed)} ago (${plan.createdAt}), more than the ${age(options.maxAgeMs)} allowed ` +
        '(--max-age, or plan.maxAgeMs / ROLLOUT_PLAN_MAX_AGE_MS): plan again with rollout --plan',
    );
  }
  const refusals = planRefusals(plan.summary);
  if (refusals.length > 0) {
    throw new UsageError(
      `plan ${plan.id} describes a rollout that is refused whole; plan again once this is resolved:\n${refusals.map((r) => `  - ${r}`).join('\n')}`,
    );
  }
  const inputs: string[] = [];
  const planned = plan.request.apps?.definitions ?? [];
  const now = current.record.apps?.definitions ?? [];
  if (canonicalJson(planned) !== canonicalJson(now)) {
    const hashes = new Map(now.map((d) => [d.code, d.defHash] as const));
    const codes = new Set([...planned.map((d) => d.code), ...now.map((d) => d.code)]);
    const changed = [...codes].filter(
      (code) => planned.find((d) => d.code === code)?.defHash !== hashes.get(code),
    );
    inputs.push(
      `the definitions in ${plan.request.apps?.file ?? 'the apps file'} changed since the plan (${changed.length > 0 ? changed.join(', ') : 'their order'})`,
    );
  }
  if (canonicalJson(plan.request.portals) !== canonicalJson(current.record.portals))
    inputs.push(`the portals in ${plan.request.portals?.file ?? 'the portals file'} changed since the plan`);
  if (inputs.length > 0) {
    throw new StalePlanError(
      `plan ${plan.id} no longer holds, nothing was queued: ${inputs.join('; ')}: plan again`,
    );
  }

  const saved = new Map<string, Prediction>();
  for (const { domain, code, ...rest } of plan.pairs) saved.set(`${domain}|${code}`, rest);
  const changed: string[] = [];
  let changes = 0;
  const note = (line: string) => {
    changes++;
    if (changed.length < NAMED_CHANGES) changed.push(line);
  };
  const summary = await computeRolloutPlan(current.request, deps, ({ domain, code, ...now }) => {
    const key = `${domain}|${code}`;
    const before = saved.get(key);
    saved.delete(key);
    if (before === undefined || canonicalJson(before) !== canonicalJson(now))
      note(`${domain} ${code}: planned ${describe(before)}, now ${describe(now)}`);
  });
  for (const [key, before] of saved) {
    const [domain, code] = key.split('|');
    note(`${domain} ${code}: planned ${describe(before)}, now not part of the rollout`);
  }
  if (changes > 0) {
    throw new StalePlanError(
      `plan ${plan.id} no longer holds, nothing was queued: ${changes} pair(s) would now get another action ` +
        `(a pair settled, a definition changed, a portal re-imported or parked since the plan)${changes > changed.length ? `; the first ${changed.length}` : ''}:\n` +
        `${changed.map((line) => `  - ${line}`).join('\n')}\nplan again with rollout --plan`,
    );
  }
  return summary;
}
