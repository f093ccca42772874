import { describe, expect, it } from 'vitest';
import type { SimAppFields } from '../../src/simulator/simulator-types.js';
import {
  callOAuth,
  callWebhook,
  iframeApp,
  jsApp,
  pngBase64,
  useSimulators,
  VALID_HASH,
} from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';
const HOOK = 'hook.sim.test';

type Start = Awaited<ReturnType<typeof start>>;

/** A portal holding one app registered from `params`; returns the fields it holds. */
async function withApp(params: Record<string, unknown> = iframeApp(7)) {
  const sim = await start({
    portals: [
      { domain: A, botId: 7 },
      { domain: B, botId: 7 },
    ],
  });
  const registered = await callOAuth(sim, A, 'imbot.app.register', params);
  const appId = registered.json.result as number;
  return { sim, appId, before: fieldsOf(sim) };
}

function fieldsOf(sim: Start): SimAppFields {
  const fields = sim.portal(A).apps[0]?.fields;
  if (fields === undefined) throw new Error('no app on the portal');
  return fields;
}

async function update(sim: Start, appId: unknown, fields?: Record<string, unknown>) {
  return await callOAuth(
    sim,
    A,
    'imbot.app.update',
    fields === undefined ? { APP_ID: appId } : { APP_ID: appId, FIELDS: fields },
  );
}

describe('imbot.app.update applies exactly the fields the server applies', () => {
  it('applies the given fields, keeps the left-out ones and answers true', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId, {
      IFRAME: 'https://example.com/v2',
      IFRAME_HEIGHT: 400,
      LANG: [{ LANGUAGE_ID: 'DE', TITLE: 'Neu', DESCRIPTION: 'Beschreibung' }],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual({
      ...before,
      IFRAME: 'https://example.com/v2',
      IFRAME_HEIGHT: 400,
      LANG: [{ LANGUAGE_ID: 'de', TITLE: 'Neu', DESCRIPTION: 'Beschreibung', COPYRIGHT: null }],
    });
    expect(sim.portal(A).apps[0]?.updates).toBe(1);
    expect(sim.stats().updates).toBe(1);
  });

  it('applies HIDDEN both ways', async () => {
    const { sim, appId } = await withApp();
    await update(sim, appId, { HIDDEN: 'Y' });
    expect(fieldsOf(sim).HIDDEN).toBe('Y');
    await update(sim, appId, { HIDDEN: 'N' });
    expect(fieldsOf(sim).HIDDEN).toBe('N');
  });

  it('applies IFRAME_POPUP, EXTRANET_SUPPORT, LIVECHAT_SUPPORT and a lower-cased CONTEXT', async () => {
    const { sim, appId, before } = await withApp();
    await update(sim, appId, {
      IFRAME_POPUP: 'Y',
      EXTRANET_SUPPORT: 'Y',
      LIVECHAT_SUPPORT: 'Y',
      CONTEXT: 'USER',
    });
    expect(fieldsOf(sim)).toEqual({
      ...before,
      IFRAME_POPUP: 'Y',
      EXTRANET_SUPPORT: 'Y',
      LIVECHAT_SUPPORT: 'Y',
      CONTEXT: 'user',
    });
  });

  it('ignores CODE and BOT_ID, and an empty CONTEXT, HASH or HIDDEN', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId, {
      CODE: 'renamed',
      BOT_ID: 8,
      CONTEXT: '',
      HASH: '',
      HIDDEN: '',
    });
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual(before);
  });

  it('accepts ICON_FILE and never applies it', async () => {
    const { sim, appId, before } = await withApp({ ...iframeApp(7), ICON_FILE: pngBase64(8, 8) });
    expect(before.ICON).not.toBeNull();
    const answer = await update(sim, appId, { ICON_FILE: pngBase64(32, 32) });
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual(before);
  });

  it('raises IFRAME_WIDTH below 250 and IFRAME_HEIGHT below 50', async () => {
    const { sim, appId } = await withApp();
    await update(sim, appId, { IFRAME_WIDTH: '100', IFRAME_HEIGHT: 0 });
    expect(fieldsOf(sim)).toMatchObject({ IFRAME_WIDTH: 250, IFRAME_HEIGHT: 50 });
  });

  it('replaces HASH without cutting it when it fits', async () => {
    const { sim, appId } = await withApp();
    await update(sim, appId, { HASH: 'f'.repeat(32) });
    expect(fieldsOf(sim).HASH).toBe('f'.repeat(32));
  });

  it('drops the whole row update for a HASH over 32 characters and still answers true (LANG rows are replaced first)', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId, {
      HASH: `${VALID_HASH}x`,
      HIDDEN: 'Y',
      CONTEXT: 'user',
      LANG: [{ LANGUAGE_ID: 'fr', TITLE: 'Cadre' }],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual({
      ...before,
      LANG: [{ LANGUAGE_ID: 'fr', TITLE: 'Cadre', DESCRIPTION: null, COPYRIGHT: null }],
    });
  });

  it('drops the row update for an IFRAME over 254 characters, answering true', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId, {
      IFRAME: `https://example.com/${'p'.repeat(235)}`,
      HIDDEN: 'Y',
    });
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual(before);
  });

  it('answers IFRAME_HTTPS for an http IFRAME and changes nothing, LANG included', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId, {
      IFRAME: 'http://example.com/insecure',
      HIDDEN: 'Y',
      LANG: [{ LANGUAGE_ID: 'fr', TITLE: 'Cadre' }],
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('IFRAME_HTTPS');
    expect(fieldsOf(sim)).toEqual(before);
    expect(sim.stats().updates).toBe(0);
  });

  it('keeps the old JS command when JS_PARAM does not match the pattern', async () => {
    const { sim, appId, before } = await withApp(jsApp(7));
    const answer = await update(sim, appId, { JS_METHOD: 'SEND', JS_PARAM: 'no slash', HIDDEN: 'Y' });
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual({ ...before, HIDDEN: 'Y' });
  });

  it('stores the first match of a new JS_PARAM', async () => {
    const { sim, appId } = await withApp(jsApp(7));
    await update(sim, appId, { JS_METHOD: 'PUT', JS_PARAM: '/start  now' });
    expect(fieldsOf(sim)).toMatchObject({ JS_METHOD: 'PUT', JS_PARAM: '/start' });
  });

  it('switching an IFRAME app to JS writes the JS command and leaves the IFRAME filled', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId, {
      JS_METHOD: 'PUT',
      JS_PARAM: '/start',
      IFRAME: 'https://ignored.example/',
    });
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual({ ...before, JS_METHOD: 'PUT', JS_PARAM: '/start' });
  });

  it('switching a JS app to IFRAME writes the IFRAME and leaves the JS command filled', async () => {
    const { sim, appId, before } = await withApp(jsApp(7));
    await update(sim, appId, { IFRAME: 'https://example.com/frame', HASH: VALID_HASH });
    expect(fieldsOf(sim)).toEqual({ ...before, IFRAME: 'https://example.com/frame', HASH: VALID_HASH });
    expect(before.JS_PARAM).toBe('/help');
  });

  it('looks at the IFRAME when JS_METHOD is not one of the server methods', async () => {
    const { sim, appId } = await withApp(jsApp(7));
    await update(sim, appId, { JS_METHOD: 'send', JS_PARAM: '/x', IFRAME: 'https://example.com/f' });
    expect(fieldsOf(sim)).toMatchObject({
      JS_METHOD: 'SEND',
      JS_PARAM: '/help',
      IFRAME: 'https://example.com/f',
    });
  });

  it('answers true without FIELDS and changes nothing', async () => {
    const { sim, appId, before } = await withApp();
    const answer = await update(sim, appId);
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim)).toEqual(before);
    expect(sim.portal(A).apps[0]?.updates).toBe(1);
  });

  it('finds the app by an APP_ID sent as a string', async () => {
    const { sim, appId } = await withApp();
    const answer = await update(sim, String(appId), { HIDDEN: 'Y' });
    expect(answer.json.result).toBe(true);
    expect(fieldsOf(sim).HIDDEN).toBe('Y');
  });

  it('answers CHAT_APP_ID_ERROR for an unknown APP_ID', async () => {
    const { sim } = await withApp();
    const answer = await update(sim, 999, { HIDDEN: 'Y' });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it('answers CHAT_APP_ID_ERROR for an app of another portal', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, B, 'imbot.app.update', { APP_ID: appId, FIELDS: { HIDDEN: 'Y' } });
    expect(answer.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it('answers APP_ID_ERROR for an app of another REST application', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 7, auth: 'webhook', clientId: 'app.one' }] });
    const registered = await callWebhook(sim, HOOK, 'imbot.app.register', jsApp(7));
    const appId = registered.json.result;
    const foreign = await callWebhook(sim, HOOK, 'imbot.app.update', {
      APP_ID: appId,
      CLIENT_ID: 'app.two',
      FIELDS: { JS_PARAM: '/x', JS_METHOD: 'SEND' },
    });
    expect(foreign.json.error).toBe('APP_ID_ERROR');
    const own = await callWebhook(sim, HOOK, 'imbot.app.update', {
      APP_ID: appId,
      FIELDS: { JS_PARAM: '/xy', JS_METHOD: 'SEND' },
    });
    expect(own.json.result).toBe(true);
    expect(sim.portal(HOOK).apps[0]?.fields.JS_PARAM).toBe('/xy');
  });
});

