import { afterEach, describe, expect, it } from 'vitest';
import { ExtraAppError } from '../../src/ops/extra-app-error.js';
import { resolveAmbiguousPair } from '../../src/ops/resolve-ambiguous-pair.js';
import { ResolveRefusedError } from '../../src/ops/resolve-refused-error.js';
import { retryFailedPairs } from '../../src/ops/retry-failed-pairs.js';
import { unregisterExtraApp } from '../../src/ops/unregister-extra-app.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/**
 * good.sim.test registered cleanly; dup.sim.test registered after two register calls that were dropped after
 * the work (ambiguousAttempts 2, three apps with CODE echo on the portal).
 */
async function dupHarness(configOverrides: Record<string, unknown> = {}): Promise<Harness> {
  const h = await startHarness(
    { portals: [{ domain: 'good.sim.test' }, { domain: 'dup.sim.test', faults: { dropAfterWorkRate: 1 } }] },
    { retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50, jitter: 0 }, ...configOverrides },
  );
  harness = h;
  h.startWorker();
  await h.settle((await h.rollout([jsApp('echo')])).pairs);
  h.sim.control.setFaults('dup.sim.test', {});
  await retryFailedPairs(h.runtime, { portal: 'dup.sim.test' });
  await h.settle([{ domain: 'dup.sim.test', code: 'echo' }]);
  expect(await h.runtime.results.get('dup.sim.test', 'echo')).toMatchObject({
    state: 'registered',
    ambiguousAttempts: 2,
  });
  expect(h.sim.portal('dup.sim.test').apps).toHaveLength(3);
  return h;
}

/** Takes the portal's slots until the limiter denies one: the next call has to wait. */
async function saturate(h: Harness, domain: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const reservation = await h.runtime.limiter.reserve(domain, 'imbot.app.unregister', h.config.portalRate);
    if (!reservation.granted) return;
  }
  throw new Error('the limiter never denied a slot');
}

