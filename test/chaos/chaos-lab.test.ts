import { afterEach, describe, expect, it } from 'vitest';
import { BASE_APP_CODES, baseApps, chaosApp } from '../../chaos/chaos-apps.js';
import { passed } from '../../chaos/check-rollout.js';
import { allRegistered, collectCheck } from '../../chaos/collect-check.js';
import { type ChaosLab, startChaosLab } from '../../chaos/start-chaos-lab.js';
import { toRegisterParams } from '../../src/apps/to-method-params.js';

let lab: ChaosLab | undefined;
afterEach(async () => {
  await lab?.close({ keepDir: false });
  lab = undefined;
});

describe('chaos lab and check, end to end', () => {
  it("passes a clean rollout and catches an app registered behind the store's back", async () => {
    lab = await startChaosLab({ name: 'selftest', sim: { portals: 4, seed: 7 } });
    lab.startWorker(5);
    const summary = await lab.rollout(baseApps());
    const settled = await lab.waitSettled(summary.pairs, 15_000);
    expect(settled).toMatchObject({ total: 8, registered: 8, timedOut: false, leftoverJobs: 0 });
    const expected = allRegistered(
      lab.portals().map((p) => p.domain),
      BASE_APP_CODES.map((a) => a.code),
    );
    const clean = await collectCheck(lab, expected);
    expect(clean).toMatchObject({ pairs: 8, registered: 8, duplicates: 0, unreported: 0, lost: 0, stuck: 0 });
    expect(passed(clean)).toBe(true);

    // A second register of the same CODE that no attempt recorded: exactly what the suite must never let pass.
    const [portal] = lab.portals();
    if (portal?.auth.type !== 'oauth') throw new Error('expected an OAuth portal');
    const fresh = lab.sim.portal(portal.domain).currentAccessToken ?? '';
    await lab.runtime.rest.call(
      { kind: 'oauth', restUrl: portal.restUrl, accessToken: fresh },
      'imbot.app.register',
      toRegisterParams(chaosApp('chaos-cmd'), { botId: portal.botId, hash: undefined }),
    );
    const dirty = await collectCheck(lab, expected);
    expect(dirty).toMatchObject({ registered: 8, duplicates: 1, unreported: 1 });
    expect(dirty.violations[0]).toContain(`${portal.domain}|chaos-cmd: the portal holds 2 app(s)`);
    expect(passed(dirty)).toBe(false);
  }, 30_000);
});
