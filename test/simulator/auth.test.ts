import { describe, expect, it } from 'vitest';
import {
  callOAuth,
  callWebhook,
  entryOf,
  jsApp,
  manualClock,
  postJson,
  useSimulators,
} from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';
const HOOK = 'hook.sim.test';

describe('webhook authentication', () => {
  it('accepts the portal webhook URL and acts for the application custom + CLIENT_ID', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 9, auth: 'webhook' }] });
    const entry = entryOf(sim, HOOK);
    expect(entry.auth).toMatchObject({ type: 'webhook', clientId: 'sim-webhook-app' });
    const answer = await callWebhook(sim, HOOK, 'imbot.app.register', jsApp(9));
    expect(answer.status).toBe(200);
    expect(sim.portal(HOOK).apps[0]?.ownerClientId).toBe('customsim-webhook-app');
    expect(sim.portal(HOOK)).toMatchObject({
      botOwner: 'customsim-webhook-app',
      clientId: 'sim-webhook-app',
    });
  });

  const chatAppCalls: Array<[string, Record<string, unknown>]> = [
    ['imbot.app.register', jsApp(9)],
    ['imbot.app.update', { APP_ID: 1, FIELDS: { HIDDEN: 'Y' } }],
    ['imbot.app.unregister', { APP_ID: 1 }],
  ];
  for (const [method, params] of chatAppCalls) {
    it(`answers 403 ACCESS_DENIED "Client ID not specified" to ${method} through a webhook without CLIENT_ID`, async () => {
      const sim = await start({ portals: [{ domain: HOOK, botId: 9, auth: 'webhook' }] });
      expect((await callWebhook(sim, HOOK, 'imbot.app.register', jsApp(9))).json.result).toBe(1);
      const answer = await callWebhook(sim, HOOK, method, { ...params, CLIENT_ID: undefined });
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({ error: 'ACCESS_DENIED', error_description: 'Client ID not specified' });
      const empty = await callWebhook(sim, HOOK, method, { ...params, CLIENT_ID: '' });
      expect(empty.json.error).toBe('ACCESS_DENIED');
      expect(sim.portal(HOOK).apps.map((app) => [app.appId, app.fields.HIDDEN])).toEqual([[1, 'N']]);
    });
  }

  it('serves other methods through a webhook without CLIENT_ID', async () => {
    const sim = await start({ portals: [{ domain: HOOK, auth: 'webhook' }] });
    const answer = await callWebhook(sim, HOOK, 'server.time', { CLIENT_ID: undefined });
    expect(answer.status).toBe(200);
  });

  it('uses the seeded clientId and reads a lower-case client_id parameter', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 9, auth: 'webhook', clientId: 'app.42' }] });
    expect(entryOf(sim, HOOK).auth).toMatchObject({ type: 'webhook', clientId: 'app.42' });
    const answer = await callWebhook(sim, HOOK, 'imbot.app.register', {
      ...jsApp(9),
      CLIENT_ID: undefined,
      client_id: 'app.42',
    });
    expect(answer.json.result).toBe(1);
    expect(sim.portal(HOOK).apps[0]?.ownerClientId).toBe('customapp.42');
  });

  it('answers 401 INVALID_CREDENTIALS for a wrong webhook code and does not count the request time', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 9, auth: 'webhook' }] });
    const answer = await postJson(
      `${sim.url}/portal/${HOOK}/rest/1/0123456789abcdef0123456789abcdef/imbot.app.register.json`,
      { ...jsApp(9), CLIENT_ID: 'sim-webhook-app' },
    );
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: 'INVALID_CREDENTIALS', error_description: expect.any(String) });
    expect(answer.text).not.toContain('0123456789abcdef');
    expect(sim.portal(HOOK).apps).toEqual([]);
    expect(sim.portal(HOOK).requestTimes).toEqual([]);
    expect(sim.portal(HOOK).calls).toBe(1);
  });

  it('answers INVALID_CREDENTIALS for a webhook URL on an OAuth portal', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await postJson(`${sim.url}/portal/${A}/rest/1/abc/server.time.json`, {});
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('INVALID_CREDENTIALS');
  });

  it('gives webhook portals no OAuth tokens', async () => {
    const sim = await start({ portals: [{ domain: HOOK, auth: 'webhook' }] });
    expect(sim.portal(HOOK).currentAccessToken).toBeNull();
    expect(sim.portal(HOOK).currentRefreshToken).toBeNull();
  });

  it('refuses a clientId for an OAuth portal', async () => {
    await expect(start({ portals: [{ domain: A, clientId: 'x' }] })).rejects.toThrow(/portals\.0\.clientId/);
  });
});