describe('resolveAmbiguousPair', () => {
  it('--accept clears the flag without calling the portal and records the note', async () => {
    const h = await dupHarness();
    const calls = h.sim.stats().calls;
    const outcome = await resolveAmbiguousPair(h.runtime, {
      domain: 'dup.sim.test',
      code: 'echo',
      action: { kind: 'accept' },
      note: 'one app only, checked by ops',
    });
    expect(outcome).toMatchObject({ unregistered: [], ambiguousAttempts: 2 });
    expect(h.sim.stats().calls).toBe(calls);
    expect((await h.runtime.results.get('dup.sim.test', 'echo'))?.ambiguousAttempts).toBe(0);
    const kept = outcome.keptAppId;
    expect((await h.runtime.results.history('dup.sim.test', 'echo'))[0]).toMatchObject({
      op: 'resolve',
      message: `accepted: no duplicate (kept APP_ID ${kept}): one app only, checked by ops`,
    });
  });

  it('refuses an unflagged or pending pair unless forced, and marks a forced resolve in the history', async () => {
    const h = await dupHarness();
    const accept = { kind: 'accept' } as const;
    await expect(
      resolveAmbiguousPair(h.runtime, { domain: 'good.sim.test', code: 'echo', action: accept }),
    ).rejects.toThrow(
      new ResolveRefusedError(
        'pair good.sim.test echo is not flagged as a possible duplicate (ambiguousAttempts 0): nothing to resolve (--force to act anyway)',
      ),
    );
    const forced = await resolveAmbiguousPair(h.runtime, {
      domain: 'good.sim.test',
      code: 'echo',
      action: accept,
      force: true,
    });
    expect(forced.note).toMatch(/^accepted: no duplicate \(kept APP_ID \d+\) \[forced\]$/);

    // A pair a worker is still retrying (pending, flagged): more duplicates may still appear.
    await h.runtime.results.requestPresent([
      { domain: 'good.sim.test', code: 'later', defHash: 'h', portalParked: false },
    ]);
    await h.runtime.results.recordFailure('good.sim.test', 'later', {
      op: 'register',
      error: { code: 'TIMEOUT', message: 'no answer' },
      final: false,
      ambiguous: true,
      nextAttemptAt: Date.now() + 60_000,
    });
    await expect(
      resolveAmbiguousPair(h.runtime, { domain: 'good.sim.test', code: 'later', action: accept }),
    ).rejects.toThrow('is still pending (a worker may register it again)');
  });

  it('refuses the kept APP_ID before calling anything', async () => {
    const h = await dupHarness();
    const kept = (await h.runtime.results.get('dup.sim.test', 'echo'))?.appId ?? 0;
    const calls = h.sim.stats().calls;
    await expect(
      resolveAmbiguousPair(h.runtime, {
        domain: 'dup.sim.test',
        code: 'echo',
        action: { kind: 'unregister_extra', appIds: [kept] },
      }),
    ).rejects.toBeInstanceOf(ResolveRefusedError);
    expect(h.sim.stats().calls).toBe(calls);
    expect(h.sim.portal('dup.sim.test').apps).toHaveLength(3);
  });

  it('says which extras were removed when a later one fails, and keeps the flag', async () => {
    const h = await dupHarness();
    const kept = (await h.runtime.results.get('dup.sim.test', 'echo'))?.appId;
    const extra = h.sim.portal('dup.sim.test').apps.find((a) => a.appId !== kept)?.appId ?? 0;
    const error = await resolveAmbiguousPair(h.runtime, {
      domain: 'dup.sim.test',
      code: 'echo',
      action: { kind: 'unregister_extra', appIds: [extra, 999_999] },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtraAppError);
    expect((error as ExtraAppError).reason).toBe('not_found');
    expect((error as Error).message).toBe(
      `unregistered APP_ID ${extra}, then: portal dup.sim.test has no chat app with APP_ID 999999 (CHAT_APP_ID_ERROR): ` +
        'check the id; if there is no duplicate, use --accept (the flag stays set)',
    );
    expect(h.sim.portal('dup.sim.test').apps.map((a) => a.appId)).not.toContain(extra);
    expect((await h.runtime.results.get('dup.sim.test', 'echo'))?.ambiguousAttempts).toBe(2);
  });
});

describe('unregisterExtraApp', () => {
  it("waits for the portal's rate limit, then unregisters", async () => {
    const h = await dupHarness({ portalRate: { rate: 5, burst: 1 } });
    const kept = (await h.runtime.results.get('dup.sim.test', 'echo'))?.appId;
    const extra = h.sim.portal('dup.sim.test').apps.find((a) => a.appId !== kept)?.appId ?? 0;
    await saturate(h, 'dup.sim.test');
    const slept: number[] = [];
    await unregisterExtraApp(
      {
        ...h.runtime,
        sleep: async (ms) => {
          slept.push(ms);
          await new Promise((r) => setTimeout(r, ms));
        },
      },
      { domain: 'dup.sim.test', appId: extra },
    );
    expect(slept.length).toBeGreaterThan(0);
    expect(slept.every((ms) => ms > 0 && ms <= 1_000)).toBe(true);
    expect(h.sim.portal('dup.sim.test').apps.map((a) => a.appId)).not.toContain(extra);
    expect(h.sim.stats().callsByMethod['imbot.app.unregister']).toBe(1);
  });

  it('gives up when the portal stays busy longer than maxWaitMs, without calling it', async () => {
    const h = await dupHarness({ portalRate: { rate: 1, burst: 1 } });
    await saturate(h, 'dup.sim.test');
    const error = await unregisterExtraApp(h.runtime, {
      domain: 'dup.sim.test',
      appId: 1,
      maxWaitMs: 5,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtraAppError);
    expect((error as ExtraAppError).reason).toBe('rate_limited');
    expect((error as Error).message).toMatch(
      /^portal dup\.sim\.test is busy \(rate\) until .*Z: try again later$/,
    );
    expect(h.sim.stats().callsByMethod['imbot.app.unregister']).toBeUndefined();
  });

  it('says when the portal did not answer, and gives up after three server errors', async () => {
    const h = await dupHarness();
    const kept = (await h.runtime.results.get('dup.sim.test', 'echo'))?.appId;
    const extra = h.sim.portal('dup.sim.test').apps.find((a) => a.appId !== kept)?.appId ?? 0;
    const deps = { ...h.runtime, sleep: async () => undefined };
    const attempt = () =>
      unregisterExtraApp(deps, { domain: 'dup.sim.test', appId: extra }).catch((e: unknown) => e);

    h.sim.control.setFaults('dup.sim.test', { dropAfterWorkRate: 1 });
    const dropped = await attempt();
    expect((dropped as ExtraAppError).reason).toBe('no_answer');
    expect((dropped as Error).message).toContain('the app may or may not be gone; run resolve again');

    h.sim.control.setFaults('dup.sim.test', { http500Rate: 1 });
    h.sim.control.resetStats();
    const failing = await attempt();
    expect((failing as ExtraAppError).reason).toBe('failed');
    expect((failing as Error).message).toMatch(
      new RegExp(
        `^imbot\\.app\\.unregister APP_ID ${extra} on dup\\.sim\\.test failed: INTERNAL_SERVER_ERROR`,
      ),
    );
    expect(h.sim.stats().callsByMethod['imbot.app.unregister']).toBe(3);
  });

  it('refuses a portal that needs re-authorisation, naming what to do', async () => {
    const h = await dupHarness();
    await h.runtime.portals.markNeedsReauth('dup.sim.test', 'invalid_grant: revoked');
    const error = await unregisterExtraApp(h.runtime, { domain: 'dup.sim.test', appId: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExtraAppError);
    expect((error as ExtraAppError).reason).toBe('reauth');
    expect((error as Error).message).toContain('import new credentials with `rollout --portals` first');
  });
});