describe('imbot.app.unregister', () => {
  it('removes the app and answers true, then CHAT_APP_ID_ERROR for the same id', async () => {
    const { sim, appId } = await withApp();
    const answer = await callOAuth(sim, A, 'imbot.app.unregister', { APP_ID: appId });
    expect(answer.json.result).toBe(true);
    expect(sim.portal(A).apps).toEqual([]);
    expect(sim.stats().unregistrations).toBe(1);
    const again = await callOAuth(sim, A, 'imbot.app.unregister', { APP_ID: appId });
    expect(again.status).toBe(400);
    expect(again.json.error).toBe('CHAT_APP_ID_ERROR');
  });

  it('lets a register after an unregister create a new app', async () => {
    const { sim, appId } = await withApp();
    await callOAuth(sim, A, 'imbot.app.unregister', { APP_ID: appId });
    const again = await callOAuth(sim, A, 'imbot.app.register', iframeApp(7));
    expect(again.json.result).toBe(2);
  });

  it('refuses to remove an app of another application (APP_ID_ERROR) and keeps it', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 7, auth: 'webhook', clientId: 'app.one' }] });
    const registered = await callWebhook(sim, HOOK, 'imbot.app.register', jsApp(7));
    const answer = await callWebhook(sim, HOOK, 'imbot.app.unregister', {
      APP_ID: registered.json.result,
      CLIENT_ID: 'app.two',
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
