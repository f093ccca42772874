import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { AppDefinition } from '../apps/app-definition-schema.js';
import { canonicalJson } from '../apps/canonical-json.js';
import { definitionHash } from '../apps/definition-hash.js';
import type { PortalEntry } from '../portals/portal-entry-schema.js';
import type { WaveOptions } from '../waves/run-wave-commands.js';
import type { PlanRequestRecord } from './plan-file.js';

/**
 * SHA-256 of the validated portal entries (canonical JSON): tells whether the portals file `rollout --apply`
 * reads is the one planned with, without keeping a credential in the plan.
 */
export function portalsDigest(portals: readonly PortalEntry[]): string {
  return createHash('sha256').update(canonicalJson(portals)).digest('hex');
}

/** What a plan records of its inputs (planRequestSchema): paths, definition hashes, the portals' digest. */
export function recordPlanRequest(input: {
  appsFile: string | undefined;
  apps: readonly AppDefinition[] | undefined;
  portalsFile: string | undefined;
  portals: readonly PortalEntry[] | undefined;
  recreate: boolean;
  replace: boolean;
  waves: WaveOptions | undefined;
}): PlanRequestRecord {
  return {
    apps:
      input.apps && input.appsFile
        ? {
            file: resolve(input.appsFile),
            definitions: input.apps.map((app) => ({ code: app.CODE, defHash: definitionHash(app) })),
          }
        : null,
    portals:
      input.portals && input.portalsFile
        ? {
            file: resolve(input.portalsFile),
            count: input.portals.length,
            digest: portalsDigest(input.portals),
          }
        : null,
    recreate: input.recreate,
    replace: input.replace,
    waves: input.waves ? { ...input.waves, percents: [...input.waves.percents] } : null,
  };
}
