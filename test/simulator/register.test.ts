import { describe, expect, it } from 'vitest';
import type { SimAppFields } from '../../src/simulator/simulator-types.js';
import {
  callOAuth,
  callWebhook,
  iframeApp,
  jsApp,
  pngBase64,
  postJson,
  serverJsHash,
  sha256,
  useSimulators,
  VALID_HASH,
} from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';
const B = 'b.sim.test';
const HOOK = 'hook.sim.test';

describe('imbot.app.register records what the portal holds', () => {
  it('registers a JS command, answers a numeric APP_ID with the time block and stores the server fields', async () => {
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
    const view = sim.portal(A);
    expect(view.apps).toHaveLength(1);
    expect(view.apps[0]).toMatchObject({
      appId: 1,
      botId: 62,
      code: 'echo',
      ownerClientId: 'sim-client-id',
      origin: 'register',
      updates: 0,
    });
    const expected: SimAppFields = {
      CODE: 'echo',
      BOT_ID: 62,
      JS_METHOD: 'SEND',
      JS_PARAM: '/help',
      IFRAME: '',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 250,
      IFRAME_POPUP: 'N',
      HIDDEN: 'N',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      CONTEXT: 'bot',
      HASH: serverJsHash(62, 'echo', view.memberId),
      ICON: null,
      LANG: [
        { LANGUAGE_ID: 'en', TITLE: 'Echobot BUTTON', DESCRIPTION: 'Send help command', COPYRIGHT: null },
      ],
    };
    expect(view.apps[0]?.fields).toEqual(expected);
    expect(sim.stats()).toMatchObject({ registrations: 1, registerExisting: 0, duplicates: 0 });
  });

  it('stores an IFRAME app with its URL as sent, sizes, popup and the HASH', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      ...iframeApp(7),
      IFRAME: 'https://marta.bitrix.com/iframe/echo.php?x=1',
      IFRAME_POPUP: 'Y',
      EXTRANET_SUPPORT: 'Y',
      LIVECHAT_SUPPORT: 'y',
    });
    expect(answer.json.result).toBe(1);
    expect(sim.portal(A).apps[0]?.fields).toEqual({
      CODE: 'frame',
      BOT_ID: 7,
      JS_METHOD: '',
      JS_PARAM: '',
      IFRAME: 'https://marta.bitrix.com/iframe/echo.php?x=1',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 150,
      IFRAME_POPUP: 'Y',
      HIDDEN: 'N',
      EXTRANET_SUPPORT: 'Y',
      LIVECHAT_SUPPORT: 'N',
      CONTEXT: 'all',
      HASH: VALID_HASH,
      ICON: null,
      LANG: [
        {
          LANGUAGE_ID: 'en',
          TITLE: 'Echobot IFRAME',
          DESCRIPTION: 'Open Echobot IFRAME app',
          COPYRIGHT: null,
        },
      ],
    } satisfies SimAppFields);
  });

  const conversions: Array<[string, Record<string, unknown>, Partial<SimAppFields>]> = [
    [
      'defaults an IFRAME app without sizes to 320 x 250',
      { IFRAME_WIDTH: undefined, IFRAME_HEIGHT: undefined },
      {
        IFRAME_WIDTH: 320,
        IFRAME_HEIGHT: 250,
      },
    ],
    [
      'raises sizes below 250 x 50',
      { IFRAME_WIDTH: '100', IFRAME_HEIGHT: 10 },
      { IFRAME_WIDTH: 250, IFRAME_HEIGHT: 50 },
    ],
    [
      'keeps exactly 250 x 50 and reads "400px" as 400',
      { IFRAME_WIDTH: '400px', IFRAME_HEIGHT: 50 },
      {
        IFRAME_WIDTH: 400,
        IFRAME_HEIGHT: 50,
      },
    ],
    ['cuts HASH to 32 characters', { HASH: `${VALID_HASH}EXTRA` }, { HASH: VALID_HASH }],
    ['lower-cases CONTEXT', { CONTEXT: 'USER' }, { CONTEXT: 'user' }],
    [
      "stores 'N' for anything but 'Y'",
      { HIDDEN: 'yes', IFRAME_POPUP: 'N' },
      { HIDDEN: 'N', IFRAME_POPUP: 'N' },
    ],
    ['stores HIDDEN Y', { HIDDEN: 'Y' }, { HIDDEN: 'Y' }],
    [
      'reads lower-case parameter names',
      { hidden: 'Y', context: 'Lines' },
      { HIDDEN: 'Y', CONTEXT: 'lines' },
    ],
    [
      'lower-cases LANGUAGE_ID and skips entries without LANGUAGE_ID or TITLE',
      {
        LANG: [
          { LANGUAGE_ID: 'DE', TITLE: 'Rahmen', COPYRIGHT: '(c) us' },
          { TITLE: 'no language' },
          { LANGUAGE_ID: 'fr' },
          'not an entry',
          { LANGUAGE_ID: 'es', TITLE: '' },
        ],
      },
      {
        LANG: [
          { LANGUAGE_ID: 'de', TITLE: 'Rahmen', DESCRIPTION: null, COPYRIGHT: '(c) us' },
          { LANGUAGE_ID: 'es', TITLE: '', DESCRIPTION: null, COPYRIGHT: null },
        ],
      },
    ],
    ['keeps a PNG icon (sha256 of its base64)', { ICON_FILE: pngBase64() }, { ICON: sha256(pngBase64()) }],
    [
      'keeps a PNG icon sent as [name, base64]',
      { ICON_FILE: ['i.png', pngBase64()] },
      { ICON: sha256(pngBase64()) },
    ],
    ['drops an SVG icon silently', { ICON_FILE: Buffer.from('<svg/>').toString('base64') }, { ICON: null }],
  ];
  for (const [name, params, fields] of conversions) {
    it(name, async () => {
      const sim = await start({ portals: [{ domain: A, botId: 7 }] });
      const answer = await callOAuth(sim, A, 'imbot.app.register', { ...iframeApp(7), ...params });
      expect(answer.status).toBe(200);
      expect(sim.portal(A).apps[0]?.fields).toMatchObject(fields);
    });
  }

  const jsParams: Array<[string, string, string, string]> = [
    ['keeps the first match of a SEND command', 'SEND', '/help  me', '/help'],
    ['accepts upper case', 'PUT', '/START Now', '/START Now'],
    ['keeps the tail digits of a dotted phone number', 'CALL', '+1.555.0100', '0100'],
    [
      'keeps a SUPPORT code',
      'SUPPORT',
      'ABCDEF0123456789abcdef0123456789',
      'ABCDEF0123456789abcdef0123456789',
    ],
  ];
  for (const [name, method, param, kept] of jsParams) {
    it(`${name}: ${method} ${JSON.stringify(param)} is stored as ${JSON.stringify(kept)}`, async () => {
      const sim = await start({ portals: [{ domain: A, botId: 7 }] });
      const answer = await callOAuth(sim, A, 'imbot.app.register', {
        ...jsApp(7),
        JS_METHOD: method,
        JS_PARAM: param,
      });
      expect(answer.status).toBe(200);
      expect(sim.portal(A).apps[0]?.fields).toMatchObject({ JS_METHOD: method, JS_PARAM: kept, IFRAME: '' });
    });
  }

  it('registers an app whose LANG entries are all skipped, with no language rows', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      ...jsApp(7),
      LANG: [{ LANGUAGE_ID: 'en' }],
    });
    expect(answer.json.result).toBe(1);
    expect(sim.portal(A).apps[0]?.fields.LANG).toEqual([]);
  });

  it('uses only the JS command when JS_METHOD and an http IFRAME are both given', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      ...jsApp(7),
      IFRAME: 'http://insecure.example/frame',
    });
    expect(answer.status).toBe(200);
    expect(sim.portal(A).apps[0]?.fields).toMatchObject({ JS_METHOD: 'SEND', IFRAME: '' });
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
});

