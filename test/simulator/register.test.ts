import { describe, expect, it } from 'vitest';
import { callOAuth, callWebhook, iframeApp, jsApp, postJson, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';

describe('imbot.app.register', () => {
  it('registers a JS command and answers a numeric APP_ID with the time block', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 62 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', jsApp(62));
    expect(answer.status).toBe(200);
    expect(answer.json.result).toBe(1);
    expect(answer.json.time).toMatchObject({
      start: expect.any(Number),
      finish: expect.any(Number),
      duration: expect.any(Number),
      processing: expect.any(Number),
      date_start: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
      date_finish: expect.any(String),
      operating: expect.any(Number),
      operating_reset_at: expect.any(Number),
    });
    const apps = sim.portal(A).apps;
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ appId: 1, botId: 62, code: 'echo', ownerClientId: 'sim-client-id' });
    expect(apps[0]?.params).not.toHaveProperty('auth');
    expect(apps[0]?.params['JS_METHOD']).toBe('SEND');
    expect(sim.stats().registrations).toBe(1);
  });

  it('hands out APP_IDs from one global counter across portals', async () => {
    const sim = await start({ portals: [{ domain: A }, { domain: B }] });
    const botA = sim.portal(A).botId;
    const botB = sim.portal(B).botId;
    const first = await callOAuth(sim, A, 'imbot.app.register', iframeApp(botA));
    const second = await callOAuth(sim, B, 'imbot.app.register', iframeApp(botB));
    const third = await callOAuth(sim, A, 'imbot.app.register', jsApp(botA));
    expect([first.json.result, second.json.result, third.json.result]).toEqual([1, 2, 3]);
  });

  it('gives generated portals stable, distinct bot ids', async () => {
    const sim = await start({ portals: 3 });
    const ids = sim.portalsFile().map((entry) => entry.botId);
    expect(ids).toEqual([101, 102, 103]);
  });

  const invalid: Array<[string, (bot: number) => Record<string, unknown>, string]> = [
    [
      'refuses a bot that is not the portal bot',
      (bot) => ({ ...jsApp(bot), BOT_ID: bot + 1 }),
      'BOT_ID_ERROR',
    ],
    ['refuses a missing BOT_ID', (bot) => ({ ...jsApp(bot), BOT_ID: undefined }), 'BOT_ID_ERROR'],
    ['refuses a missing CODE', (bot) => ({ ...jsApp(bot), CODE: '' }), 'PARAMS_ERROR'],
    [
      'refuses an app with neither JS_METHOD nor IFRAME',
      (bot) => ({ ...jsApp(bot), JS_METHOD: undefined }),
      'PARAMS_ERROR',
    ],
    ['refuses an unknown JS_METHOD', (bot) => ({ ...jsApp(bot), JS_METHOD: 'JUMP' }), 'PARAMS_ERROR'],
    [
      'refuses an http:// IFRAME',
      (bot) => ({ ...iframeApp(bot), IFRAME: 'http://marta.bitrix.com/x.php' }),
      'IFRAME_HTTPS',
    ],
    [
      'refuses an IFRAME that is not a URL',
      (bot) => ({ ...iframeApp(bot), IFRAME: 'not a url' }),
      'IFRAME_HTTPS',
    ],
    ['refuses an IFRAME without HASH', (bot) => ({ ...iframeApp(bot), HASH: undefined }), 'HASH_ERROR'],
    ['refuses a HASH that is not 32 characters', (bot) => ({ ...iframeApp(bot), HASH: 'abc' }), 'HASH_ERROR'],
    ['refuses a visible app without LANG', (bot) => ({ ...jsApp(bot), LANG: undefined }), 'LANG_ERROR'],
    ['refuses a visible app with an empty LANG', (bot) => ({ ...iframeApp(bot), LANG: [] }), 'LANG_ERROR'],
    [
      'refuses LANG entries without a TITLE',
      (bot) => ({ ...jsApp(bot), LANG: [{ LANGUAGE_ID: 'en' }] }),
      'LANG_ERROR',
    ],
  ];
  for (const [name, build, code] of invalid) {
    it(`${name} (${code})`, async () => {
      const sim = await start({ portals: [{ domain: A, botId: 7 }] });
      const answer = await callOAuth(sim, A, 'imbot.app.register', build(7));
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: code, error_description: expect.any(String) });
      expect(sim.portal(A).apps).toEqual([]);
      expect(sim.stats().registrations).toBe(0);
    });
  }

  it('accepts a hidden IFRAME app without LANG', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      ...iframeApp(7),
      HIDDEN: 'Y',
      LANG: undefined,
    });
    expect(answer.status).toBe(200);
    expect(answer.json.result).toBe(1);
  });

  it('uses only the JS command when JS_METHOD and an http IFRAME are both given', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      ...jsApp(7),
      IFRAME: 'http://insecure.example/frame',
    });
    expect(answer.status).toBe(200);
  });

  it('creates a duplicate BOT_ID + CODE + owner again and counts it', async () => {
    const sim = await start({
      portals: [
        { domain: A, botId: 7 },
        { domain: B, botId: 7 },
      ],
    });
    const first = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    const again = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    const otherCode = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'other'));
    const otherPortal = await callOAuth(sim, B, 'imbot.app.register', jsApp(7, 'echo'));
    expect([first, again, otherCode, otherPortal].map((a) => a.json.result)).toEqual([1, 2, 3, 4]);
    expect(sim.portal(A).apps.map((app) => app.code)).toEqual(['echo', 'echo', 'other']);
    expect(sim.portal(A).duplicates).toBe(1);
    expect(sim.portal(B).duplicates).toBe(0);
    expect(sim.stats()).toMatchObject({ registrations: 4, duplicates: 1 });
  });

  it('does not count the same CODE registered by another owner as a duplicate', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7, auth: 'webhook' }] });
    await callWebhook(sim, A, 'imbot.app.register', { ...jsApp(7), CLIENT_ID: 'app.one' });
    await callWebhook(sim, A, 'imbot.app.register', { ...jsApp(7), CLIENT_ID: 'app.two' });
    await callWebhook(sim, A, 'imbot.app.register', jsApp(7));
    const view = sim.portal(A);
    expect(view.apps.map((app) => app.ownerClientId).slice(0, 2)).toEqual(['app.one', 'app.two']);
    expect(view.apps[2]?.ownerClientId).toMatch(/^[0-9a-f]{32}$/);
    expect(view.apps[0]?.params).not.toHaveProperty('CLIENT_ID');
    expect(view.duplicates).toBe(0);
  });

  it('answers ERROR_METHOD_NOT_FOUND for an unknown method', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await callOAuth(sim, A, 'imbot.app.teleport');
    expect(answer.status).toBe(404);
    expect(answer.json.error).toBe('ERROR_METHOD_NOT_FOUND');
  });

  it('answers ERROR_PORTAL_NOT_FOUND for a domain it does not host', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await postJson(`${sim.url}/portal/nowhere.sim.test/rest/imbot.app.register.json`, {});
    expect(answer.status).toBe(404);
    expect(answer.json.error).toBe('ERROR_PORTAL_NOT_FOUND');
    expect(sim.stats().calls).toBe(0);
  });

  it('treats method names case-insensitively and counts calls by method', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    await callOAuth(sim, A, 'IMBOT.APP.REGISTER', jsApp(7));
    await callOAuth(sim, A, 'imbot.bot.list');
    expect(sim.stats().callsByMethod).toEqual({ 'imbot.app.register': 1, 'imbot.bot.list': 1 });
    expect(sim.portal(A).apps).toHaveLength(1);
  });

  it('matches the portal domain case-insensitively', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A.toUpperCase(), 'imbot.app.register', {
      ...jsApp(7),
      auth: sim.portal(A).currentAccessToken,
    });
    expect(answer.status).toBe(200);
    expect(sim.portal('A.SIM.TEST').apps).toHaveLength(1);
  });

  it('counts odd method names without touching object prototypes', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const answer = await callOAuth(sim, A, '__proto__');
    expect(answer.json.error).toBe('ERROR_METHOD_NOT_FOUND');
    const stats = sim.stats();
    expect(Object.getPrototypeOf(stats.callsByMethod)).toBe(Object.prototype);
    expect(Object.entries(stats.callsByMethod)).toEqual([['__proto__', 1]]);
  });

  it('stores no __proto__ key from a JSON body in the app params', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const body = `{"auth":"${sim.portal(A).currentAccessToken}","BOT_ID":7,"CODE":"c","JS_METHOD":"SEND","HIDDEN":"Y","__proto__":{"x":1}}`;
    const response = await fetch(`${sim.url}/portal/${A}/rest/imbot.app.register.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    const params = sim.portal(A).apps[0]?.params ?? {};
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(params['x']).toBeUndefined();
  });
});
