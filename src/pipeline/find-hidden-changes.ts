import { type AppDefinition, isIframeApp } from '../apps/app-definition-schema.js';
import type { InputProblem } from '../input/input-error.js';
import type { ResultStore } from '../results/result-store.js';
import type { DefinitionStore } from '../store/definition-store.js';

function hiddenOf(def: AppDefinition): string {
  return isIframeApp(def) ? (def.HIDDEN ?? 'N') : 'N';
}

/**
 * `imbot.app.update` cannot change HIDDEN (bitrix24-facts.md lists the fields it takes; HIDDEN is not one), so
 * a definition that flips HIDDEN for a pair that is already registered cannot be applied by an update. Such a
 * rollout is refused whole, naming the apps, instead of being half-applied.
 */
export async function findHiddenChanges(
  wanted: readonly { domain: string; code: string; defHash: string }[],
  newDefinitions: ReadonlyMap<string, AppDefinition>,
  deps: { results: ResultStore; definitions: DefinitionStore },
): Promise<InputProblem[]> {
  const applied = new Map<string, AppDefinition | undefined>();
  const conflicts = new Map<string, { from: string; to: string; portals: number }>();
  for (let i = 0; i < wanted.length; i += 2_000) {
    const chunk = wanted.slice(i, i + 2_000);
    const results = await deps.results.getMany(chunk);
    for (const [index, result] of results.entries()) {
      const pair = chunk[index];
      if (!pair || !result || result.appId === null || !result.appliedDefHash) continue;
      if (result.appliedDefHash === pair.defHash) continue;
      if (!applied.has(result.appliedDefHash)) {
        applied.set(result.appliedDefHash, await deps.definitions.get(result.appliedDefHash));
      }
      const before = applied.get(result.appliedDefHash);
      const after = newDefinitions.get(pair.defHash);
      if (!before || !after || hiddenOf(before) === hiddenOf(after)) continue;
      const entry = conflicts.get(pair.code) ?? { from: hiddenOf(before), to: hiddenOf(after), portals: 0 };
      entry.portals++;
      conflicts.set(pair.code, entry);
    }
  }
  return [...conflicts].map(([code, c]) => ({
    where: `apps[CODE=${code}].HIDDEN`,
    message:
      `HIDDEN changes from ${c.from} to ${c.to} on ${c.portals} portal(s) where the app is registered, and ` +
      'imbot.app.update cannot change HIDDEN: run `imbot-rollout unregister --code ' +
      `${code}\` first, then roll out again (or keep HIDDEN as it was)`,
  }));
}
