import { afterEach, describe, expect, it } from 'vitest';
import { type ApplicationBackend, startApplicationBackend } from '../../src/simulator/application-backend.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/start-simulator.js';
import { waitFor } from '../support/wait-for.js';
import { callOAuth, getJson, postJson, sha256, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';
const SECRET = 'backend-source-secret-0123456789';
const FAST = 40;

const extra: ApplicationBackend[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((backend) => backend.stop()));
});

async function getToken(
  url: string,
  query: Record<string, string>,
  secret: string | null = SECRET,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
  const response = await fetch(
    target,
    secret === null ? {} : { headers: { authorization: `Bearer ${secret}` } },
  );
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function sourceUrlOf(sim: SimulatorHandle): string {
  const url = sim.backend()?.sourceUrl;
  if (url === null || url === undefined) throw new Error('no source backend runs');
  return url;
}

describe('the application backend as an independent holder', () => {
  it('calls its portals on its own and refreshes like CRest when a token expires', async () => {
    const sim = await start({ portals: [{ domain: A }, { domain: B, accessTokenExpired: true }] });
    const backend = await sim.startBackend({ mode: 'independent', callIntervalMs: FAST });
    await waitFor(() => backend.stats().callsOk >= 6, { message: 'calls answered' });
    expect(sim.portal(B).refreshes).toBe(1);
    expect(backend.portal(B)).toMatchObject({ refreshes: 1, loggedOut: false, hasRefreshToken: true });

    sim.control.expireAccessToken(A);
    await waitFor(() => backend.portal(A)?.refreshes === 1, { message: `the refresh of ${A}` });
    const calls = backend.stats().callsOk;
    await waitFor(() => backend.stats().callsOk >= calls + 4, { message: 'calls with the new token' });
    expect(backend.stats()).toMatchObject({ refreshes: 2, invalidGrants: 0, expiredTokenAnswers: 2 });
    expect(sim.stats()).toMatchObject({ refreshes: 2, invalidGrants: 0, callsByMethod: expect.anything() });
    expect(sim.stats().callsByMethod['imbot.bot.list']).toBeGreaterThanOrEqual(backend.stats().callsOk);
  });

  it('counts its invalid_grant and stops calling a portal when another holder spent the refresh token', async () => {
    const sim = await start({ portals: [{ domain: A }, { domain: B }] });
    const { currentRefreshToken } = sim.portal(A);
    const backend = await sim.startBackend({ mode: 'independent', callIntervalMs: FAST });
    // Another holder of the same pair (imbot-rollout before issue 18) refreshes it.
    const other = await postJson(sim.oauthUrl, {
      grant_type: 'refresh_token',
      client_id: 'sim-client-id',
      client_secret: 'sim-client-secret',
      refresh_token: currentRefreshToken,
    });
    expect(other.status).toBe(200);
    await waitFor(() => backend.portal(A)?.loggedOut === true, { message: `${A} logged out` });
    expect(backend.stats()).toMatchObject({ invalidGrants: 1, loggedOut: 1, invalidTokenAnswers: 1 });
    const callsOnA = backend.portal(A)?.calls;
    const callsOnB = backend.portal(B)?.calls ?? 0;
    await waitFor(() => (backend.portal(B)?.calls ?? 0) >= callsOnB + 4, { message: `calls to ${B}` });
    expect(backend.portal(A)?.calls).toBe(callsOnA);
    expect(backend.portal(B)?.loggedOut).toBe(false);
  });
});

describe('the application backend as a token source', () => {
  it('answers the contract: the current token with its expiry, client_endpoint and member_id', async () => {
    const sim = await start({ portals: [{ domain: A }, { domain: B }] });
    await sim.startBackend({ mode: 'source', secret: SECRET, callIntervalMs: 0 });
    const url = sourceUrlOf(sim);
    const answer = await getToken(url, { domain: A });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      access_token: sim.portal(A).currentAccessToken,
      expires_in: expect.any(Number),
      client_endpoint: `${sim.url}/portal/${A}/rest/`,
      member_id: sim.portal(A).memberId,
    });
    expect(answer.json['expires_in']).toBeGreaterThan(3500);
    expect((await callOAuth(sim, A, 'server.time', {}, String(answer.json['access_token']))).status).toBe(
      200,
    );
    expect(sim.stats().refreshes).toBe(0);
  });

  it('refuses a wrong secret with 401, an unknown portal with 404 and a malformed stale with 400', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const backend = await sim.startBackend({ mode: 'source', secret: SECRET, callIntervalMs: 0 });
    const url = sourceUrlOf(sim);
    expect((await getToken(url, { domain: A }, null)).status).toBe(401);
    expect((await getToken(url, { domain: A }, `${SECRET}x`)).status).toBe(401);
    expect((await getToken(url, { domain: 'none.sim.test' })).status).toBe(404);
    expect((await getToken(url, { domain: A, force_refresh: '1', stale: 'abc' })).status).toBe(400);
    expect(backend.stats()).toMatchObject({ sourceRequests: 4, sourceUnauthorized: 2, refreshes: 0 });
  });

  it('refreshes an expired token before handing it out', async () => {
    const sim = await start({ portals: [{ domain: A, accessTokenExpired: true }] });
    await sim.startBackend({ mode: 'source', secret: SECRET, callIntervalMs: 0, expiryField: 'expires_at' });
    const answer = await getToken(sourceUrlOf(sim), { domain: A });
    expect(answer.status).toBe(200);
    expect(answer.json['access_token']).toBe(sim.portal(A).currentAccessToken);
    expect(Date.parse(String(answer.json['expires_at']))).toBeGreaterThan(Date.now());
    expect(sim.portal(A).refreshes).toBe(1);
  });

  it('refreshes once for concurrent forced requests naming the same stale token, and not for an older one', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const backend = await sim.startBackend({ mode: 'source', secret: SECRET, callIntervalMs: 0 });
    const url = sourceUrlOf(sim);
    const refused = String(sim.portal(A).currentAccessToken);
    const forced = { domain: A, force_refresh: '1', stale: sha256(refused) };
    const answers = await Promise.all([getToken(url, forced), getToken(url, forced), getToken(url, forced)]);
    const fresh = sim.portal(A).currentAccessToken;
    expect(fresh).not.toBe(refused);
    for (const answer of answers) expect(answer.json['access_token']).toBe(fresh);
    expect(sim.portal(A).refreshes).toBe(1);

    const again = await getToken(url, forced);
    expect(again.json['access_token']).toBe(fresh);
    expect(sim.portal(A).refreshes).toBe(1);
    expect(backend.stats()).toMatchObject({ sourceForced: 4, sourceForcedRefreshes: 1, invalidGrants: 0 });
    expect(sim.stats().invalidGrants).toBe(0);
  });

  it('hands out the token its own refresh made when its calls met the expiry first', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const backend = await sim.startBackend({ mode: 'source', secret: SECRET, callIntervalMs: FAST });
    const handedOut = String((await getToken(sourceUrlOf(sim), { domain: A })).json['access_token']);
    sim.control.expireAccessToken(A);
    await waitFor(() => backend.stats().refreshes === 1, { message: 'the backend refresh' });
    // imbot-rollout's copy is now refused (ended by that refresh) and it asks for a forced refresh.
    expect((await callOAuth(sim, A, 'server.time', {}, handedOut)).json.error).toBe('invalid_token');
    const answer = await getToken(sourceUrlOf(sim), {
      domain: A,
      force_refresh: '1',
      stale: sha256(handedOut),
    });
    expect(answer.json['access_token']).toBe(sim.portal(A).currentAccessToken);
    expect(sim.portal(A).refreshes).toBe(1);
  });
});

