import type { PortalEntry } from '../../src/portals/portal-entry-schema.js';
import { generatePortalSeeds } from '../../src/simulator/generate-portal-seeds.js';
import { createSeededRandom } from '../../src/simulator/seeded-random.js';
import { waitFor } from '../../test/support/wait-for.js';
import { BASE_APP_CODES, baseApps, chaosApp } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import type { PairExpectation } from '../check-rollout.js';
import { allRegistered, collectCheck, expectPair } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';

const DELETED = 'deleted.chaos.test';
const REVOKED = 'revoked.chaos.test';
const SHORT_TTL = 'short-ttl.chaos.test';
const SHORT_TTL_SECONDS = 2;
/**
 * The three special portals get this many more apps, two pairs (a register and its update each) per request
 * and 1.5 requests/s: ~9 s of work each, so the faults land mid-run. Without the cap one `batch` request would
 * carry 25 pairs and the portal would be done before any fault could strike.
 */
const EXTRA_APPS = 24;
const SLOW_PORTAL_RATE = { rate: 1.5, burst: 2 };
const BATCH = { enabled: true, maxCommands: 4, maxBytes: 1_048_576 };

/**
 * Among a few hundred healthy portals: one is deleted mid-run (PORTAL_DELETED), one has its refresh token
 * revoked mid-run (its access token expires at the same moment, so the next call needs a refresh: invalid_grant),
 * one issues access tokens that live 2 s (a refresh every few calls, shared by all workers). Pairs done before
 * the fault stay registered; the rest end `failed` / `needs_reauth`, with the Bitrix24 code, for `status` to show.
 */
export const brokenPortals: ChaosScenario = {
  name: 'broken-portals',
  fault: 'portal deleted / token revoked / 2 s tokens',
  async run({ seed, portals, log }) {
    const seeds = [
      ...generatePortalSeeds(portals - 3, 0.1, 0.1, createSeededRandom(seed)),
      { domain: DELETED },
      { domain: REVOKED },
      { domain: SHORT_TTL, tokenTtlSeconds: SHORT_TTL_SECONDS, accessTokenExpired: true },
    ];
    const lab = await startChaosLab({
      name: 'broken-portals',
      sim: { portals: seeds, latencyMs: 30, seed },
      config: { batch: BATCH },
    });
    const problems: string[] = [];
    try {
      const entries = lab.portals();
      const special = new Set([DELETED, REVOKED, SHORT_TTL]);
      const slowed: PortalEntry[] = entries
        .filter((p) => special.has(p.domain))
        .map((p) => ({ ...p, rateLimit: SLOW_PORTAL_RATE }));
      const extra = Array.from({ length: EXTRA_APPS }, (_, i) =>
        chaosApp(`chaos-x${String(i + 1).padStart(2, '0')}`),
      );
      lab.startWorker(25);
      lab.startWorker(25);
      const apps = baseApps();
      const base = await lab.rollout(apps, [...entries.filter((p) => !special.has(p.domain)), ...slowed]);
      const more = await lab.rollout(extra, slowed);

      const appsOn = (domain: string) => lab.sim.portal(domain).apps.length;
      const specialApps = BASE_APP_CODES.length + EXTRA_APPS;
      // Each fault strikes once a third of the portal's apps are registered.
      const third = (domain: string) => appsOn(domain) >= specialApps / 3;
      const strikes = [
        waitFor(() => third(DELETED), {
          message: `a third of ${DELETED}`,
          timeoutMs: 60_000,
          intervalMs: 5,
        }).then(() => {
          lab.sim.control.deletePortal(DELETED);
          log(`  deleted ${DELETED} with ${appsOn(DELETED)}/${specialApps} apps registered`);
        }),
        waitFor(() => third(REVOKED), {
          message: `a third of ${REVOKED}`,
          timeoutMs: 60_000,
          intervalMs: 5,
        }).then(() => {
          lab.sim.control.revokeRefreshToken(REVOKED);
          lab.sim.control.expireAccessToken(REVOKED);
          log(
            `  revoked the refresh token of ${REVOKED} with ${appsOn(REVOKED)}/${specialApps} apps registered`,
          );
        }),
      ];
      await Promise.all(strikes);

      const settled = await lab.waitSettled([...base.pairs, ...more.pairs], 90_000);
      const allApps = [...apps, ...extra];
      const secret = lab.config.hashSecret;
      const expected: PairExpectation[] = [
        ...allRegistered(
          entries.filter((p) => !special.has(p.domain)).map((p) => p.domain),
          apps,
          secret,
        ),
        ...allRegistered([SHORT_TTL], allApps, secret),
        ...allApps.map((def) =>
          expectPair(DELETED, def, secret, ['registered', 'failed'], ['PORTAL_DELETED']),
        ),
        ...allApps.map((def) =>
          // Bitrix24's invalid_grant on a pair stored minutes ago: REFRESH_TOKEN_REUSED (docs/tokens.md).
          expectPair(REVOKED, def, secret, ['registered', 'needs_reauth'], ['REFRESH_TOKEN_REUSED']),
        ),
      ];
      const check = await collectCheck(lab, expected);
      const status = await lab.status();
      const ended = (domain: string, state: string) =>
        status.filter((r) => r.portal === domain && r.state === state).length;
      const stats = lab.sim.stats();
      const shortTtlRefreshes = lab.sim.portal(SHORT_TTL).refreshes;
      if (settled.leftoverJobs > 0)
        problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
      if (ended(DELETED, 'failed') === 0) problems.push(`no pair of ${DELETED} met the deletion`);
      if (ended(REVOKED, 'needs_reauth') === 0) problems.push(`no pair of ${REVOKED} met the revoked token`);
      // One refused refresh parks the portal; a second would mean a retry loop on dead credentials, or two
      // workers spending the same refresh token on the short-lived portal.
      if (stats.invalidGrants !== 1)
        problems.push(`${stats.invalidGrants} invalid_grant answers, expected exactly 1`);
      if (shortTtlRefreshes < 3) problems.push(`${SHORT_TTL} refreshed only ${shortTtlRefreshes} time(s)`);
      if ((await lab.runtime.portals.get(REVOKED))?.state !== 'needs_reauth')
        problems.push(`${REVOKED} is not marked needs_reauth`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          deletedFailed: ended(DELETED, 'failed'),
          deletedRegistered: ended(DELETED, 'registered'),
          revokedNeedsReauth: ended(REVOKED, 'needs_reauth'),
          revokedRegistered: ended(REVOKED, 'registered'),
          shortTtlRefreshes,
          invalidGrants: stats.invalidGrants,
          updates: stats.updates,
        },
      };
    } finally {
      await lab.close({ keepDir: true });
    }
  },
};
