import { afterEach, describe, expect, it } from 'vitest';
import { toRegisterParams } from '../../src/apps/to-method-params.js';
import type { Runtime } from '../../src/runtime/create-runtime.js';
import { type Harness, jsApp, startHarness } from './support/pipeline-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/**
 * A runtime whose finished-job handler's read of the pair's state is held (only that handler uses `statesOf`):
 * the read value is fetched, then handed out only when released.
 */
function holdFinishedJobRead(runtime: Runtime) {
  let reads = 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reachedResolve: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    reachedResolve = resolve;
  });
  const results = {
    ...runtime.results,
    async statesOf(pairs: readonly { domain: string; code: string }[]) {
      const value = await runtime.results.statesOf(pairs);
      reads++;
      if (reads === 1) {
        reachedResolve();
        await released;
      }
      return value;
    },
  };
  return { deps: { ...runtime, results }, reached, release };
}

describe('a pair re-queued while its job is finishing', () => {
  it('gets its job again once the old one is gone (the add during the window was ignored)', async () => {
    harness = await startHarness({ portals: 1 });
    const [portal] = harness.portals();
    if (!portal) throw new Error('no portal');
    const held = holdFinishedJobRead(harness.runtime);
    harness.startWorker(1, held.deps);
    const first = await harness.rollout([jsApp('echo', '/help')], [portal]);

    // The job registered the app and updated it, and the finished job's handler read the pair once more (stale:
    // "registered, nothing to do").
    await held.reached;
    const changed = await harness.rollout([jsApp('echo', '/start')], [portal]);
    expect(changed.counts.queued).toBe(1); // the pair is pending again, but its add hit the live job's id
    held.release();

    const counts = await harness.settle(first.pairs, 10_000);
    expect(counts.registered).toBe(1);
    const app = harness.sim.portal(portal.domain).apps[0];
    expect(app?.fields.JS_PARAM).toBe('/start');
    // One update converged the register, one applied the change.
    expect(harness.sim.stats().callsByMethod['imbot.app.update']).toBe(2);
  });
});

describe('a job run twice at once (a stalled lock taken over)', () => {
  it('leaves one app when the other run registered it between this run read and its call', async () => {
    harness = await startHarness({ portals: 1 });
    const [portal] = harness.portals();
    if (!portal) throw new Error('no portal');
    const runtime = harness.runtime;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached: () => void = () => undefined;
    const firstRead = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let reads = 0;
    const results = {
      ...runtime.results,
      async getWithDue(domain: string, code: string) {
        const value = await runtime.results.getWithDue(domain, code);
        if (++reads === 1) {
          reached();
          await released;
        }
        return value;
      },
    };
    harness.startWorker(1, { ...runtime, results });
    const echo = jsApp('echo');
    const summary = await harness.rollout([echo], [portal]);

    // This run read "no APP_ID yet"; meanwhile the other run registers the app and stores its APP_ID.
    await firstRead;
    const { target, portal: stored } = await runtime.tokens.targetFor(portal.domain);
    const answer = await runtime.rest.call(
      target,
      'imbot.app.register',
      toRegisterParams(echo, { botId: stored.botId ?? 0, hash: undefined }),
    );
    const otherId = Number(answer.result);
    await runtime.results.markApplied(portal.domain, 'echo', {
      op: 'register',
      appId: otherId,
      defHash: undefined,
      hashUsed: undefined,
    });
    release();

    expect((await harness.settle(summary.pairs)).registered).toBe(1);
    // This run's register was sent and got the same app back (get-or-create): one app, the one stored.
    expect(harness.sim.portal(portal.domain).apps.map((a) => a.appId)).toEqual([otherId]);
    expect(harness.sim.stats().registerExisting).toBe(1);
    expect((await runtime.results.get(portal.domain, 'echo'))?.appId).toBe(otherId);
  });
});
