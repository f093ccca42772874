import { afterEach, describe, expect, it } from 'vitest';
import type { AppDefinition } from '../../src/apps/app-definition-schema.js';
import { deriveAppHash } from '../../src/apps/derive-app-hash.js';
import { InputError } from '../../src/input/input-error.js';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { waitFor } from '../support/wait-for.js';
import { type Harness, iframeApp, jsApp, startHarness } from './support/pipeline-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function appsByCode(h: Harness, domain: string): Map<string, number[]> {
  const byCode = new Map<string, number[]>();
  for (const app of h.sim.portal(domain).apps)
    byCode.set(app.code, [...(byCode.get(app.code) ?? []), app.appId]);
  return byCode;
}

/** Every pair registered exactly once, and the stored APP_IDs are the simulator's. */
async function expectRegisteredExactlyOnce(h: Harness, apps: readonly AppDefinition[]): Promise<void> {
  expect(h.sim.stats().duplicates).toBe(0);
  for (const portal of h.portals()) {
    const onPortal = appsByCode(h, portal.domain);
    for (const app of apps) {
      const result = await h.runtime.results.get(portal.domain, app.CODE);
      expect(result?.state, `${portal.domain} ${app.CODE}`).toBe('registered');
      expect(onPortal.get(app.CODE)).toEqual([result?.appId]);
    }
  }
}