describe('the application backend borrowing its tokens', () => {
  it('takes tokens from a handout, and asks for a forced refresh once a portal refuses one', async () => {
    const sim = await start({ portals: [{ domain: A }, { domain: B }] });
    // The owner: a token source (the handout answers the same contract).
    const owner = await sim.startBackend({ mode: 'source', secret: SECRET, callIntervalMs: 0 });
    const seeds = sim.portalsFile().map((entry) => ({
      domain: entry.domain,
      restUrl: entry.restUrl,
      memberId: entry.memberId,
      accessToken: null,
      refreshToken: null,
      expiresAt: Number.NaN,
    }));
    const borrower = await startApplicationBackend(
      { mode: 'borrow', url: sourceUrlOf(sim), secret: SECRET, callIntervalMs: FAST },
      {
        seeds,
        oauth: { oauthUrl: sim.oauthUrl, clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
      },
    );
    extra.push(borrower);
    await waitFor(() => borrower.stats().callsOk >= 6, { message: 'calls with borrowed tokens' });
    expect(borrower.stats()).toMatchObject({ borrowRequests: 2, borrowForced: 0, refreshes: 0 });

    sim.control.expireAccessToken(A);
    await waitFor(() => borrower.stats().borrowForced === 1, { message: 'the forced request' });
    const calls = borrower.portal(A)?.calls ?? 0;
    await waitFor(() => (borrower.portal(A)?.calls ?? 0) >= calls + 3, { message: `calls to ${A} again` });
    expect(owner.stats()).toMatchObject({ sourceForced: 1, sourceForcedRefreshes: 1 });
    expect(sim.portal(A).refreshes).toBe(1);
    expect(sim.stats().invalidGrants).toBe(0);
    expect(borrower.portal(A)).toMatchObject({ hasRefreshToken: false, loggedOut: false, refreshes: 0 });
  });
});

describe('the application backend as a simulator option', () => {
  it('starts with the simulator and stops with it; invalid options refuse the start naming the field', async () => {
    const sim = await start({
      portals: [{ domain: A }],
      backend: { mode: 'independent', callIntervalMs: FAST },
    });
    const backend = sim.backend();
    await waitFor(() => (backend?.stats().callsOk ?? 0) >= 2, { message: 'calls of the started backend' });
    await expect(
      startSimulator({
        portals: [{ domain: A }],
        backend: { mode: 'borrow', url: 'ftp://x', secret: SECRET },
      }),
    ).rejects.toThrow('invalid simulator option backend.url: must be an absolute http(s) URL');
  });
});

describe('the application backend over /_sim/control', () => {
  it('starts, reports, pauses and stops it, and its report holds no token', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const control = `${sim.url}/_sim/control`;
    const started = await postJson(control, {
      action: 'startBackend',
      backend: { mode: 'source', secret: SECRET, callIntervalMs: FAST },
    });
    expect(started.status).toBe(200);
    expect(started.json).toEqual({
      ok: true,
      sourceUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/tokens$/),
    });
    expect(
      (await postJson(control, { action: 'startBackend', backend: { mode: 'independent' } })).status,
    ).toBe(409);
    await waitFor(
      async () => ((await getJson(`${sim.url}/_sim/backend`)).json['stats'] as { calls: number }).calls >= 2,
      {
        message: 'calls in the report',
      },
    );
    const report = await getJson(`${sim.url}/_sim/backend`);
    expect(report.json).toMatchObject({ running: true, mode: 'source', stats: { invalidGrants: 0 } });
    expect(report.text).not.toContain(String(sim.portal(A).currentAccessToken));
    expect(report.text).not.toContain(String(sim.portal(A).currentRefreshToken));
    expect(report.text).not.toContain(SECRET);

    expect((await postJson(control, { action: 'pauseBackend' })).json).toEqual({ ok: true });
    expect((await postJson(control, { action: 'resetBackendStats' })).json).toEqual({ ok: true });
    expect((await postJson(control, { action: 'resumeBackend' })).json).toEqual({ ok: true });
    expect((await postJson(control, { action: 'stopBackend' })).json).toEqual({ ok: true });
    expect((await getJson(`${sim.url}/_sim/backend`)).json).toEqual({ running: false });
    expect((await postJson(control, { action: 'pauseBackend' })).status).toBe(409);
  });

  it('refuses invalid options, naming the field', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const control = `${sim.url}/_sim/control`;
    const short = await postJson(control, {
      action: 'startBackend',
      backend: { mode: 'source', secret: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.json.error_description).toBe('backend.secret: must be at least 16 characters');
    const unknown = await postJson(control, {
      action: 'startBackend',
      backend: { mode: 'independent', domains: ['none.sim.test'] },
    });
    expect(unknown.status).toBe(400);
    expect(String(unknown.json.error_description)).toContain('none.sim.test is not an OAuth portal');
  });
});
