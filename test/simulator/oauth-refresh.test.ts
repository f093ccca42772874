import { describe, expect, it } from 'vitest';
import {
  callOAuth,
  getJson,
  manualClock,
  postForm,
  postJson,
  useSimulators,
} from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';

function refreshBody(refreshToken: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'refresh_token',
    client_id: 'sim-client-id',
    client_secret: 'sim-client-secret',
    refresh_token: refreshToken,
    ...overrides,
  };
}

describe('OAuth refresh', () => {
  it('issues a new access and refresh token with the Bitrix24 answer fields', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A }], now: clock.now, tokenTtlSeconds: 1800 });
    const before = sim.portal(A);
    const answer = await postForm(
      sim.oauthUrl,
      new URLSearchParams(refreshBody(before.currentRefreshToken ?? '')).toString(),
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      access_token: expect.stringMatching(/^[0-9a-f]{64}$/),
      refresh_token: expect.stringMatching(/^[0-9a-f]{64}$/),
      expires_in: 1800,
      expires: Math.floor(clock.now() / 1000) + 1800,
      scope: 'imbot',
      domain: A,
      member_id: before.memberId,
      user_id: 1,
      status: 'L',
      client_endpoint: `${sim.url}/portal/${A}/rest/`,
      server_endpoint: sim.oauthUrl,
    });
    const after = sim.portal(A);
    expect(after.currentAccessToken).toBe(answer.json.access_token);
    expect(after.currentRefreshToken).toBe(answer.json.refresh_token);
    expect(after.currentAccessToken).not.toBe(before.currentAccessToken);
    expect(after.refreshes).toBe(1);
    expect(sim.stats().refreshes).toBe(1);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
  });

  it('ends the access token issued with the consumed refresh token: it answers 401 invalid_token', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const before = sim.portal(A);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    const refreshed = await postJson(sim.oauthUrl, refreshBody(before.currentRefreshToken ?? ''));
    expect(refreshed.status).toBe(200);
    const old = await callOAuth(sim, A, 'server.time', {}, before.currentAccessToken ?? '');
    expect(old.status).toBe(401);
    expect(old.json).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(sim.stats().invalidTokenAnswers).toBe(1);
    expect((await callOAuth(sim, A, 'server.time', {}, String(refreshed.json.access_token))).status).toBe(
      200,
    );
  });

  it('keeps the access token when a refresh is refused', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const refused = await postJson(
      sim.oauthUrl,
      refreshBody(sim.portal(A).currentRefreshToken ?? '', { client_secret: 'x' }),
    );
    expect(refused.status).toBe(401);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
  });

  it('makes refresh tokens single use: reusing one answers invalid_grant', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const old = sim.portal(A).currentRefreshToken ?? '';
    expect((await postJson(sim.oauthUrl, refreshBody(old))).status).toBe(200);
    const reuse = await postJson(sim.oauthUrl, refreshBody(old));
    expect(reuse.status).toBe(400);
    expect(reuse.json).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    expect(reuse.text).not.toContain(old);
    expect(sim.stats()).toMatchObject({ refreshes: 1, invalidGrants: 1 });
  });

  it('answers invalid_grant for a revoked refresh token', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const token = sim.portal(A).currentRefreshToken ?? '';
    sim.control.revokeRefreshToken(A);
    const answer = await postJson(sim.oauthUrl, refreshBody(token));
    expect(answer.json.error).toBe('invalid_grant');
    expect(sim.portal(A).refreshes).toBe(0);
  });

  it('answers 401 invalid_client for a wrong client secret without consuming the token', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const token = sim.portal(A).currentRefreshToken ?? '';
    const answer = await postJson(sim.oauthUrl, refreshBody(token, { client_secret: 'wrong' }));
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('invalid_client');
    expect((await postJson(sim.oauthUrl, refreshBody(token))).status).toBe(200);
  });

  it('accepts custom client credentials and a GET with a query string', async () => {
    const sim = await start({ portals: [{ domain: A }], clientId: 'app.x', clientSecret: 's3cret' });
    const token = sim.portal(A).currentRefreshToken ?? '';
    const query = new URLSearchParams(refreshBody(token, { client_id: 'app.x', client_secret: 's3cret' }));
    const answer = await getJson(`${sim.oauthUrl}?${query.toString()}`);
    expect(answer.status).toBe(200);
    expect(answer.json.domain).toBe(A);
  });

  it('refuses another grant type', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await postJson(sim.oauthUrl, refreshBody('x', { grant_type: 'authorization_code' }));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('unsupported_grant_type');
  });

  it('issues tokens with the TTL set by control.setTokenTtl', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A }, { domain: 'b.sim.test' }], now: clock.now });
    sim.control.setTokenTtl(null, 30);
    sim.control.setTokenTtl(A, 5);
    const a = await postJson(sim.oauthUrl, refreshBody(sim.portal(A).currentRefreshToken ?? ''));
    const b = await postJson(sim.oauthUrl, refreshBody(sim.portal('b.sim.test').currentRefreshToken ?? ''));
    expect([a.json.expires_in, b.json.expires_in]).toEqual([5, 30]);
    clock.advance(5_000);
    expect((await callOAuth(sim, A, 'server.time')).json.error).toBe('expired_token');
  });

  it('is not subject to injected REST faults', async () => {
    const sim = await start({ portals: [{ domain: A }], faults: { http500Rate: 1, nonJsonRate: 1 } });
    const answer = await postJson(sim.oauthUrl, refreshBody(sim.portal(A).currentRefreshToken ?? ''));
    expect(answer.status).toBe(200);
    expect(sim.stats().injected.http500).toBe(0);
  });
});
