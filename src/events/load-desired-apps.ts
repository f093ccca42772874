import type { AppDefinition } from '../apps/app-definition-schema.js';
import { loadAppsFile } from '../apps/load-apps-file.js';
import type { Config } from '../config/config-schema.js';
import type { Runtime } from '../runtime/create-runtime.js';
import { readStableApps } from '../store/read-stable-apps.js';

export interface DesiredApps {
  apps: AppDefinition[];
  /** Where they came from, shown in the event's answer and the rollout record. */
  source: string;
}

/**
 * The apps a portal installing the application gets (docs/install-events.md, "Configuration": Which apps), first match wins:
 * 1. the file named by `events.appsFile` (ROLLOUT_EVENTS_APPS_FILE), read and checked on every install like
 *    `rollout --apps`;
 * 2. the stable definition of every CODE (docs/waves.md, "Stable definitions"): the last plan or plain rollout
 *    that ended done, or the one `rollout --promote` chose; never the definitions of a plan still in flight (a
 *    halted canary stays with its waves);
 * 3. while no CODE has a stable definition yet (a first rollout still running, or data from before stable
 *    definitions), the apps of the last plain rollout that named apps (recorded by enqueueRollout; the waves of a
 *    plan do not record theirs).
 * None when none of these exists (the portal is stored; its apps come with the next rollout).
 */
export async function loadDesiredApps(
  deps: { config: Config } & Pick<Runtime, 'redis' | 'keys' | 'definitions'>,
): Promise<DesiredApps> {
  const { config } = deps;
  if (config.events.appsFile !== undefined) {
    const apps = await loadAppsFile(config.events.appsFile, config.input);
    return { apps, source: `events.appsFile ${config.events.appsFile}` };
  }
  const stable = await readStableApps(deps);
  if (stable.length > 0) {
    const apps: AppDefinition[] = [];
    for (const { defHash } of stable) {
      const def = await deps.definitions.get(defHash);
      if (def !== undefined) apps.push(def);
    }
    const from = [...new Set(stable.map((s) => s.planId))].join(', ');
    return { apps, source: `the stable apps (from ${from})` };
  }
  const raw = await deps.redis.get(deps.keys.lastRolloutDefs);
  if (raw === null) return { apps: [], source: 'no rollout yet' };
  const hashes: unknown = JSON.parse(raw);
  const apps: AppDefinition[] = [];
  if (Array.isArray(hashes)) {
    for (const hash of hashes) {
      const def = typeof hash === 'string' ? await deps.definitions.get(hash) : undefined;
      if (def !== undefined) apps.push(def);
    }
  }
  return { apps, source: 'the last rollout' };
}
