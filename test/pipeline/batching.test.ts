import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { expectPortalsHold } from './support/expect-portals-hold.js';
import { type Harness, iframeApp, jsApp, startHarness } from './support/pipeline-harness.js';

/**
 * One request per portal (docs/architecture.md, "One request per portal"; docs/bitrix24.md,
 * "Batch"): a worker about to call a portal takes the portal's other due pairs along in one `batch` request,
 * and every pair ends exactly as it would with single calls.
 */
const BATCH = { enabled: true, maxCommands: 50, maxBytes: 1_048_576 };

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('batching: one request per portal', () => {
  it('registers and updates 3 apps on each portal in one request, each command once', async () => {
    harness = await startHarness({ portals: 10, seed: 41 }, { batch: BATCH });
    const apps = [jsApp('echo'), jsApp('help', '/help me'), iframeApp('panel')];
    const summary = await harness.rollout(apps);
    harness.startWorker(10);
    expect(await harness.settle(summary.pairs)).toMatchObject({ registered: 30, pending: 0 });
    await expectPortalsHold(harness, apps, { attempts: 1 });
    const stats = harness.sim.stats();
    // Each pair's register and update ran exactly once: no pair was also called by its own job.
    expect(stats.callsByMethod['imbot.app.register']).toBe(30);
    expect(stats.callsByMethod['imbot.app.update']).toBe(30);
    // At most a few requests per portal (the first job of a portal can run before the others are queued).
    expect(stats.calls).toBeLessThanOrEqual(20);
    expect(stats.calls / 30).toBeLessThanOrEqual(0.67);
  });

  it('sends one request for a portal whose pairs are all due, and leaves every other pair to it', async () => {
    harness = await startHarness({ portals: 1 }, { batch: BATCH });
    const apps = Array.from({ length: 12 }, (_, i) => jsApp(`cmd${i}`));
    // Queued before any worker runs: when the first job calls, all 12 pairs are due.
    const summary = await harness.rollout(apps);
    harness.startWorker(4);
    expect(await harness.settle(summary.pairs)).toMatchObject({ registered: 12, pending: 0 });
    expect(harness.sim.stats().calls).toBe(1);
    await expectPortalsHold(harness, apps, { attempts: 1 });
  });

  it('splits at batch.maxCommands: 30 pairs need 60 commands, so two requests or more', async () => {
    harness = await startHarness(
      { portals: 1 },
      { batch: { enabled: true, maxCommands: 50, maxBytes: 1_048_576 } },
    );
    const apps = Array.from({ length: 30 }, (_, i) => jsApp(`cmd${i}`));
    const summary = await harness.rollout(apps);
    harness.startWorker(4);
    expect(await harness.settle(summary.pairs)).toMatchObject({ registered: 30, pending: 0 });
    const stats = harness.sim.stats();
    expect(stats.calls).toBeGreaterThanOrEqual(2);
    expect(stats.calls).toBeLessThanOrEqual(4);
    expect(stats.callsByMethod['imbot.app.register']).toBe(30);
    await expectPortalsHold(harness, apps, { attempts: 1 });
  });

  it('records a failing command on its own pair; the commands it stopped run in the next request', async () => {
    harness = await startHarness({ portals: 1 }, { batch: BATCH });
    const [portal] = harness.portals();
    if (!portal) throw new Error('no portal');
    const apps = [jsApp('alpha'), jsApp('bravo'), jsApp('charlie')];
    const first = await harness.rollout(apps);
    harness.startWorker(2);
    await harness.settle(first.pairs);
    // bravo's app disappears from the portal (someone removed it): its update answers CHAT_APP_ID_ERROR, which
    // stops the batch (halt); bravo is registered anew, alpha and charlie are updated in a later request.
    const bravo = await harness.runtime.results.get(portal.domain, 'bravo');
    await harness.runtime.rest.call(
      (await harness.runtime.tokens.targetFor(portal.domain)).target,
      'imbot.app.unregister',
      { APP_ID: bravo?.appId },
    );
    const changed = [jsApp('alpha', '/alpha'), jsApp('bravo', '/bravo'), jsApp('charlie', '/charlie')];
    const second = await harness.rollout(changed);
    expect(await harness.settle(second.pairs)).toMatchObject({ registered: 3, pending: 0 });
    const apps2 = harness.sim.portal(portal.domain).apps;
    expect(apps2.map((a) => [a.code, a.fields.JS_PARAM]).sort()).toEqual([
      ['alpha', '/alpha'],
      ['bravo', '/bravo'],
      ['charlie', '/charlie'],
    ]);
    expect((await harness.runtime.results.get(portal.domain, 'bravo'))?.appId).not.toBe(bravo?.appId);
  });

  it('retries the whole batch after failed requests and ends with every pair exact', async () => {
    harness = await startHarness(
      { portals: 6, seed: 43, faults: { http500Rate: 0.3, dropAfterWorkRate: 0.15 } },
      { retry: { maxAttempts: 15, baseDelayMs: 20, maxDelayMs: 100, jitter: 0.2 }, batch: BATCH },
    );
    const apps = [jsApp('echo'), iframeApp('panel')];
    const summary = await harness.rollout(apps);
    harness.startWorker(6);
    expect(await harness.settle(summary.pairs, 30_000)).toMatchObject({ registered: 12, failed: 0 });
    const stats = harness.sim.stats();
    expect(stats.injected.http500 + stats.injected.dropped).toBeGreaterThan(0);
    expect(stats.duplicates).toBe(0);
    for (const portal of harness.portals()) {
      for (const def of apps) {
        const mine = harness.sim.portal(portal.domain).apps.filter((a) => a.code === def.CODE);
        expect(mine).toHaveLength(1);
      }
    }
  }, 40_000);

  // Was a bug (found by the chaos suite): pairs that failed for good inside another job's batch kept their own
  // jobs looping (planOperation ignores the failed state; the claim refused them), so the queue never drained.
  it('leaves no job behind when a batch fails its pairs for good (portal deleted)', async () => {
    harness = await startHarness(
      { portals: [{ domain: 'gone.sim.test', state: 'deleted' }] },
      { batch: BATCH },
    );
    const apps = Array.from({ length: 6 }, (_, i) => jsApp(`cmd${i}`));
    const summary = await harness.rollout(apps);
    harness.startWorker(6);
    expect(await harness.settle(summary.pairs)).toMatchObject({ failed: 6, pending: 0 });
    const queue = harness.runtime.queue;
    await waitFor(
      async () =>
        expect(await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized')).toMatchObject({
          waiting: 0,
          delayed: 0,
          active: 0,
          prioritized: 0,
        }),
      { timeoutMs: 15_000, intervalMs: 100, message: 'the queue to drain' },
    );
    expect(harness.sim.portal('gone.sim.test').calls).toBe(1);
  });

  it('calls each pair alone with batch.enabled false (one request per command)', async () => {
    harness = await startHarness(
      { portals: 2 },
      { batch: { enabled: false, maxCommands: 50, maxBytes: 1_048_576 } },
    );
    const apps = [jsApp('echo'), iframeApp('panel')];
    const summary = await harness.rollout(apps);
    harness.startWorker(4);
    expect(await harness.settle(summary.pairs)).toMatchObject({ registered: 4 });
    const stats = harness.sim.stats();
    expect(stats.calls).toBe(8);
    expect(stats.callsByMethod['batch']).toBeUndefined();
    await expectPortalsHold(harness, apps, { attempts: 1 });
  });
});

