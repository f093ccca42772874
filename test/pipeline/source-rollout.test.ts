import { afterEach, describe, expect, it } from 'vitest';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import type { Runtime } from '../../src/runtime/create-runtime.js';
import { secretCodecFromConfig } from '../../src/secrets/secret-codec-from-config.js';
import type { SimulatorHandle } from '../../src/simulator/start-simulator.js';
import { createSourceHealth } from '../../src/tokens/source-health.js';
import { createTokenManager } from '../../src/tokens/token-manager.js';
import { createTokenSourceClient } from '../../src/tokens/token-source-client.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck } from '../support/redis.js';
import { startSimBackedSource } from '../support/start-sim-backed-source.js';
import type { SourceReply, SourceRequest } from '../support/start-token-source.js';
import { waitFor } from '../support/wait-for.js';
import { type Harness, jsApp, startHarness } from './support/pipeline-harness.js';

installLeakCheck();
const own = useOwnedResources();

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const SECRET = 'source-secret-0123456789';
const APPS = [jsApp('echo'), jsApp('help', '/help me')];

/**
 * A harness whose portals are all source portals, borrowing from a CRest-style source backed by the simulator;
 * the worker's token manager counts OAuth refreshes (there must be none) and pauses 300 ms after a 401.
 */
async function startSourceHarness(
  portals: Parameters<typeof startHarness>[0]['portals'],
  override?: (request: SourceRequest) => SourceReply | undefined,
  sourceTimeoutMs = 2_000,
) {
  let sim: SimulatorHandle | undefined;
  const source = await startSimBackedSource(
    own,
    () => {
      if (sim === undefined) throw new Error('the simulator is not started yet');
      return sim;
    },
    { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
    override,
  );
  const h = await startHarness(
    { portals, clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
    { tokens: { source: { url: source.url, secret: SECRET } } },
  );
  harness = h;
  sim = h.sim;
  let oauthRefreshes = 0;
  const tokens = createTokenManager({
    redis: h.runtime.redis,
    keys: h.runtime.keys,
    portalStore: h.runtime.portals,
    codec: secretCodecFromConfig(h.config.secrets),
    source: createTokenSourceClient({ url: source.url, secret: SECRET, timeoutMs: sourceTimeoutMs }),
    lockTtlMs: h.config.tokens.lockTtlMs,
    refreshBeforeMs: h.config.tokens.refreshBeforeMs,
    sourceRefusedPauseMs: 300,
    refresh: async () => {
      oauthRefreshes += 1;
      throw new Error('a source portal must never be refreshed here');
    },
  });
  const runtime: Runtime = { ...h.runtime, tokens };
  const entries = portalsFileSchema({ allowHttp: true, allowHosts: ['127.0.0.1'], tokenSource: true }).parse(
    h.sim.portalsFile().map((entry) => ({ ...entry, auth: { type: 'source' } })),
  );
  return { h, source, runtime, entries, oauthRefreshes: () => oauthRefreshes };
}

describe('rollout with borrowed tokens (a token source)', () => {
  it('registers every pair with tokens from the source, and makes no OAuth refresh request', async () => {
    const { h, source, runtime, entries, oauthRefreshes } = await startSourceHarness([
      { domain: 'a.sim.test' },
      { domain: 'b.sim.test', accessTokenExpired: true },
      { domain: 'c.sim.test' },
    ]);
    h.startWorker(undefined, runtime);
    const summary = await h.rollout(APPS, entries);
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 6, failed: 0, pending: 0 });
    expect(oauthRefreshes()).toBe(0);
    // Every refresh the simulator saw was the source's own (it refreshed its expired pair).
    expect(h.sim.stats().refreshes).toBe(source.refreshes());
    expect(h.sim.stats().invalidGrants).toBe(0);
    expect(source.requests.filter((r) => r.domain === 'a.sim.test')).toHaveLength(1);
  });

  it('a token the portal refuses mid-rollout: one forced request, the pairs finish without spending attempts', async () => {
    const { h, source, runtime, entries, oauthRefreshes } = await startSourceHarness([
      { domain: 'a.sim.test' },
    ]);
    const [entry] = entries;
    if (entry === undefined) throw new Error('no portal');
    await h.runtime.portals.importPortals(entries);
    // The source's token is cached, then the portal stops accepting it (it expired early).
    await runtime.tokens.targetFor('a.sim.test');
    h.sim.control.expireAccessToken('a.sim.test');
    h.startWorker(undefined, runtime);
    const summary = await h.rollout(APPS, entries);
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 2, pending: 0 });
    expect(source.requests.filter((r) => r.forceRefresh === '1')).toHaveLength(1);
    for (const app of APPS) expect((await h.runtime.results.get('a.sim.test', app.CODE))?.attempts).toBe(1);
    expect(oauthRefreshes()).toBe(0);
  });

  it('404 for one portal: its pairs wait as needs_reauth with the reason, the others register', async () => {
    const { h, runtime, entries } = await startSourceHarness(
      [{ domain: 'known.sim.test' }, { domain: 'unknown.sim.test' }],
      (r) => (r.domain === 'unknown.sim.test' ? { status: 404 } : undefined),
    );
    h.startWorker(undefined, runtime);
    const summary = await h.rollout(APPS, entries);
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 2, needs_reauth: 2, failed: 0 });
    const parked = await h.runtime.results.get('unknown.sim.test', 'echo');
    expect(parked).toMatchObject({ state: 'needs_reauth', lastError: { code: 'TOKEN_SOURCE_NOT_KNOWN' } });
    expect(parked?.lastError?.message).toContain('does not know this portal');
    expect((await h.runtime.portals.get('unknown.sim.test'))?.state).toBe('needs_reauth');
  });

  it('401: the pairs wait without spending attempts, the health says refused; fixed, they all register', async () => {
    let refusing = true;
    const { h, source, runtime, entries } = await startSourceHarness(
      [{ domain: 'a.sim.test' }, { domain: 'b.sim.test' }],
      () => (refusing ? { status: 401 } : undefined),
    );
    h.startWorker(undefined, runtime);
    const summary = await h.rollout(APPS, entries);
    const health = createSourceHealth({ redis: h.runtime.redis, keys: h.runtime.keys });
    await waitFor(async () => (await health.read())?.state === 'refused', { message: 'the source refused' });
    const waiting = await h.runtime.results.get('a.sim.test', 'echo');
    expect(waiting?.state).not.toBe('failed');
    expect(waiting?.attempts ?? 0).toBe(0);
    refusing = false;
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 4, failed: 0, needs_reauth: 0 });
    for (const entry of entries)
      for (const app of APPS) expect((await h.runtime.results.get(entry.domain, app.CODE))?.attempts).toBe(1);
    expect((await health.read())?.state).toBe('ok');
    expect(source.requests.length).toBeGreaterThan(1);
  });

  it('500s: the pairs back off without spending attempts and register once the source answers', async () => {
    let failures = 0;
    const { h, runtime, entries } = await startSourceHarness([{ domain: 'a.sim.test' }], () =>
      failures++ < 3 ? { status: 500 } : undefined,
    );
    h.startWorker(undefined, runtime);
    const summary = await h.rollout(APPS, entries);
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 2, failed: 0 });
    expect(failures).toBeGreaterThanOrEqual(3);
    for (const app of APPS) expect((await h.runtime.results.get('a.sim.test', app.CODE))?.attempts).toBe(1);
  });

  const transient: [string, SourceReply][] = [
    ['a timeout', { hang: true }],
    ['a body that is not JSON', { status: 200, body: 'not json' }],
    ['a missing expiry', { status: 200, body: { access_token: 'no-expiry' } }],
    ['a past expiry', { status: 200, body: { access_token: 'old', expires: 1_000_000 } }],
    ['a 10 MB body', { huge: 10 * 1024 * 1024 }],
  ];
  for (const [what, reply] of transient) {
    it(`${what}: the pairs wait without spending attempts and register once the source answers`, async () => {
      let bad = 0;
      const { h, runtime, entries } = await startSourceHarness(
        [{ domain: 'a.sim.test' }],
        () => (bad++ < 2 ? reply : undefined),
        300,
      );
      h.startWorker(undefined, runtime);
      const summary = await h.rollout(APPS, entries);
      expect(await h.settle(summary.pairs)).toMatchObject({ registered: 2, failed: 0, needs_reauth: 0 });
      expect(bad).toBeGreaterThanOrEqual(2);
      for (const app of APPS) expect((await h.runtime.results.get('a.sim.test', app.CODE))?.attempts).toBe(1);
    });
  }

  it('a token for another member_id: never used, the pairs wait as needs_reauth naming the member_id', async () => {
    const { h, runtime, entries } = await startSourceHarness([{ domain: 'a.sim.test' }], () => ({
      status: 200,
      body: { access_token: 'someone-elses', expires_in: 3600, member_id: 'another-member' },
    }));
    h.startWorker(undefined, runtime);
    const summary = await h.rollout(APPS, entries);
    expect(await h.settle(summary.pairs)).toMatchObject({ needs_reauth: 2, failed: 0, registered: 0 });
    const parked = await h.runtime.results.get('a.sim.test', 'echo');
    expect(parked?.lastError?.code).toBe('TOKEN_SOURCE_MISMATCH');
    expect(parked?.lastError?.message).toContain('member_id another-member');
    // The portal never saw the foreign token.
    expect(h.sim.stats().calls).toBe(0);
  });
});
