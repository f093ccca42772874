import type { AppDefinition } from '../apps/app-definition-schema.js';
import { loadAppsFile } from '../apps/load-apps-file.js';
import type { Config } from '../config/config-schema.js';
import type { Runtime } from '../runtime/create-runtime.js';

export interface DesiredApps {
  apps: AppDefinition[];
  /** Where they came from, shown in the event's answer and the rollout record. */
  source: string;
}

/**
 * The apps a portal installing the application gets (docs/install-events.md): the file named by
 * `events.appsFile` (ROLLOUT_EVENTS_APPS_FILE), read and checked on every install like `rollout --apps`;
 * otherwise the definitions of the last rollout that named apps (recorded by enqueueRollout). None when neither
 * exists yet (the portal is stored; its apps come with the next rollout).
 */
export async function loadDesiredApps(
  deps: { config: Config } & Pick<Runtime, 'redis' | 'keys' | 'definitions'>,
): Promise<DesiredApps> {
  const { config } = deps;
  if (config.events.appsFile !== undefined) {
    const apps = await loadAppsFile(config.events.appsFile, config.input);
    return { apps, source: `events.appsFile ${config.events.appsFile}` };
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