describe('batching: a job whose pair another batch took along', () => {
  it('ends at once when the batch settles its pair while the job is deciding to wait for the claim', async () => {
    // A long claim (request timeout 20 s): a job that missed the batch's wake would sit delayed until it ends.
    harness = await startHarness(
      { portals: 1 },
      { batch: BATCH, request: { timeoutMs: 20_000, refreshTimeoutMs: 2_000 } },
    );
    const h = harness;
    const apps = [jsApp('alpha'), jsApp('beta')];
    const summary = await h.rollout(apps);
    // The follower's first read sees its pair claimed (due in the future); it is held until the leader's batch
    // has settled the pair and woken the jobs (the leader's job is gone), then returns that stale read: the
    // follower then moves its job to delayed after the wake found nothing to wake.
    let stalled = false;
    const results = {
      ...h.runtime.results,
      async getWithDue(domain: string, code: string) {
        const read = await h.runtime.results.getWithDue(domain, code);
        if (!stalled && read.dueAt !== undefined && read.dueAt > Date.now() + 1_000) {
          stalled = true;
          await waitFor(
            async () => {
              const [pair] = await h.runtime.results.statesOf([{ domain, code }]);
              const jobs = await h.runtime.queue.getJobCounts('active');
              if (pair?.state !== 'registered' || jobs['active'] !== 1) throw new Error('leader not done');
            },
            { timeoutMs: 10_000, intervalMs: 20, message: 'the leader to finish its batch' },
          );
        }
        return read;
      },
    };
    h.startWorker(2, { ...h.runtime, results });
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 2, pending: 0 });
    expect(stalled).toBe(true);
    // Both jobs end well before the 20 s claim would have: the follower looked again after its move.
    await waitFor(
      async () => {
        const jobs = await h.runtime.queue.getJobCounts('active', 'delayed', 'waiting');
        if (jobs['active'] || jobs['delayed'] || jobs['waiting'])
          throw new Error(`jobs left: ${JSON.stringify(jobs)}`);
      },
      { timeoutMs: 5_000, intervalMs: 50, message: 'the queue to drain' },
    );
    expect(h.sim.stats().calls).toBe(1);
  });
});
