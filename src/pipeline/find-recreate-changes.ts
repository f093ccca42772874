import { type AppDefinition, isIframeApp } from '../apps/app-definition-schema.js';
import type { InputProblem } from '../input/input-error.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { PairResult } from '../store/pair-result.js';

/** Why update cannot bring an app from one definition to another (docs/bitrix24.md, "Update"). */
export type RecreateReason = 'icon' | 'kind';

/**
 * Changes `imbot.app.update` cannot apply, so the portal would silently keep the old value:
 * - the icon: update accepts ICON_FILE and never applies it (also a removed icon is never cleared);
 * - a JS command <-> IFRAME switch: update writes only the non-empty side and leaves the old one filled.
 * Undefined when update can apply every difference (HIDDEN included).
 */
export function recreateReason(before: AppDefinition, after: AppDefinition): RecreateReason | undefined {
  if (isIframeApp(before) !== isIframeApp(after)) return 'kind';
  if ((before.ICON_FILE ?? null) !== (after.ICON_FILE ?? null)) return 'icon';
  return undefined;
}

/**
 * Why the pair's app must be replaced to reach `defHash` (undefined: update can apply the change, or the pair holds
 * no app with a known applied definition). `before` is the pair's applied definition, `after` the wanted one.
 * Shared by the producer (findRecreateChanges) and the plan (src/plan/predict-pair-action.ts).
 */
export function pairRecreateReason(
  result: PairResult | undefined,
  defHash: string,
  before: AppDefinition | undefined,
  after: AppDefinition | undefined,
): RecreateReason | undefined {
  if (!result || result.appId === null || !result.appliedDefHash) return undefined;
  if (result.appliedDefHash === defHash) return undefined;
  return before && after ? recreateReason(before, after) : undefined;
}

export interface RecreateChanges {
  /** `domain|code` of each registered pair whose change needs unregister + register. */
  pairs: Set<string>;
  /** One problem per app CODE, for refusing the rollout when `--recreate` was not given. */
  problems: InputProblem[];
}

/**
 * For each wanted pair that holds an app with a known applied definition, whether the new definition differs
 * in a way update cannot apply. `current` is each wanted pair's stored result (same order); each applied
 * definition is read once.
 */
export async function findRecreateChanges(
  wanted: readonly { domain: string; code: string; defHash: string }[],
  current: readonly (PairResult | undefined)[],
  newDefinitions: ReadonlyMap<string, AppDefinition>,
  deps: { definitions: DefinitionStore },
): Promise<RecreateChanges> {
  const applied = new Map<string, AppDefinition | undefined>();
  const pairs = new Set<string>();
  const byCode = new Map<string, { reason: RecreateReason; portals: number }>();
  for (const [index, pair] of wanted.entries()) {
    const result = current[index];
    if (!result || result.appId === null || !result.appliedDefHash) continue;
    if (result.appliedDefHash === pair.defHash) continue;
    if (!applied.has(result.appliedDefHash)) {
      applied.set(result.appliedDefHash, await deps.definitions.get(result.appliedDefHash));
    }
    const reason = pairRecreateReason(
      result,
      pair.defHash,
      applied.get(result.appliedDefHash),
      newDefinitions.get(pair.defHash),
    );
    if (reason === undefined) continue;
    pairs.add(`${pair.domain}|${pair.code}`);
    const entry = byCode.get(pair.code) ?? { reason, portals: 0 };
    entry.portals++;
    byCode.set(pair.code, entry);
  }
  const problems = [...byCode].map(([code, c]) => ({
    where: `apps[CODE=${code}].${c.reason === 'icon' ? 'ICON_FILE' : 'JS_METHOD/IFRAME'}`,
    message:
      `${c.reason === 'icon' ? 'the icon changes' : 'the app switches between a JS command and an IFRAME app'} on ` +
      `${c.portals} portal(s) where it is registered, and imbot.app.update cannot apply that (docs/bitrix24.md, ` +
      '"Update"): roll out with --recreate to replace those apps (unregister + register: their APP_ID changes), ' +
      'or keep the old value',
  }));
  return { pairs, problems };
}