describe('rollout pipeline (real Redis, real simulator)', () => {
  it('registers every pair exactly once across OAuth, expired-token and webhook portals', async () => {
    harness = await startHarness({ portals: 12, webhookShare: 0.25, expiredShare: 0.25, seed: 3 });
    const apps = [jsApp('echo'), jsApp('help', '/help me'), iframeApp('panel')];
    harness.startWorker();
    const summary = await harness.rollout(apps);
    expect(summary.counts.queued).toBe(36);
    const counts = await harness.settle(summary.pairs);
    expect(counts).toMatchObject({ total: 36, registered: 36, failed: 0, pending: 0 });
    await expectRegisteredExactlyOnce(harness, apps);
  });

  it('re-running the same rollout queues nothing and calls nothing', async () => {
    harness = await startHarness({ portals: 6, seed: 4 });
    const apps = [jsApp('echo'), iframeApp('panel')];
    const [lastPortal, ...firstFive] = harness.portals().reverse();
    if (lastPortal === undefined) throw new Error('the harness made no portal');
    harness.startWorker();
    await harness.settle((await harness.rollout(apps, firstFive)).pairs);
    const callsBefore = harness.sim.stats().calls;

    const again = await harness.rollout(apps, firstFive);
    expect(again.counts).toEqual({ unchanged: 10, queued: 0, already_pending: 0, parked: 0 });
    expect(again.jobsAdded).toBe(0);
    // A later rollout on the sixth portal, queued after the re-run and settled: had the re-run queued or called
    // anything, the worker would have done it by now. Every call since then went to the sixth portal.
    await harness.settle((await harness.rollout(apps, [lastPortal])).pairs);
    const sixth = harness.sim.portal(lastPortal.domain).calls;
    expect(sixth).toBeGreaterThan(0);
    expect(harness.sim.stats().calls - callsBefore).toBe(sixth);
    await expectRegisteredExactlyOnce(harness, apps);
  });

  it('applies a changed definition with imbot.app.update on the stored APP_ID, not a second register', async () => {
    harness = await startHarness({ portals: 4, seed: 5 });
    harness.startWorker();
    const first = await harness.rollout([jsApp('echo', '/help')]);
    await harness.settle(first.pairs);
    const idsBefore = await harness.runtime.results.getMany(first.pairs);

    const changed = await harness.rollout([jsApp('echo', '/start')]);
    expect(changed.counts.queued).toBe(4);
    await harness.settle(changed.pairs);

    // 4 updates converge the registers of the first rollout; 4 more apply the change, on the same APP_IDs.
    const stats = harness.sim.stats();
    expect(stats.callsByMethod['imbot.app.update']).toBe(8);
    expect(stats.callsByMethod['imbot.app.register']).toBe(4);
    const idsAfter = await harness.runtime.results.getMany(changed.pairs);
    expect(idsAfter.map((r) => r?.appId)).toEqual(idsBefore.map((r) => r?.appId));
    for (const portal of harness.portals()) {
      expect(harness.sim.portal(portal.domain).apps[0]?.fields.JS_PARAM).toBe('/start');
    }
  });

  it('fails a permanent error on the first attempt and keeps the Bitrix24 code', async () => {
    harness = await startHarness({ portals: 2, seed: 6 });
    const [good, bad] = harness.portals();
    if (!good || !bad) throw new Error('need two portals');
    harness.startWorker();
    const summary = await harness.rollout(
      [jsApp('echo')],
      [good, { ...bad, botId: (bad.botId ?? 0) + 1000 }],
    );
    await harness.settle(summary.pairs);
    const failed = await harness.runtime.results.get(bad.domain, 'echo');
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastError: { code: 'BOT_ID_ERROR' } });
    expect(harness.sim.portal(bad.domain).calls).toBe(1);
    expect((await harness.runtime.results.get(good.domain, 'echo'))?.state).toBe('registered');
  });

  it('refreshes once per portal when many jobs hit expired_token at once', async () => {
    harness = await startHarness(
      { portals: 3, expiredShare: 1, seed: 7 },
      { tokens: { refreshBeforeMs: 0, lockTtlMs: 10_000 } },
    );
    const apps = Array.from({ length: 15 }, (_, i) => jsApp(`cmd${i}`));
    harness.startWorker(30);
    const summary = await harness.rollout(apps);
    const counts = await harness.settle(summary.pairs);
    expect(counts.registered).toBe(45);
    for (const portal of harness.portals()) expect(harness.sim.portal(portal.domain).refreshes).toBe(1);
    expect(harness.sim.stats().invalidGrants).toBe(0);
    // The attempt that met expired_token was not counted: one attempt per pair.
    const results = await harness.runtime.results.getMany(summary.pairs);
    expect(results.every((r) => r?.attempts === 1)).toBe(true);
  });

  it('parks a portal whose refresh token is revoked as needs_reauth, without a retry loop', async () => {
    harness = await startHarness({
      portals: [{ domain: 'revoked.sim.test', accessTokenExpired: true }, { domain: 'fine.sim.test' }],
    });
    harness.sim.control.revokeRefreshToken('revoked.sim.test');
    harness.startWorker();
    const summary = await harness.rollout([jsApp('echo'), jsApp('help')]);
    const counts = await harness.settle(summary.pairs);
    expect(counts).toMatchObject({ registered: 2, needs_reauth: 2, pending: 0 });
    expect(await harness.runtime.results.get('revoked.sim.test', 'echo')).toMatchObject({
      state: 'needs_reauth',
      // Bitrix24 answers invalid_grant; a pair stored under 180 days ago gets its own code (docs/tokens.md).
      lastError: { code: 'REFRESH_TOKEN_REUSED', message: expect.stringContaining('invalid_grant') },
    });
    expect((await harness.runtime.portals.get('revoked.sim.test'))?.state).toBe('needs_reauth');
    expect(harness.sim.stats().invalidGrants).toBe(1);
  });

  it('resumes parked pairs when new credentials are imported with rollout --portals', async () => {
    harness = await startHarness({ portals: [{ domain: 'revoked.sim.test', accessTokenExpired: true }] });
    harness.sim.control.revokeRefreshToken('revoked.sim.test');
    harness.startWorker();
    const apps = [jsApp('echo'), jsApp('help')];
    const first = await harness.rollout(apps);
    expect(await harness.settle(first.pairs)).toMatchObject({ needs_reauth: 2 });

    // Re-running with the same (dead) credentials does not loop on the portal: the pairs stay parked.
    const same = await harness.rollout(apps);
    expect(same.counts).toMatchObject({ parked: 2, queued: 0 });

    // An administrator re-authorises the app; importing the new credentials (no --apps) resumes the pairs.
    harness.sim.control.reauthorize('revoked.sim.test');
    expect(await harness.runtime.queue.count()).toBe(0);
    const summary = await enqueueRollout({ apps: undefined, portals: harness.portals() }, harness.runtime);
    expect(summary.imported?.reactivated).toEqual(['revoked.sim.test']);
    expect(summary.counts.queued).toBe(2);
    expect(await harness.settle(summary.pairs)).toMatchObject({ registered: 2, needs_reauth: 0 });
    expect(harness.sim.stats().duplicates).toBe(0);
  });

  it('ends with everything registered once under 20% HTTP 500s and 10% lost answers', async () => {
    harness = await startHarness(
      { portals: 40, seed: 11, faults: { http500Rate: 0.2, dropAfterWorkRate: 0.1 } },
      { retry: { maxAttempts: 12, baseDelayMs: 20, maxDelayMs: 200, jitter: 0.2 } },
    );
    const apps = [jsApp('echo'), jsApp('help')];
    harness.startWorker(20);
    const summary = await harness.rollout(apps);
    const counts = await harness.settle(summary.pairs, 30_000);
    expect(counts).toMatchObject({ total: 80, registered: 80, failed: 0, pending: 0 });
    const stats = harness.sim.stats();
    expect(stats.injected.http500).toBeGreaterThan(0);
    expect(stats.injected.dropped).toBeGreaterThan(0);
    // A register sent again after a lost answer got the app it had made: one app per pair, none to clean up.
    await expectRegisteredExactlyOnce(harness, apps);
  });

  it('parks only the limited method on OPERATION_TIME_LIMIT until the reset time, spending no attempt', async () => {
    harness = await startHarness({ portals: [{ domain: 'busy.sim.test' }] });
    // Far enough ahead that a slow worker still makes its first call (and the test sees it parked) before it.
    const resetAt = Date.now() + 2_500;
    harness.sim.control.setOperationTimeLimit(
      'busy.sim.test',
      'imbot.app.register',
      Math.ceil(resetAt / 1000),
    );
    harness.startWorker();
    const summary = await harness.rollout([jsApp('echo'), jsApp('help')]);
    const h = harness;
    await waitFor(
      async () => {
        expect(await h.runtime.results.get('busy.sim.test', 'echo')).toMatchObject({
          state: 'pending',
          attempts: 0,
          lastError: { code: 'OPERATION_TIME_LIMIT' },
        });
        expect((await h.runtime.limiter.inspect('busy.sim.test')).parkedMethods).toHaveProperty(
          'imbot.app.register',
        );
      },
      { timeoutMs: 15_000, message: 'the pair to wait, its method parked' },
    );
    // Seen parked before the reset time (after it, the pair would have been registered).
    expect(Date.now()).toBeLessThan(Math.ceil(resetAt / 1000) * 1000);
    const counts = await harness.settle(summary.pairs);
    expect(counts.registered).toBe(2);
    // One 429 at most per job before the park applied to both; nothing was called before the reset after that.
    expect(harness.sim.stats().callsByMethod['imbot.app.register']).toBeLessThanOrEqual(4);
    expect(harness.sim.stats().duplicates).toBe(0);
  });

  it('backs a portal off on OVERLOAD_LIMIT with a clear last error, then finishes once the block is lifted', async () => {
    harness = await startHarness(
      { portals: [{ domain: 'blocked.sim.test', state: 'overloaded' }] },
      { overload: { delayMs: 1_000 } },
    );
    harness.startWorker();
    const summary = await harness.rollout([jsApp('echo')]);
    const h = harness;
    const blocked = await waitFor(
      async () => {
        const result = await h.runtime.results.get('blocked.sim.test', 'echo');
        expect(result).toMatchObject({
          state: 'pending',
          attempts: 0,
          lastError: { code: 'OVERLOAD_LIMIT' },
        });
        return result;
      },
      { timeoutMs: 15_000, message: 'the pair to wait on OVERLOAD_LIMIT' },
    );
    // Backed off by the configured overload delay (1 s) from the moment the answer was recorded.
    expect((blocked?.nextAttemptAt ?? 0) - (blocked?.updatedAt ?? 0)).toBeGreaterThanOrEqual(900);
    harness.sim.control.setState('blocked.sim.test', 'active');
    expect((await harness.settle(summary.pairs)).registered).toBe(1);
  });

  it('slows a portal down as a whole when the server answers QUERY_LIMIT_EXCEEDED, and still finishes', async () => {
    // Other apps use part of the portal's bucket: the server allows less than the client's configured limit.
    harness = await startHarness(
      { portals: [{ domain: 'shared.sim.test', bucket: { burst: 5, drainPerSecond: 4 } }] },
      { portalRate: { rate: 10, burst: 10 } },
    );
    harness.startWorker(10);
    const summary = await harness.rollout(Array.from({ length: 20 }, (_, i) => jsApp(`cmd${i}`)));
    // Watched while it happens: the limiter recovers within seconds after the last 503 (docs/architecture.md,
    // "Rate limit"), so by the time the rollout has settled the slow-down may be over (seen on a loaded run).
    const { limiter } = harness.runtime;
    const slowedDown = waitFor(
      async () => {
        const { factor } = await limiter.inspect('shared.sim.test');
        if (factor <= 1) throw new Error(`factor ${factor}`);
        return factor;
      },
      { timeoutMs: 60_000, intervalMs: 20, message: 'the portal to be slowed down as a whole' },
    );
    const counts = await harness.settle(summary.pairs, 60_000);
    expect(counts.registered).toBe(20);
    const refused = harness.sim.portal('shared.sim.test').queryLimitExceeded;
    expect(refused).toBeGreaterThan(0);
    // The portal slowed down as a whole: far fewer 503s than jobs retrying blindly would collect.
    expect(refused).toBeLessThan(20);
    expect(await slowedDown).toBeGreaterThan(1);
    const results = await harness.runtime.results.getMany(summary.pairs);
    expect(results.every((r) => r?.attempts === 1)).toBe(true); // a 503 spends no attempt
    expect(harness.sim.stats().duplicates).toBe(0);
  }, 60_000);

  it('keeps a portal with many queued jobs from delaying other portals', async () => {
    harness = await startHarness(
      {
        portals: [
          { domain: 'huge.sim.test', bucket: { burst: 6, drainPerSecond: 5 } }, // one slot of headroom for jitter
          ...Array.from({ length: 20 }, (_, i) => ({ domain: `small-${i}.sim.test` })),
        ],
      },
      { portalRate: { rate: 5, burst: 5 } },
    );
    const portals = harness.portals();
    const huge = portals.filter((p) => p.domain === 'huge.sim.test');
    const small = portals.filter((p) => p.domain !== 'huge.sim.test');
    const manyApps = Array.from({ length: 2_000 }, (_, i) => jsApp(`many${i}`));
    await harness.rollout(manyApps, huge);
    const smallSummary = await harness.rollout([jsApp('echo')], small);
    harness.startWorker(10);
    const started = Date.now();
    const counts = await harness.settle(smallSummary.pairs, 15_000);
    const elapsed = Date.now() - started;
    expect(counts.registered).toBe(20);
    // 2,000 jobs at 5/s take minutes; the small portals finish while the huge one is still far from done.
    expect(elapsed).toBeLessThan(10_000);
    expect(harness.sim.portal('huge.sim.test').apps.length).toBeLessThan(100);
    expect(harness.sim.portal('huge.sim.test').queryLimitExceeded).toBe(0);
  });

  it('derives a distinct HASH per portal for "HASH": "auto" and keeps it on the result', async () => {
    harness = await startHarness({ portals: 3, seed: 9 });
    harness.startWorker();
    const summary = await harness.rollout([iframeApp('panel')]);
    await harness.settle(summary.pairs);
    const hashes = new Set<string>();
    for (const portal of harness.portals()) {
      const result = await harness.runtime.results.get(portal.domain, 'panel');
      const sent = harness.sim.portal(portal.domain).apps[0]?.fields.HASH;
      expect(result?.hashUsed).toBe(deriveAppHash('test-hash-secret-0123456789', portal.domain, 'panel'));
      expect(sent).toBe(result?.hashUsed);
      hashes.add(String(sent));
    }
    expect(hashes.size).toBe(3);
  });
});

