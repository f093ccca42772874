import { describe, expect, it } from 'vitest';
import { callOAuth, callWebhook, iframeApp, jsApp, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const HOOK = 'hook.sim.test';

async function withApp(options: { auth?: 'oauth' | 'webhook' } = {}) {
  const sim = await start({
    portals: [
      { domain: A, botId: 7 },
      { domain: HOOK, botId: 7, auth: options.auth ?? 'webhook' },
    ],
  });
  const registered = await callOAuth(sim, A, 'imbot.app.register', iframeApp(7));
  return { sim, appId: registered.json.result as number };
}

describe('imbot.app.update', () => {
  it('merges FIELDS into the stored params and answers true', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.update', {
      APP_ID: appId,
      FIELDS: { IFRAME: 'https://example.com/v2', LANG: [{ LANGUAGE_ID: 'de', TITLE: 'Neu' }] },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.result).toBe(true);
    const params = sim.portal(A).apps[0]?.params ?? {};
    expect(params['IFRAME']).toBe('https://example.com/v2');
    expect(params['HASH']).toBe(iframeApp(7)['HASH']);
    expect(params['LANG']).toEqual([{ LANGUAGE_ID: 'de', TITLE: 'Neu' }]);
    expect(sim.stats().updates).toBe(1);
  });

  it('switches an IFRAME app to a JS command when FIELDS has JS_METHOD', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.update', {
      APP_ID: appId,
      FIELDS: { JS_METHOD: 'PUT', JS_PARAM: '/start', IFRAME: 'http://ignored.example' },
    });
    expect(answer.json.result).toBe(true);
    const params = sim.portal(A).apps[0]?.params ?? {};
    expect(params['JS_METHOD']).toBe('PUT');
    expect(params).not.toHaveProperty('IFRAME');
    expect(params).not.toHaveProperty('HASH');
  });

  it('validates the merged params like register (IFRAME_HTTPS)', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.update', {
      APP_ID: appId,
      FIELDS: { IFRAME: 'http://example.com/insecure' },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('IFRAME_HTTPS');
    expect(sim.portal(A).apps[0]?.params['IFRAME']).toBe(iframeApp(7)['IFRAME']);
    expect(sim.stats().updates).toBe(0);
  });

  it('answers CHAT_APP_ID_ERROR for an unknown APP_ID', async () => {
    const { sim } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.update', { APP_ID: 999, FIELDS: { HIDDEN: 'Y' } });
    expect(answer.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it('answers CHAT_APP_ID_ERROR for an app of another portal', async () => {
    const { sim, appId } = await withApp({ auth: 'oauth' });
    const answer = await callOAuth(sim, HOOK, 'imbot.app.update', { APP_ID: appId, FIELDS: { HIDDEN: 'Y' } });
    expect(answer.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it('answers APP_ID_ERROR for an app owned by another REST application', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 7, auth: 'webhook' }] });
    const registered = await callWebhook(sim, HOOK, 'imbot.app.register', {
      ...jsApp(7),
      CLIENT_ID: 'app.one',
    });
    const appId = registered.json.result;
    const foreign = await callWebhook(sim, HOOK, 'imbot.app.update', {
      APP_ID: appId,
      CLIENT_ID: 'app.two',
      FIELDS: { JS_PARAM: '/x' },
    });
    expect(foreign.json.error).toBe('APP_ID_ERROR');
    const own = await callWebhook(sim, HOOK, 'imbot.app.update', {
      APP_ID: appId,
      CLIENT_ID: 'app.one',
      FIELDS: { JS_PARAM: '/x' },
    });
    expect(own.json.result).toBe(true);
  });

  it('answers WRONG_REQUEST without FIELDS', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.update', { APP_ID: appId });
    expect(answer.json.error).toBe('WRONG_REQUEST');
  });
});

describe('imbot.app.unregister', () => {
  it('removes the app and answers true', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.unregister', { APP_ID: appId });
    expect(answer.json.result).toBe(true);
    expect(sim.portal(A).apps).toEqual([]);
    expect(sim.stats().unregistrations).toBe(1);
    const again = await callOAuth(sim, A, 'imbot.app.unregister', { APP_ID: appId });
    expect(again.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it('refuses to remove an app of another owner (APP_ID_ERROR) and keeps it', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 7, auth: 'webhook' }] });
    const registered = await callWebhook(sim, HOOK, 'imbot.app.register', {
      ...jsApp(7),
      CLIENT_ID: 'app.one',
    });
    const answer = await callWebhook(sim, HOOK, 'imbot.app.unregister', {
      APP_ID: registered.json.result,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('APP_ID_ERROR');
    expect(sim.portal(HOOK).apps).toHaveLength(1);
    expect(sim.stats().unregistrations).toBe(0);
  });

  it('answers CHAT_APP_ID_ERROR for a missing APP_ID', async () => {
    const { sim } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.unregister', {});
    expect(answer.json.error).toBe('CHAT_APP_ID_ERROR');
  });
});
