import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

const A = 'held.sim.test';
const B = 'alone.sim.test';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/**
 * The failure of issue 18: imbot-rollout owns the imported pair (own mode) while the application's backend holds
 * the same pair and refreshes it by itself, like CRest, telling nobody. Refresh tokens are single use
 * (docs/bitrix24.md, "OAuth 2.0"), so the backend's refresh logs imbot-rollout out of the portal; the portal is
 * reported with the reason that names the cause (docs/tokens.md, "The refresh token was already used").
 */
describe('own mode beside an independent holder of the same tokens', () => {
  it("parks the portal needs_reauth as REFRESH_TOKEN_REUSED once the other holder's refresh spent the stored refresh token", async () => {
    harness = await startHarness({ portals: [{ domain: A }, { domain: B }] });
    const h = harness;
    // Both hold the pair the install gave: imbot-rollout imports it, the backend keeps it.
    const imported = h.portals();
    const summary = await h.rollout([jsApp('echo')], imported);
    const backend = await h.sim.startBackend({ mode: 'independent', domains: [A], callIntervalMs: 50 });
    h.sim.control.expireAccessToken(A);
    await waitFor(() => backend.portal(A)?.refreshes === 1, { message: `the backend's refresh of ${A}` });

    h.startWorker();
    const counts = await h.settle(summary.pairs);
    expect(counts).toMatchObject({ registered: 1, needs_reauth: 1 });
    const held = await h.runtime.results.get(A, 'echo');
    expect(held?.state).toBe('needs_reauth');
    expect(held?.lastError?.code).toBe('REFRESH_TOKEN_REUSED');
    expect(held?.lastError?.message).toContain(
      "the refresh token was already used — another system holding this application's tokens may have refreshed it",
    );
    expect((await h.runtime.portals.get(A))?.state).toBe('needs_reauth');
    expect((await h.runtime.results.get(B, 'echo'))?.state).toBe('registered');
    // imbot-rollout's refresh was the one refused; the backend, which refreshed first, goes on.
    expect(h.sim.stats().invalidGrants).toBe(1);
    expect(backend.stats()).toMatchObject({ invalidGrants: 0, refreshes: 1 });
    const calls = backend.stats().callsOk;
    await waitFor(() => backend.stats().callsOk > calls, { message: 'the backend still calling' });
  });
});
