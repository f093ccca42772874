import { expect } from 'vitest';
import type { AppDefinition } from '../../../src/apps/app-definition-schema.js';
import { deriveAppHash } from '../../../src/apps/derive-app-hash.js';
import { heldFields, normaliseLang, wantedFields } from '../../support/portal-holds.js';
import type { Harness } from './pipeline-harness.js';

/** The HASH a portal must hold for `def` ("auto" derives it per portal, as the harness config's secret does). */
export function hashFor(h: Harness, def: AppDefinition, domain: string): string | undefined {
  if (!('IFRAME' in def)) return undefined;
  return def.HASH === 'auto' ? deriveAppHash(h.config.hashSecret ?? '', domain, def.CODE) : def.HASH;
}

/**
 * Every portal holds exactly one app per CODE, with exactly the defined fields (test/support/portal-holds.ts),
 * under the APP_ID the store names, and the pair is registered without an error (with `attempts` when given).
 */
export async function expectPortalsHold(
  h: Harness,
  apps: readonly AppDefinition[],
  options: { attempts?: number } = {},
): Promise<void> {
  for (const portal of h.portals()) {
    const held = h.sim.portal(portal.domain).apps;
    for (const def of apps) {
      const result = await h.runtime.results.get(portal.domain, def.CODE);
      const mine = held.filter((a) => a.code === def.CODE);
      expect(
        mine.map((a) => a.appId),
        `${portal.domain} ${def.CODE}`,
      ).toEqual([result?.appId]);
      const wanted = wantedFields(def, hashFor(h, def, portal.domain));
      expect(heldFields(mine[0]?.fields ?? {}, wanted), `${portal.domain} ${def.CODE}`).toEqual(
        normaliseLang(wanted),
      );
      expect(result).toMatchObject({
        state: 'registered',
        lastError: null,
        ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
      });
    }
  }
}