describe('imbot.app.register checks, in the order of the server source', () => {
  const invalid: Array<[string, (bot: number) => Record<string, unknown>, string]> = [
    ['refuses a missing CODE', (bot) => ({ ...jsApp(bot), CODE: '' }), 'CODE_ERROR'],
    ['refuses CODE "0" (PHP empty)', (bot) => ({ ...jsApp(bot), CODE: '0' }), 'CODE_ERROR'],
    [
      'checks CODE before the bot',
      (bot) => ({ ...jsApp(bot), CODE: undefined, BOT_ID: bot + 1 }),
      'CODE_ERROR',
    ],
    [
      'refuses an app with neither JS_METHOD nor IFRAME',
      (bot) => ({ ...jsApp(bot), JS_METHOD: undefined }),
      'PARAMS_ERROR',
    ],
    ['refuses an unknown JS_METHOD', (bot) => ({ ...jsApp(bot), JS_METHOD: 'JUMP' }), 'PARAMS_ERROR'],
    ['refuses a lower-case JS_METHOD', (bot) => ({ ...jsApp(bot), JS_METHOD: 'send' }), 'PARAMS_ERROR'],
    ['refuses an empty JS_PARAM', (bot) => ({ ...jsApp(bot), JS_PARAM: '' }), 'PARAMS_ERROR'],
    [
      'refuses a JS_PARAM without a pattern match',
      (bot) => ({ ...jsApp(bot), JS_PARAM: 'help' }),
      'PARAMS_ERROR',
    ],
    [
      'does not fall back to a valid IFRAME when the JS_PARAM does not match',
      (bot) => ({ ...iframeApp(bot), JS_METHOD: 'SEND', JS_PARAM: 'help' }),
      'PARAMS_ERROR',
    ],
    [
      'refuses a phone without digits',
      (bot) => ({ ...jsApp(bot), JS_METHOD: 'CALL', JS_PARAM: 'me' }),
      'PARAMS_ERROR',
    ],
    [
      'checks the JS command before the bot',
      (bot) => ({ ...jsApp(bot), JS_PARAM: 'x', BOT_ID: 0 }),
      'PARAMS_ERROR',
    ],
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
    [
      'refuses an upper-case HTTPS scheme',
      (bot) => ({ ...iframeApp(bot), IFRAME: 'HTTPS://x.example/' }),
      'IFRAME_HTTPS',
    ],
    [
      'refuses an https IFRAME without a host',
      (bot) => ({ ...iframeApp(bot), IFRAME: 'https:///x.php' }),
      'IFRAME_HTTPS',
    ],
    ['refuses an IFRAME without HASH', (bot) => ({ ...iframeApp(bot), HASH: undefined }), 'HASH_ERROR'],
    ['refuses an empty HASH', (bot) => ({ ...iframeApp(bot), HASH: '' }), 'HASH_ERROR'],
    [
      'refuses a bot that is not the portal bot',
      (bot) => ({ ...jsApp(bot), BOT_ID: bot + 1 }),
      'BOT_ID_ERROR',
    ],
    ['refuses a missing BOT_ID', (bot) => ({ ...jsApp(bot), BOT_ID: undefined }), 'BOT_ID_ERROR'],
    ['refuses BOT_ID 0', (bot) => ({ ...jsApp(bot), BOT_ID: 0 }), 'BOT_ID_ERROR'],
    ['refuses a negative BOT_ID', (bot) => ({ ...jsApp(bot), BOT_ID: -bot }), 'BOT_ID_ERROR'],
    [
      'checks the bot before LANG',
      (bot) => ({ ...jsApp(bot), BOT_ID: bot + 1, LANG: undefined }),
      'BOT_ID_ERROR',
    ],
    ['refuses an app without LANG', (bot) => ({ ...jsApp(bot), LANG: undefined }), 'LANG_ERROR'],
    ['refuses an empty LANG', (bot) => ({ ...iframeApp(bot), LANG: [] }), 'LANG_ERROR'],
    [
      'refuses a hidden app without LANG',
      (bot) => ({ ...iframeApp(bot), HIDDEN: 'Y', LANG: undefined }),
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

  const columnLimits: Array<[string, Record<string, unknown>, boolean]> = [
    ['an IFRAME of 254 characters fits (255 with the appended "?")', { IFRAME: url(254) }, true],
    ['an IFRAME of 255 characters does not fit', { IFRAME: url(255) }, false],
    ['a CONTEXT of 128 characters fits', { CONTEXT: 'c'.repeat(128) }, true],
    ['a CONTEXT of 129 characters does not fit', { CONTEXT: 'c'.repeat(129) }, false],
    ['a CODE of 256 characters does not fit', { CODE: 'k'.repeat(256) }, false],
    [
      "a SEND JS_PARAM of 234 characters fits (BXIM.sendMessage('...'); is 255)",
      { IFRAME: undefined, JS_METHOD: 'SEND', JS_PARAM: `/${'a'.repeat(233)}` },
      true,
    ],
    [
      'a SEND JS_PARAM of 235 characters does not fit',
      { IFRAME: undefined, JS_METHOD: 'SEND', JS_PARAM: `/${'a'.repeat(234)}` },
      false,
    ],
  ];
  for (const [name, params, fits] of columnLimits) {
    it(`${name}${fits ? '' : ' (WRONG_REQUEST)'}`, async () => {
      const sim = await start({ portals: [{ domain: A, botId: 7 }] });
      const answer = await callOAuth(sim, A, 'imbot.app.register', { ...iframeApp(7), ...params });
      if (fits) {
        expect(answer.json.result).toBe(1);
      } else {
        expect(answer.status).toBe(400);
        expect(answer.json.error).toBe('WRONG_REQUEST');
        expect(sim.portal(A).apps).toEqual([]);
      }
    });
  }

  it('dumps every field, HASH included, in the WRONG_REQUEST description (as the real server does)', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const answer = await callOAuth(sim, A, 'imbot.app.register', {
      ...iframeApp(7),
      CONTEXT: 'c'.repeat(129),
      LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Frame' }],
    });
    expect(answer.json.error).toBe('WRONG_REQUEST');
    expect(answer.json.error_description).toBe(
      [
        "App can't be registeredarray (",
        "  'APP_ID' => 'sim-client-id',",
        "  'BOT_ID' => 7,",
        "  'CODE' => 'frame',",
        "  'ICON_ID' => 0,",
        `  'HASH' => '${VALID_HASH}',`,
        `  'CONTEXT' => '${'c'.repeat(129)}',`,
        "  'HIDDEN' => 'N',",
        "  'JS' => '',",
        "  'IFRAME' => 'https://marta.bitrix.com/iframe/echo.php',",
        "  'IFRAME_HEIGHT' => '150',",
        "  'IFRAME_WIDTH' => '350',",
        "  'IFRAME_POPUP' => 'N',",
        "  'EXTRANET_SUPPORT' => 'N',",
        "  'LIVECHAT_SUPPORT' => 'N',",
        "  'MODULE_ID' => 'rest',",
        "  'LANG' => ",
        '  array (',
        '    0 => ',
        '    array (',
        "      'LANGUAGE_ID' => 'en',",
        "      'TITLE' => 'Frame',",
        '    ),',
        '  ),',
        ')',
      ].join('\n'),
    );
  });
});

function url(length: number): string {
  const base = 'https://example.com/';
  return `${base}${'p'.repeat(length - base.length)}`;
}

describe('imbot.app.register is get-or-create by (BOT_ID, CODE)', () => {
  it('returns the existing APP_ID as a string and changes none of its fields', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const first = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    const before = sim.portal(A).apps[0]?.fields;
    const again = await callOAuth(sim, A, 'imbot.app.register', {
      ...jsApp(7, 'echo'),
      JS_PARAM: '/other',
      HIDDEN: 'Y',
      LANG: [{ LANGUAGE_ID: 'de', TITLE: 'Neu' }],
    });
    expect(first.json.result).toBe(1);
    expect(again.status).toBe(200);
    expect(again.json.result).toBe('1');
    expect(sim.portal(A).apps).toHaveLength(1);
    expect(sim.portal(A).apps[0]?.fields).toEqual(before);
    expect(sim.portal(A).registerExisting).toBe(1);
    expect(sim.stats()).toMatchObject({ registrations: 1, registerExisting: 1, duplicates: 0 });
  });

  it('returns the existing app even when the new parameters would not fit its columns', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    await callOAuth(sim, A, 'imbot.app.register', iframeApp(7));
    const again = await callOAuth(sim, A, 'imbot.app.register', {
      ...iframeApp(7),
      CONTEXT: 'c'.repeat(200),
    });
    expect(again.json.result).toBe('1');
  });

  it('still checks the parameters before looking for an existing app', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    await callOAuth(sim, A, 'imbot.app.register', jsApp(7));
    const again = await callOAuth(sim, A, 'imbot.app.register', { ...jsApp(7), LANG: [] });
    expect(again.json.error).toBe('LANG_ERROR');
    expect(sim.stats().registerExisting).toBe(0);
  });

  it('creates apps for another CODE and on another portal', async () => {
    const sim = await start({
      portals: [
        { domain: A, botId: 7 },
        { domain: B, botId: 7 },
      ],
    });
    const first = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    const otherCode = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'other'));
    const otherPortal = await callOAuth(sim, B, 'imbot.app.register', jsApp(7, 'echo'));
    expect([first, otherCode, otherPortal].map((a) => a.json.result)).toEqual([1, 2, 3]);
    expect(sim.stats()).toMatchObject({ registrations: 3, registerExisting: 0 });
  });

  it('with registerDeduplicates: false inserts a second app and counts the duplicate', async () => {
    const sim = await start({
      portals: [
        { domain: A, botId: 7 },
        { domain: B, botId: 7 },
      ],
      registerDeduplicates: false,
    });
    const first = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    const again = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'echo'));
    const otherCode = await callOAuth(sim, A, 'imbot.app.register', jsApp(7, 'other'));
    const otherPortal = await callOAuth(sim, B, 'imbot.app.register', jsApp(7, 'echo'));
    expect([first, again, otherCode, otherPortal].map((a) => a.json.result)).toEqual([1, 2, 3, 4]);
    expect(sim.portal(A).apps.map((app) => app.code)).toEqual(['echo', 'echo', 'other']);
    expect(sim.portal(A).duplicates).toBe(1);
    expect(sim.portal(B).duplicates).toBe(0);
    expect(sim.stats()).toMatchObject({ registrations: 4, duplicates: 1, registerExisting: 0 });
  });

  it('refuses registerDeduplicates that is not a boolean', async () => {
    await expect(start({ portals: 1, registerDeduplicates: 'no' as unknown as boolean })).rejects.toThrow(
      /registerDeduplicates/,
    );
  });
});