describe('two rollouts of one CODE', () => {
  it('refuses another definition of a CODE still in flight, naming that rollout, and applies it with replace', async () => {
    harness = await startHarness({ portals: 2 });
    // No worker yet: the first rollout's pairs stay in flight.
    const first = await harness.runtime.results.countsByState();
    expect(first.pending).toBe(0);
    const v1 = await enqueueRollout(
      { apps: [jsApp('echo', '/v1'), jsApp('help')], portals: harness.portals(), source: 'apps-v1.json' },
      harness.runtime,
    );
    expect(v1.rolloutId).toMatch(/^r-/);

    const refused = await enqueueRollout(
      { apps: [jsApp('echo', '/v2'), jsApp('help')], portals: harness.portals(), source: 'apps-v2.json' },
      harness.runtime,
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as InputError).problems).toEqual([
      {
        where: 'apps[CODE=echo]',
        message: expect.stringMatching(
          new RegExp(
            `^rollout ${v1.rolloutId} \\(started .+, from apps-v1\\.json\\) is still applying another definition of echo to 2 portal\\(s\\).*--replace`,
          ),
        ),
      },
    ]);
    // The same definitions again are no conflict (idempotent), and nothing was changed by the refused one.
    const same = await enqueueRollout(
      { apps: [jsApp('echo', '/v1'), jsApp('help')], portals: harness.portals() },
      harness.runtime,
    );
    expect(same.counts).toMatchObject({ already_pending: 4 });

    const replaced = await enqueueRollout(
      { apps: [jsApp('echo', '/v2'), jsApp('help')], portals: harness.portals(), replace: true },
      harness.runtime,
    );
    harness.startWorker();
    await harness.settle(replaced.pairs);
    for (const portal of harness.portals()) {
      const echo = harness.sim.portal(portal.domain).apps.find((a) => a.code === 'echo');
      expect(echo?.fields.JS_PARAM).toBe('/v2');
    }
  });
});
