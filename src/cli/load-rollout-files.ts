import type { AppDefinition } from '../apps/app-definition-schema.js';
import { loadAppsFile } from '../apps/load-apps-file.js';
import type { Config } from '../config/config-schema.js';
import { loadPortalsFile } from '../portals/load-portals-file.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';

/**
 * The apps and portals files of a rollout (`rollout`, `rollout --plan`, `rollout --apply`), each validated whole
 * before anything is written, with the configuration's limits and rules: ROLLOUT_ALLOW_HTTP / ROLLOUT_ALLOW_HOSTS,
 * and `"auth": {"type": "source"}` entries only when a token source is configured (docs/tokens.md).
 */
export async function loadRolloutFiles(
  files: { apps: string | undefined; portals: string | undefined },
  config: Config,
): Promise<{ apps: AppDefinition[] | undefined; portals: PortalEntry[] | undefined }> {
  const apps = files.apps
    ? await loadAppsFile(files.apps, {
        maxFileBytes: config.input.maxFileBytes,
        maxIconBytes: config.input.maxIconBytes,
      })
    : undefined;
  const portals = files.portals
    ? await loadPortalsFile(files.portals, {
        allowHttp: config.allowHttp,
        allowHosts: config.allowHosts,
        tokenSource: config.tokens.source.url !== undefined,
        maxFileBytes: config.input.maxFileBytes,
      })
    : undefined;
  return { apps, portals };
}