describe('imbot.app.register over HTTP', () => {
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

  it('stores no __proto__ key from a JSON body', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 7 }] });
    const body = `{"auth":"${sim.portal(A).currentAccessToken}","BOT_ID":7,"CODE":"c","JS_METHOD":"SEND","JS_PARAM":"/go","LANG":[{"LANGUAGE_ID":"en","TITLE":"t","__proto__":{"x":1}}],"__proto__":{"x":1}}`;
    const response = await fetch(`${sim.url}/portal/${A}/rest/imbot.app.register.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    const app = sim.portal(A).apps[0];
    expect(Object.getPrototypeOf(app?.params)).toBe(Object.prototype);
    expect(app?.params['x']).toBeUndefined();
    expect(app?.fields.LANG).toEqual([{ LANGUAGE_ID: 'en', TITLE: 't', DESCRIPTION: null, COPYRIGHT: null }]);
  });

  it('registers through a webhook for the application custom + CLIENT_ID', async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 9, auth: 'webhook', clientId: 'app.one' }] });
    const answer = await callWebhook(sim, HOOK, 'imbot.app.register', jsApp(9));
    expect(answer.json.result).toBe(1);
    const app = sim.portal(HOOK).apps[0];
    expect(app?.ownerClientId).toBe('customapp.one');
    expect(app?.params).not.toHaveProperty('CLIENT_ID');
  });

  it("refuses a webhook call for another application than the bot's (APP_ID_ERROR)", async () => {
    const sim = await start({ portals: [{ domain: HOOK, botId: 9, auth: 'webhook', clientId: 'app.one' }] });
    const answer = await callWebhook(sim, HOOK, 'imbot.app.register', { ...jsApp(9), CLIENT_ID: 'app.two' });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('APP_ID_ERROR');
    expect(sim.portal(HOOK).apps).toEqual([]);
  });
});
