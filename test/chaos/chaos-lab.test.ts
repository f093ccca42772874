import { afterEach, describe, expect, it } from 'vitest';
import { baseApps, chaosApp } from '../../chaos/chaos-apps.js';
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
  it("passes a clean rollout and catches fields changed and an app registered behind the store's back", async () => {
    lab = await startChaosLab({ name: 'selftest', sim: { portals: 4, seed: 7 } });
    lab.startWorker(5);
    const apps = baseApps();
    const summary = await lab.rollout(apps);
    const settled = await lab.waitSettled(summary.pairs, 15_000);
    expect(settled).toMatchObject({ total: 8, registered: 8, timedOut: false, leftoverJobs: 0 });
    const expected = allRegistered(
      lab.portals().map((p) => p.domain),
      apps,
      lab.config.hashSecret,
    );
    const clean = await collectCheck(lab, expected);
    expect(clean).toMatchObject({
      pairs: 8,
      registered: 8,
      fieldsExact: 8,
      reRegisters: 0,
      duplicates: 0,
      wrongFields: 0,
      lost: 0,
      stuck: 0,
    });
    expect(passed(clean)).toBe(true);

    const [portal] = lab.portals();
    if (portal?.auth.type !== 'oauth') throw new Error('expected an OAuth portal');
    const target = {
      kind: 'oauth' as const,
      restUrl: portal.restUrl,
      accessToken: lab.sim.portal(portal.domain).currentAccessToken ?? '',
    };
    const cmd = lab.sim.portal(portal.domain).apps.find((a) => a.code === 'chaos-cmd');
    // A person edits the command on the portal, and registers an app of a CODE the rollout does not know.
    await lab.runtime.rest.call(target, 'imbot.app.update', {
      APP_ID: cmd?.appId,
      FIELDS: { JS_METHOD: 'SEND', JS_PARAM: '/edited' },
    });
    await lab.runtime.rest.call(
      target,
      'imbot.app.register',
      toRegisterParams(chaosApp('chaos-other'), { botId: portal.botId ?? 0, hash: undefined }),
    );
    // A register of a CODE the portal holds returns that app (get-or-create): counted, never a second app.
    await lab.runtime.rest.call(
      target,
      'imbot.app.register',
      toRegisterParams(chaosApp('chaos-cmd'), { botId: portal.botId ?? 0, hash: undefined }),
    );
    const stray = lab.sim.portal(portal.domain).apps.find((a) => a.code === 'chaos-other');
    const dirty = await collectCheck(lab, expected);
    expect(dirty).toMatchObject({
      registered: 8,
      fieldsExact: 7,
      wrongFields: 1,
      duplicates: 1,
      reRegisters: 1,
    });
    expect(dirty.violations).toEqual([
      `${portal.domain}|chaos-other: the portal holds 1 app(s) [${stray?.appId}] that no pair accounts for`,
      `${portal.domain}|chaos-cmd: APP_ID ${cmd?.appId} JS_PARAM held "/edited", wanted "/chaos-cmd"`,
    ]);
    expect(passed(dirty)).toBe(false);
  }, 30_000);
});
