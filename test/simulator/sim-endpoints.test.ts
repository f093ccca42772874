import { describe, expect, it } from 'vitest';
import { callOAuth, getJson, jsApp, postJson, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';

describe('/_sim inspection over HTTP', () => {
  it('serves the stats as JSON', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 4 }] });
    await callOAuth(sim, A, 'imbot.app.register', jsApp(4));
    const answer = await getJson(`${sim.url}/_sim/stats`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(sim.stats());
    expect(answer.json).toMatchObject({
      calls: 1,
      registrations: 1,
      callsByMethod: { 'imbot.app.register': 1 },
    });
  });

  it('serves a portal view without its tokens', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 4 }] });
    await callOAuth(sim, A, 'imbot.app.register', jsApp(4));
    const answer = await getJson(`${sim.url}/_sim/portals/${A}`);
    expect(answer.status).toBe(200);
    const { currentAccessToken, currentRefreshToken, ...rest } = sim.portal(A);
    expect(answer.json).toEqual(rest);
    expect(answer.text).not.toContain(currentAccessToken ?? 'x');
    expect(answer.text).not.toContain(currentRefreshToken ?? 'x');
    expect(answer.json).not.toHaveProperty('currentAccessToken');
    expect((await getJson(`${sim.url}/_sim/portals/none.sim.test`)).status).toBe(404);
  });

  it('runs control actions posted as JSON', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 4 }] });
    const control = `${sim.url}/_sim/control`;
    const refreshToken = sim.portal(A).currentRefreshToken;
    expect((await postJson(control, { action: 'expireAccessToken', domain: A })).json).toEqual({ ok: true });
    expect((await callOAuth(sim, A, 'server.time')).json.error).toBe('expired_token');
    await postJson(control, { action: 'revokeRefreshToken', domain: A });
    const refresh = await postJson(sim.oauthUrl, {
      grant_type: 'refresh_token',
      client_id: 'sim-client-id',
      client_secret: 'sim-client-secret',
      refresh_token: refreshToken,
    });
    expect(refresh.json.error).toBe('invalid_grant');
    await postJson(control, { action: 'setState', domain: A, state: 'overloaded' });
    expect(sim.portal(A).state).toBe('overloaded');
    await postJson(control, { action: 'deletePortal', domain: A });
    expect(sim.portal(A).state).toBe('deleted');
    await postJson(control, { action: 'resetStats' });
    expect(sim.stats().calls).toBe(0);
    expect(sim.portal(A).requestTimes).toEqual([]);
  });

  it('sets global faults, latency and limits over HTTP', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 4 }] });
    const control = `${sim.url}/_sim/control`;
    await postJson(control, { action: 'setFaults', faults: { http500Rate: 1 } });
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(500);
    await postJson(control, { action: 'setFaults', domain: null, faults: {} });
    await postJson(control, { action: 'setTokenTtl', domain: A, seconds: 10 });
    await postJson(control, { action: 'setLatency', ms: 0 });
    const resetAt = Math.floor(Date.now() / 1000) + 60;
    await postJson(control, { action: 'setOperationTimeLimit', domain: A, method: 'server.time', resetAt });
    const limited = await callOAuth(sim, A, 'server.time');
    expect(limited.status).toBe(429);
  });

  it('refuses an unknown action and an unknown domain', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const bad = await postJson(`${sim.url}/_sim/control`, { action: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('INVALID_CONTROL');
    const badRate = await postJson(`${sim.url}/_sim/control`, {
      action: 'setFaults',
      faults: { slowRate: 5 },
    });
    expect(badRate.status).toBe(400);
    expect(badRate.json.error_description).toContain('faults.slowRate');
    const unknown = await postJson(`${sim.url}/_sim/control`, {
      action: 'deletePortal',
      domain: 'x.sim.test',
    });
    expect(unknown.status).toBe(404);
  });
});
