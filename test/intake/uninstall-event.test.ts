import { afterEach, describe, expect, it } from 'vitest';
import { definitionHash } from '../../src/apps/definition-hash.js';
import { addPairJobs } from '../../src/pipeline/add-pair-jobs.js';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { sendAppEvent } from '../../src/simulator/send-app-event.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';
import { type IntakeHarness, startIntakeHarness } from './support/intake-harness.js';

/** docs/install-events.md, "Uninstall": pending jobs dropped, pairs parked as APP_UNINSTALLED, no more calls. */
let h: IntakeHarness | undefined;
afterEach(async () => {
  await h?.closeAll();
  h = undefined;
});

const APPS = [jsApp('echo'), jsApp('help', '/help me')];
const CODES = APPS.map((app) => app.CODE);

describe('uninstall events', () => {
  it('drops the portal pending jobs, parks its pairs, and nothing calls the portal afterwards', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'other.sim.test' }, { domain: 'gone.sim.test' }] });
    await h.rollout(
      APPS,
      h.portals().filter((p) => p.domain === 'other.sim.test'),
    );
    // Installed while no worker runs: its two jobs wait in the queue.
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'gone.sim.test', 'install')).status).toBe(200);
    expect(await h.jobsOf('gone.sim.test', CODES)).toHaveLength(2);
    const callsBefore = h.sim.portal('gone.sim.test').calls; // none: the install was verified by an OAuth refresh

    const uninstall = h.sim.appEvent('gone.sim.test', 'uninstall');
    const answer = await sendAppEvent(h.eventsUrl, uninstall);
    expect(answer).toMatchObject({ status: 200, body: { ok: true, pairs: 2, jobsRemoved: 2 } });
    expect(await h.jobsOf('gone.sim.test', CODES)).toEqual([]);
    for (const code of CODES) {
      expect(await h.runtime.results.get('gone.sim.test', code)).toMatchObject({
        state: 'needs_reauth',
        appId: null,
        lastError: { code: 'APP_UNINSTALLED' },
      });
    }
    expect((await h.runtime.portals.get('gone.sim.test'))?.state).toBe('uninstalled');
    // Delivered again: the same answer, nothing else.
    expect(await sendAppEvent(h.eventsUrl, uninstall)).toMatchObject({
      status: 200,
      body: { duplicate: true },
    });

    // A producer racing the uninstall queues a pair of the portal again: its job ends without a call.
    const echoHash = definitionHash(jsApp('echo')); // stored by the rollout above
    expect(
      await h.runtime.results.requestPresent([
        { domain: 'gone.sim.test', code: 'echo', defHash: echoHash, portalParked: false },
      ]),
    ).toEqual(['queued']);
    await addPairJobs(h.runtime.queue, [{ domain: 'gone.sim.test', code: 'echo' }]);
    h.startWorker(4);
    await h.settle(CODES.map((code) => ({ domain: 'other.sim.test', code })));
    await waitFor(
      async () =>
        expect(await h?.runtime.results.get('gone.sim.test', 'echo')).toMatchObject({
          state: 'needs_reauth',
          lastError: { code: 'APP_UNINSTALLED' },
        }),
      { message: 'the raced pair parked' },
    );
    // A new rollout for every stored portal parks the uninstalled one instead of calling it.
    const next = await enqueueRollout({ apps: [jsApp('echo', '/v2')], portals: undefined }, h.runtime);
    expect(next.counts).toMatchObject({ queued: 1, parked: 1 });
    await h.settle([{ domain: 'other.sim.test', code: 'echo' }]);
    expect(h.sim.portal('gone.sim.test').calls).toBe(callsBefore);
    expect(h.sim.portal('gone.sim.test').apps).toEqual([]);
  });

  it('a new install after an uninstall is verified again and registers the apps again', async () => {
    h = await startIntakeHarness({ portals: [{ domain: 'back.sim.test' }] });
    await h.rollout(APPS, h.portals());
    h.startWorker(4);
    await h.settle(CODES.map((code) => ({ domain: 'back.sim.test', code })));
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'back.sim.test', 'install')).status).toBe(200);
    expect((await h.sim.sendAppEvent(h.eventsUrl, 'back.sim.test', 'uninstall')).status).toBe(200);
    const reinstall = await h.sim.sendAppEvent(h.eventsUrl, 'back.sim.test', 'install');
    expect(reinstall).toMatchObject({ status: 200, body: { portal: 'updated', queued: 2 } });
    await waitFor(
      async () => {
        for (const code of CODES)
          expect((await h?.runtime.results.get('back.sim.test', code))?.state).toBe('registered');
      },
      { timeoutMs: 20_000, message: 'the apps registered again' },
    );
    expect((await h.runtime.portals.get('back.sim.test'))?.state).toBe('active');
    // The install and the reinstall were each verified with one OAuth refresh (the workers' tokens stay fresh).
    expect(h.sim.stats().refreshes).toBe(2);
  });
});