describe('OAuth access tokens', () => {
  it('accepts the token in the query string', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const token = sim.portal(A).currentAccessToken ?? '';
    const response = await fetch(`${sim.url}/portal/${A}/rest/server.time.json?auth=${token}`, {
      method: 'POST',
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: string }).result).toMatch(/^\d{4}-/);
  });

  it('answers NO_AUTH_FOUND when there is no auth parameter', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await postJson(`${sim.url}/portal/${A}/rest/server.time.json`, {});
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('NO_AUTH_FOUND');
  });

  it('answers 401 invalid_token for an unknown token', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await callOAuth(sim, A, 'server.time', {}, 'not-a-token');
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('invalid_token');
    expect(sim.stats().invalidTokenAnswers).toBe(1);
  });

  it('acts for the OAuth application whatever CLIENT_ID says', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 5 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', { ...jsApp(5), CLIENT_ID: 'other' });
    expect(answer.json.result).toBe(1);
    expect(sim.portal(A).apps[0]?.ownerClientId).toBe('sim-client-id');
  });

  it('answers invalid_token for the token of another portal', async () => {
    const sim = await start({ portals: [{ domain: A }, { domain: B }] });
    const answer = await callOAuth(sim, A, 'server.time', {}, sim.portal(B).currentAccessToken ?? '');
    expect(answer.json.error).toBe('invalid_token');
  });

  it('hands out an already expired token for accessTokenExpired and answers expired_token', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A, accessTokenExpired: true }], now: clock.now });
    const entry = entryOf(sim, A);
    expect(entry.auth.type === 'oauth' && Date.parse(entry.auth.expiresAt)).toBeLessThan(clock.now());
    const answer = await callOAuth(sim, A, 'server.time');
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('expired_token');
    expect(sim.stats().expiredTokenAnswers).toBe(1);
  });

  it('expires tokens when the clock passes the portal TTL', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A, tokenTtlSeconds: 60 }], now: clock.now });
    const entry = entryOf(sim, A);
    expect(entry.auth.type === 'oauth' && entry.auth.expiresAt).toBe(
      new Date(clock.now() + 60_000).toISOString(),
    );
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    clock.advance(59_999);
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    clock.advance(1);
    expect((await callOAuth(sim, A, 'server.time')).json.error).toBe('expired_token');
  });

  it('answers expired_token after control.expireAccessToken', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    expect((await callOAuth(sim, A, 'server.time')).status).toBe(200);
    sim.control.expireAccessToken(A);
    const answer = await callOAuth(sim, A, 'server.time');
    expect(answer.status).toBe(401);
    expect(answer.json.error).toBe('expired_token');
  });

  it('records request times only for calls past authentication', async () => {
    const clock = manualClock();
    const sim = await start({ portals: [{ domain: A }], now: clock.now });
    await callOAuth(sim, A, 'server.time', {}, 'bad');
    await callOAuth(sim, A, 'server.time');
    clock.advance(250);
    await callOAuth(sim, A, 'server.time');
    const view = sim.portal(A);
    expect(view.calls).toBe(3);
    expect(view.requestTimes).toEqual([clock.now() - 250, clock.now()]);
  });
});
