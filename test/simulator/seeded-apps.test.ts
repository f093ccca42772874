import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/start-simulator.js';
import { callOAuth, callWebhook, jsApp, serverJsHash, useSimulators } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const HOOK = 'hook.sim.test';

/** An outdated version of jsApp(…, 'echo'): older command and title. */
const OUTDATED: Record<string, unknown> = {
  CODE: 'echo',
  JS_METHOD: 'SEND',
  JS_PARAM: '/old',
  LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Old title' }],
};

describe('apps a portal holds at start', () => {
  it('creates seed apps with the portal bot, owned by the portal application, without counting registrations', async () => {
    const sim = await start({
      portals: [
        { domain: A, botId: 7, apps: [{ ...OUTDATED, BOT_ID: 999 }] },
        { domain: HOOK, botId: 8, auth: 'webhook', clientId: 'app.one', apps: [OUTDATED] },
      ],
    });
    const oauth = sim.portal(A);
    expect(oauth.apps).toHaveLength(1);
    expect(oauth.apps[0]).toMatchObject({
      appId: 1,
      botId: 7,
      code: 'echo',
      ownerClientId: 'sim-client-id',
      origin: 'seed',
      updates: 0,
    });
    expect(oauth.apps[0]?.fields).toEqual({
      CODE: 'echo',
      BOT_ID: 7,
      JS_METHOD: 'SEND',
      JS_PARAM: '/old',
      IFRAME: '',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 250,
      IFRAME_POPUP: 'N',
      HIDDEN: 'N',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      CONTEXT: 'all',
      HASH: serverJsHash(7, 'echo', oauth.memberId),
      ICON: null,
      LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Old title', DESCRIPTION: null, COPYRIGHT: null }],
    });
    expect(sim.portal(HOOK).apps[0]).toMatchObject({ appId: 2, botId: 8, ownerClientId: 'customapp.one' });
    expect(sim.stats()).toMatchObject({ calls: 0, registrations: 0, registerExisting: 0 });
  });

  it('adopts a seeded app: register returns its APP_ID as a string, unchanged, and update brings it up to date', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7, apps: [OUTDATED] }] });
    const registered = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    expect(registered.json.result).toBe('1');
    expect(sim.portal(A).apps[0]?.fields).toMatchObject({ JS_PARAM: '/old', CONTEXT: 'all' });
    const wanted = jsApp(7, 'echo');
    const updated = await callOAuth(sim, A, 'imbot.app.update', {
      APP_ID: registered.json.result,
      FIELDS: wanted,
    });
    expect(updated.json.result).toBe(true);
    const app = sim.portal(A).apps[0];
    expect(app).toMatchObject({ appId: 1, origin: 'seed', updates: 1 });
    expect(app?.fields).toMatchObject({
      JS_PARAM: '/help',
      CONTEXT: 'bot',
      LANG: [
        { LANGUAGE_ID: 'en', TITLE: 'Echobot BUTTON', DESCRIPTION: 'Send help command', COPYRIGHT: null },
      ],
    });
    expect(sim.portal(A).registerExisting).toBe(1);
  });

  it('lets a webhook adopt a seeded app with its CLIENT_ID', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 8, auth: 'webhook', apps: [OUTDATED] }] });
    const registered = await callWebhook(sim, HOOK, 'imbot.app.register', jsApp(8, 'echo'));
    expect(registered.json.result).toBe('1');
  });

  it('refuses to start with a seed app the server would refuse, naming it and the code', async () => {
    await expect(
      startSimulator({
        portals: [{ domain: A }, { domain: 'b.sim.test', apps: [OUTDATED, { ...OUTDATED, LANG: [] }] }],
      }),
    ).rejects.toThrow(/portals\.1\.apps\.1 \(b\.sim\.test\): the server refuses it with LANG_ERROR/);
    await expect(
      startSimulator({ portals: [{ domain: A, apps: [{ ...OUTDATED, CONTEXT: 'c'.repeat(200) }] }] }),
    ).rejects.toThrow(/portals\.0\.apps\.0 \(a\.sim\.test\): the server refuses it with WRONG_REQUEST/);
  });
});

describe('preexisting apps on generated portals', () => {
  const holders = (sim: Awaited<ReturnType<typeof start>>): string[] =>
    sim
      .portalsFile()
      .map((entry) => entry.domain)
      .filter((domain) => sim.portal(domain).apps.length > 0);

  it('seeds the apps on exactly round(portals * share) portals, the same ones for the same seed', async () => {
    const options = {
      portals: 20,
      webhookShare: 0.25,
      seed: 3,
      preexisting: { share: 0.3, apps: [OUTDATED] },
    };
    const first = await start(options);
    const second = await start(options);
    const other = await start({ ...options, seed: 4 });
    expect(holders(first)).toHaveLength(6);
    expect(holders(second)).toEqual(holders(first));
    expect(holders(other)).toHaveLength(6);
    expect(holders(other)).not.toEqual(holders(first));
    for (const domain of holders(first)) {
      const view = first.portal(domain);
      expect(view.apps.map((app) => [app.origin, app.ownerClientId, app.fields.JS_PARAM])).toEqual([
        ['seed', view.botOwner, '/old'],
      ]);
    }
  });

  it('leaves the choice of webhook and expired portals unchanged', async () => {
    const base = { portals: 30, webhookShare: 0.2, expiredShare: 0.2, seed: 9 };
    const without = await start(base);
    const withApps = await start({ ...base, preexisting: { share: 0.5, apps: [OUTDATED] } });
    const kinds = (sim: Awaited<ReturnType<typeof start>>) =>
      sim
        .portalsFile()
        .map((entry) =>
          entry.auth.type === 'webhook'
            ? 'webhook'
            : Date.parse(entry.auth.expiresAt) < Date.now()
              ? 'expired'
              : 'oauth',
        );
    expect(kinds(withApps)).toEqual(kinds(without));
    expect(kinds(without).filter((kind) => kind === 'expired')).toHaveLength(6);
    expect(holders(withApps)).toHaveLength(15);
  });

  it('is refused for a list of portals', async () => {
    await expect(
      startSimulator({ portals: [{ domain: A }], preexisting: { share: 1, apps: [OUTDATED] } }),
    ).rejects.toThrow(/preexisting: applies to generated portals/);
  });
});
