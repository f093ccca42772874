import { describe, expect, it } from 'vitest';
import {
  APP_CONTEXTS,
  appDefinitionSchema,
  appsFileSchema,
  iframeAppSchema,
  jsCommandAppSchema,
  serverStoredJsParam,
} from '../../src/apps/app-definition-schema.js';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import type { InputProblem } from '../../src/input/input-error.js';

const LANG = [{ LANGUAGE_ID: 'en', TITLE: 'Echo' }];
const JS = { CODE: 'echo', JS_METHOD: 'SEND', JS_PARAM: '/help', LANG };
const IFRAME = { CODE: 'frame', IFRAME: 'https://apps.example.com/frame', HASH: 'auto', LANG };
const HASH32 = 'd1ab17949a572b0979d8db0d5b349cd2';
const CHANNEL32 = 'a588e1a88baf601b9d0b0b33b1eefc2b';

/** Problems of an apps file made of the given definitions (labelled apps.json). */
function problemsOf(...definitions: unknown[]): InputProblem[] {
  const result = appsFileSchema.safeParse(definitions);
  return result.success ? [] : formatZodIssues(result.error, 'apps.json');
}

function expectOnly(problems: InputProblem[], where: string, message: RegExp | string): void {
  expect(problems).toHaveLength(1);
  expect(problems[0]?.where).toBe(where);
  if (typeof message === 'string') expect(problems[0]?.message).toBe(message);
  else expect(problems[0]?.message).toMatch(message);
}

describe('apps file schema: valid definitions', () => {
  const valid: [string, Record<string, unknown>][] = [
    ['a minimal SEND command', JS],
    ['a PUT command with parameters', { ...JS, JS_METHOD: 'PUT', JS_PARAM: '/echo some-text+1_a b' }],
    ['a SEND command with upper-case letters (the server allows them)', { ...JS, JS_PARAM: '/Help ME' }],
    [
      'a SEND command of exactly 234 characters (the most its JS column holds)',
      { ...JS, JS_PARAM: `/${'a'.repeat(233)}` },
    ],
    ['a CALL command with a phone number', { ...JS, JS_METHOD: 'CALL', JS_PARAM: '+1 (555) 010-0100' }],
    ['a CALL command with an extension', { ...JS, JS_METHOD: 'CALL', JS_PARAM: '+1 555 0100 #12' }],
    [
      'a CALL command with "+" inside (the server keeps it whole)',
      { ...JS, JS_METHOD: 'CALL', JS_PARAM: '1+2345' },
    ],
    [
      'a SUPPORT command with a 32-character open channel code',
      { ...JS, JS_METHOD: 'SUPPORT', JS_PARAM: CHANNEL32 },
    ],
    ['flags set to Y', { ...JS, EXTRANET_SUPPORT: 'Y', LIVECHAT_SUPPORT: 'Y', IFRAME_POPUP: 'Y' }],
    ['an inline base64 icon', { ...JS, ICON_FILE: 'iVBORw0KGgo=' }],
    ['an icon path', { ...JS, ICON_FILE: { path: 'icons/echo.png' } }],
    [
      'translations with DESCRIPTION and COPYRIGHT',
      {
        ...JS,
        LANG: [
          { ...LANG[0], DESCRIPTION: 'd', COPYRIGHT: 'c' },
          { LANGUAGE_ID: 'de', TITLE: 'Echo' },
        ],
      },
    ],
    ['a minimal IFRAME app', IFRAME],
    ['an IFRAME app with sizes as numbers', { ...IFRAME, IFRAME_WIDTH: 250, IFRAME_HEIGHT: 50 }],
    ['an IFRAME app with sizes as numeric strings', { ...IFRAME, IFRAME_WIDTH: '350', IFRAME_HEIGHT: '150' }],
    ['an IFRAME app with an explicit 32-character HASH', { ...IFRAME, HASH: HASH32 }],
    ['a hidden IFRAME app', { ...IFRAME, HIDDEN: 'Y' }],
    [
      'an IFRAME app with query string and port',
      { ...IFRAME, IFRAME: 'https://x.example.com:8443/a.php?x=1' },
    ],
  ];
  it.each(valid)('accepts %s', (_name, def) => {
    expect(problemsOf(def)).toEqual([]);
  });

  it.each(APP_CONTEXTS.map((c) => [c]))('accepts CONTEXT %s', (context) => {
    expect(problemsOf({ ...JS, CONTEXT: context })).toEqual([]);
  });

  it('states every field an update must be able to reset: defaults fill CONTEXT, flags, HIDDEN and both sizes', () => {
    const parsed = appsFileSchema.parse([JS, IFRAME]);
    expect(parsed[0]).toEqual({
      ...JS,
      CONTEXT: 'BOT',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
    });
    expect(parsed[1]).toEqual({
      ...IFRAME,
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 250,
      CONTEXT: 'BOT',
      HIDDEN: 'N',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
    });
  });

  it('normalises: CONTEXT BOT and flags N by default, sizes as numbers', () => {
    const parsed = appsFileSchema.parse([JS, { ...IFRAME, IFRAME_WIDTH: '350', IFRAME_HEIGHT: 150 }]);
    expect(parsed[0]).toEqual({
      ...JS,
      CONTEXT: 'BOT',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
    });
    expect(parsed[1]).toEqual({
      ...IFRAME,
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 150,
      CONTEXT: 'BOT',
      HIDDEN: 'N',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
    });
  });
});

describe('apps file schema: CODE', () => {
  it('requires CODE', () => {
    const { CODE: _, ...def } = JS;
    expectOnly(problemsOf(def), 'apps.json[0].CODE', /^is required: 1 to 64 characters: letters, digits/);
  });
  it('refuses an empty CODE', () => {
    expectOnly(problemsOf({ ...JS, CODE: '' }), 'apps.json[0].CODE', /^must not be empty/);
  });
  it('refuses a CODE longer than 64 characters, saying so', () => {
    expectOnly(
      problemsOf({ ...JS, CODE: 'a'.repeat(65) }),
      'apps.json[0].CODE',
      'is 65 characters long; the maximum is 64',
    );
  });
  it('accepts a CODE of exactly 64 characters', () => {
    expect(problemsOf({ ...JS, CODE: 'a'.repeat(64) })).toEqual([]);
  });
  it.each([['a b'], ['echo/1'], ['ä'], ['a:b']])(
    'refuses the unsafe CODE %j, naming the allowed characters',
    (code) => {
      expectOnly(
        problemsOf({ ...JS, CODE: code }),
        'apps.json[0].CODE',
        /letters, digits, "_", "-" and "\."/,
      );
    },
  );
  it('accepts letters, digits, _, - and .', () => {
    expect(problemsOf({ ...JS, CODE: 'Echo_bot-2.v1' })).toEqual([]);
  });
  it('refuses a CODE that is not a string', () => {
    expectOnly(problemsOf({ ...JS, CODE: 7 }), 'apps.json[0].CODE', /^must be a string/);
  });
});

describe('apps file schema: JS commands', () => {
  it('refuses an unknown JS_METHOD, listing the four allowed', () => {
    expectOnly(
      problemsOf({ ...JS, JS_METHOD: 'POST' }),
      'apps.json[0].JS_METHOD',
      'must be: one of PUT, SEND, CALL, SUPPORT (spec: JS_METHOD)',
    );
  });
  it('requires JS_PARAM', () => {
    const { JS_PARAM: _, ...def } = JS;
    expectOnly(problemsOf(def), 'apps.json[0].JS_PARAM', /^is required: the command for PUT\/SEND/);
  });
  it.each([
    ['SEND', '/help  me', '/help', 'use single spaces between words'],
    ['SEND', '/help ', '/help', 'remove the trailing spaces'],
    [
      'SEND',
      '/help;rm',
      '/help',
      '";" is not allowed: after the "/" use only a-z A-Z 0-9 - _ + and single spaces',
    ],
    ['PUT', '/echo some-text+1_a/b', '/echo some-text+1_a', '"/" is not allowed'],
    ['PUT', '/hello wörld', '/hello w', '"ö" is not allowed'],
    ['SEND', 'say /help', '/help', 'start the command with "/": everything before "/help" is dropped'],
  ])(
    'refuses the %s JS_PARAM %j, which the server would cut, showing what it would store',
    (method, param, stored, fix) => {
      expect(serverStoredJsParam(method as 'SEND', param)).toBe(stored);
      const problems = problemsOf({ ...JS, JS_METHOD: method, JS_PARAM: param });
      expectOnly(
        problems,
        'apps.json[0].JS_PARAM',
        `${/[;ö]/.test(param) ? 'this JS_PARAM' : `JS_PARAM ${JSON.stringify(param)}`} would be stored by Bitrix24 as ${JSON.stringify(stored)} (the server keeps only the part matching its pattern); ${problems[0]?.message.split('; ').slice(1).join('; ')}`,
      );
      expect(problems[0]?.message).toContain(fix);
    },
  );
  it('refuses "/help  me" with exactly the message that shows the stored value', () => {
    expectOnly(
      problemsOf({ ...JS, JS_PARAM: '/help  me' }),
      'apps.json[0].JS_PARAM',
      'JS_PARAM "/help  me" would be stored by Bitrix24 as "/help" (the server keeps only the part matching its pattern); use single spaces between words',
    );
  });
  it.each([
    ['SEND', 'echo "x"'],
    ['PUT', '/hélp'],
    ['SEND', '/h'],
    ['SEND', 'help'],
  ])('refuses the %s JS_PARAM %j, which the server does not match at all (PARAMS_ERROR)', (method, param) => {
    expect(serverStoredJsParam(method as 'SEND', param)).toBeUndefined();
    expectOnly(
      problemsOf({ ...JS, JS_METHOD: method, JS_PARAM: param }),
      'apps.json[0].JS_PARAM',
      new RegExp(
        `^for JS_METHOD ${method} must be a command: "/" and a word of a-z A-Z 0-9 - _ \\+ .*PARAMS_ERROR`,
      ),
    );
  });
  it('never quotes back a JS_PARAM with markup or shell syntax, only the part the server would keep', () => {
    const problems = problemsOf({ ...JS, JS_PARAM: '/help <script>x</script>' });
    expectOnly(
      problems,
      'apps.json[0].JS_PARAM',
      /^this JS_PARAM would be stored by Bitrix24 as "\/help" \(the server keeps only the part matching its pattern\); use single spaces between words$/,
    );
    expect(problems[0]?.message).not.toContain('script');
  });
  it('refuses a tab between words, which the server would keep (ours: single spaces only)', () => {
    expectOnly(
      problemsOf({ ...JS, JS_PARAM: '/help\tme' }),
      'apps.json[0].JS_PARAM',
      'for JS_METHOD SEND may separate words only with single spaces, not tabs or line breaks',
    );
  });
  it('refuses an empty SEND JS_PARAM', () => {
    expectOnly(
      problemsOf({ ...JS, JS_PARAM: ' ' }),
      'apps.json[0].JS_PARAM',
      /^must not be empty: for JS_METHOD SEND/,
    );
  });
  it("refuses a SEND JS_PARAM that would not fit the server's 255-character JS column with its wrapper", () => {
    // BXIM.sendMessage('…'); takes 21 characters of the column: 234 fit, 235 do not.
    expect(problemsOf({ ...JS, JS_PARAM: `/${'a'.repeat(233)}` })).toEqual([]);
    expectOnly(
      problemsOf({ ...JS, JS_PARAM: `/${'a'.repeat(234)}` }),
      'apps.json[0].JS_PARAM',
      /^is 235 characters long; the maximum for JS_METHOD SEND is 234 \(the server stores it inside a 21-character/,
    );
  });
  it.each([
    ['+1.555.0100', '0100', 'JS_PARAM "+1.555.0100"'],
    ['+1 555 0100 ext. 12', ' 12', 'JS_PARAM "+1 555 0100 ext. 12"'],
    ['+1 555\n0100', '+1 555', 'this JS_PARAM'],
  ])('refuses the CALL JS_PARAM %j, which the server would store as %j', (param, stored, shown) => {
    expect(serverStoredJsParam('CALL', param)).toBe(stored);
    expectOnly(
      problemsOf({ ...JS, JS_METHOD: 'CALL', JS_PARAM: param }),
      'apps.json[0].JS_PARAM',
      `${shown} would be stored by Bitrix24 as ${JSON.stringify(stored)} (the server keeps only the part matching its pattern); write the number with digits, spaces and + - ( ) # only, e.g. "+1 555 0100"`,
    );
  });
  it.each([['call me'], ['555 x'], ['abc ']])(
    'refuses the CALL JS_PARAM %j, which the server does not match (PARAMS_ERROR)',
    (param) => {
      expectOnly(
        problemsOf({ ...JS, JS_METHOD: 'CALL', JS_PARAM: param }),
        'apps.json[0].JS_PARAM',
        /^for JS_METHOD CALL must be a phone number: write the number with digits, .*PARAMS_ERROR otherwise$/,
      );
    },
  );
  it.each([['12'], ['++'], ['(-)']])('refuses the CALL JS_PARAM %j (ours: at least 3 digits)', (param) => {
    expectOnly(
      problemsOf({ ...JS, JS_METHOD: 'CALL', JS_PARAM: param }),
      'apps.json[0].JS_PARAM',
      /^for JS_METHOD CALL must be a phone number with at least 3 digits/,
    );
  });
  it.each([['abc'], [`${CHANNEL32.slice(0, 31)}-`], [`${CHANNEL32.slice(0, 31)}g`]])(
    'refuses the SUPPORT JS_PARAM %j, which the server does not match (PARAMS_ERROR)',
    (param) => {
      expectOnly(
        problemsOf({ ...JS, JS_METHOD: 'SUPPORT', JS_PARAM: param }),
        'apps.json[0].JS_PARAM',
        `for JS_METHOD SUPPORT must be the open channel code: exactly 32 lower-case hex characters (0-9, a-f) (it has ${param.length} characters); Bitrix24 answers PARAMS_ERROR otherwise`,
      );
    },
  );
  it('refuses a SUPPORT code with a character too many, showing the 32 the server would keep', () => {
    expectOnly(
      problemsOf({ ...JS, JS_METHOD: 'SUPPORT', JS_PARAM: `0${CHANNEL32}` }),
      'apps.json[0].JS_PARAM',
      `JS_PARAM "0${CHANNEL32}" would be stored by Bitrix24 as "${CHANNEL32}" (the server keeps only the part matching its pattern); give the open channel code: exactly 32 lower-case hex characters (0-9, a-f)`,
    );
  });
  it('refuses an upper-case SUPPORT code (ours: open channel codes are lower case)', () => {
    expectOnly(
      problemsOf({ ...JS, JS_METHOD: 'SUPPORT', JS_PARAM: CHANNEL32.toUpperCase() }),
      'apps.json[0].JS_PARAM',
      /^for JS_METHOD SUPPORT must be the open channel code: exactly 32 lower-case hex characters .*; write it in lower case$/,
    );
  });
  it('requires LANG for a JS command (LANG_ERROR)', () => {
    const { LANG: _, ...def } = JS;
    expectOnly(problemsOf(def), 'apps.json[0].LANG', /^is required for every app, .*LANG_ERROR/);
  });
  it.each([['HASH'], ['IFRAME_WIDTH'], ['IFRAME_HEIGHT']])(
    'refuses the IFRAME-only %s in a JS command',
    (key) => {
      expectOnly(
        problemsOf({ ...JS, [key]: key === 'HASH' ? HASH32 : 300 }),
        `apps.json[0].${key}`,
        `${key} applies to IFRAME apps only, and this definition is a JS command (it has JS_METHOD)`,
      );
    },
  );
  it('refuses HIDDEN in a JS command: JS commands are always visible', () => {
    expectOnly(
      problemsOf({ ...JS, HIDDEN: 'Y' }),
      'apps.json[0].HIDDEN',
      /IFRAME apps only.*always visible$/,
    );
  });
});

describe('apps file schema: IFRAME apps', () => {
  it.each([
    ['http://apps.example.com/frame', 'http://'],
    ['javascript:alert(1)', 'javascript:'],
    ['ftp://apps.example.com/frame', 'ftp:'],
    ['data:text/html,<b>x</b>', 'data:'],
  ])('refuses the IFRAME %j (must be https://)', (url, scheme) => {
    expectOnly(
      problemsOf({ ...IFRAME, IFRAME: url }),
      'apps.json[0].IFRAME',
      `must start with https:// (the spec requires an active HTTPS certificate); ${scheme} URLs are refused`,
    );
  });
  it.each([['apps.example.com/frame'], ['/frame'], ['https://']])(
    'refuses the relative or broken IFRAME %j',
    (url) => {
      expectOnly(
        problemsOf({ ...IFRAME, IFRAME: url }),
        'apps.json[0].IFRAME',
        /^must be an absolute https:\/\/ URL/,
      );
    },
  );
  it('refuses an IFRAME with credentials in it', () => {
    expectOnly(
      problemsOf({ ...IFRAME, IFRAME: 'https://user:pw@apps.example.com/' }),
      'apps.json[0].IFRAME',
      'must not contain a user name or password',
    );
  });
  it('refuses an IFRAME with surrounding spaces', () => {
    expectOnly(problemsOf({ ...IFRAME, IFRAME: ' https://a.example.com/' }), 'apps.json[0].IFRAME', /spaces/);
  });
  it.each([[249], ['249'], [350.5], ['350px'], [true], [-1]])(
    'refuses IFRAME_WIDTH %j (integer >= 250)',
    (width) => {
      expectOnly(
        problemsOf({ ...IFRAME, IFRAME_WIDTH: width }),
        'apps.json[0].IFRAME_WIDTH',
        /^must be a whole number of pixels >= 250 \(spec: IFRAME_WIDTH "Minimum value - 250px"; Bitrix24 would silently raise a smaller one to 250\), .*leave it out for 350$/,
      );
    },
  );
  it.each([[49], ['10'], [0]])('refuses IFRAME_HEIGHT %j (integer >= 50)', (height) => {
    expectOnly(
      problemsOf({ ...IFRAME, IFRAME_HEIGHT: height }),
      'apps.json[0].IFRAME_HEIGHT',
      /pixels >= 50/,
    );
  });
  it('requires HASH for an IFRAME app (HASH_ERROR)', () => {
    const { HASH: _, ...def } = IFRAME;
    expectOnly(problemsOf(def), 'apps.json[0].HASH', /^is required for an IFRAME app \(spec HASH_ERROR/);
  });
  it.each([[HASH32.slice(1)], [`${HASH32}a`], [`${HASH32.slice(1)}-`], ['AUTO'], ['']])(
    'refuses the HASH %j (32 letters or digits, or "auto")',
    (hash) => {
      expectOnly(
        problemsOf({ ...IFRAME, HASH: hash }),
        'apps.json[0].HASH',
        /^must be exactly 32 letters or digits .* or "auto"/,
      );
    },
  );
  it.each([[undefined], ['N'], ['Y']])(
    'requires LANG for an IFRAME app with HIDDEN %j (LANG_ERROR whatever HIDDEN says)',
    (hidden) => {
      const { LANG: _, ...def } = IFRAME;
      expectOnly(
        problemsOf(hidden === undefined ? def : { ...def, HIDDEN: hidden }),
        'apps.json[0].LANG',
        /^is required for every app, hidden IFRAME apps too \(Bitrix24 answers LANG_ERROR without it, whatever HIDDEN says/,
      );
    },
  );
  it('accepts an IFRAME URL of 254 characters and refuses 255 (the server appends "?" or "&" in a 255 column)', () => {
    const base = 'https://apps.example.com/';
    const at = (length: number) => `${base}${'a'.repeat(length - base.length)}`;
    expect(problemsOf({ ...IFRAME, IFRAME: at(254) })).toEqual([]);
    expectOnly(
      problemsOf({ ...IFRAME, IFRAME: at(255) }),
      'apps.json[0].IFRAME',
      'is 255 characters long; the maximum is 254 (Bitrix24 stores it with a "?" or "&" appended in a 255-character column and answers WRONG_REQUEST for a longer one); shorten the URL',
    );
  });
  it('refuses JS_PARAM in an IFRAME app', () => {
    expectOnly(
      problemsOf({ ...IFRAME, JS_PARAM: '/help' }),
      'apps.json[0].JS_PARAM',
      /^JS_PARAM applies to JS commands only/,
    );
  });
});

describe('apps file schema: fields common to both kinds', () => {
  it.each([['bot'], ['BOT-ADMIN'], ['EVERYWHERE'], ['']])(
    'refuses CONTEXT %j, listing all twelve values',
    (context) => {
      expectOnly(
        problemsOf({ ...JS, CONTEXT: context }),
        'apps.json[0].CONTEXT',
        `must be one of ${APP_CONTEXTS.join(', ')} (spec: CONTEXT, each optionally with the -admin postfix)`,
      );
    },
  );
  it.each([
    ['EXTRANET_SUPPORT', 'yes', JS],
    ['LIVECHAT_SUPPORT', 'n', JS],
    ['IFRAME_POPUP', 1, JS],
    ['HIDDEN', 'X', IFRAME],
  ])('refuses %s = %j (only "Y" or "N")', (key, value, base) => {
    expectOnly(problemsOf({ ...base, [key]: value }), `apps.json[0].${key}`, 'must be "Y" or "N"');
  });
  it('says that booleans are not flags', () => {
    expectOnly(
      problemsOf({ ...JS, EXTRANET_SUPPORT: true }),
      'apps.json[0].EXTRANET_SUPPORT',
      'must be "Y" or "N" (the strings "Y" and "N", not true/false)',
    );
  });
  it("refuses BOT_ID: it comes from each portal's botId", () => {
    expectOnly(
      problemsOf({ ...JS, BOT_ID: 62 }),
      'apps.json[0].BOT_ID',
      "BOT_ID comes from each portal's botId; remove it",
    );
    expectOnly(
      problemsOf({ ...IFRAME, BOT_ID: 62 }),
      'apps.json[0].BOT_ID',
      "BOT_ID comes from each portal's botId; remove it",
    );
  });
  it('refuses an unknown key, listing the allowed keys', () => {
    expectOnly(
      problemsOf({ ...JS, COLOR: 'red' }),
      'apps.json[0].COLOR',
      'unknown key "COLOR"; allowed keys for a JS command: CODE, JS_METHOD, JS_PARAM, ICON_FILE, CONTEXT, EXTRANET_SUPPORT, LIVECHAT_SUPPORT, IFRAME_POPUP, LANG',
    );
    expectOnly(
      problemsOf({ ...IFRAME, COLOR: 'red' }),
      'apps.json[0].COLOR',
      /allowed keys for an IFRAME app: CODE, IFRAME, IFRAME_WIDTH/,
    );
  });
  it('suggests the upper-case name for a lower-case key', () => {
    expectOnly(problemsOf({ ...JS, context: 'BOT' }), 'apps.json[0].context', /did you mean "CONTEXT"\?/);
  });
  it('refuses a definition with both JS_METHOD and IFRAME', () => {
    expectOnly(
      problemsOf({ ...JS, IFRAME: IFRAME.IFRAME }),
      'apps.json[0]',
      /^has both JS_METHOD and IFRAME; .*not both/,
    );
  });
  it('refuses a definition with neither JS_METHOD nor IFRAME, and still checks its CODE', () => {
    const problems = problemsOf({ CODE: 'a b', LANG });
    expect(problems.map((p) => p.where)).toEqual(['apps.json[0]', 'apps.json[0].CODE']);
    expect(problems[0]?.message).toMatch(
      /^is neither a JS command nor an IFRAME app: give JS_METHOD and JS_PARAM, or IFRAME and HASH/,
    );
  });
  it.each([[5], ['echo'], [null], [[JS]]])('refuses the definition %j that is not an object', (def) => {
    expectOnly(problemsOf(def), 'apps.json[0]', 'must be a JSON object: one chat-app definition');
  });
});

describe('apps file schema: LANG', () => {
  it('refuses an empty LANG', () => {
    expectOnly(problemsOf({ ...JS, LANG: [] }), 'apps.json[0].LANG', /^must list at least one translation/);
  });
  it('refuses a LANG that is not an array', () => {
    expectOnly(
      problemsOf({ ...JS, LANG: { LANGUAGE_ID: 'en', TITLE: 'x' } }),
      'apps.json[0].LANG',
      /^must be an array of translations/,
    );
  });
  it.each([['EN'], ['eng'], ['e'], ['en-US']])('refuses LANGUAGE_ID %j (2 lowercase letters)', (id) => {
    expectOnly(
      problemsOf({ ...JS, LANG: [{ LANGUAGE_ID: id, TITLE: 'x' }] }),
      'apps.json[0].LANG[0].LANGUAGE_ID',
      'must be a 2-letter lowercase language code such as "en" or "de"',
    );
  });
  it.each([[''], ['   ']])('refuses the blank TITLE %j', (title) => {
    expectOnly(
      problemsOf({ ...JS, LANG: [{ LANGUAGE_ID: 'en', TITLE: title }] }),
      'apps.json[0].LANG[0].TITLE',
      /^must not be empty/,
    );
  });
  it('refuses a TITLE over 255 characters', () => {
    expectOnly(
      problemsOf({ ...JS, LANG: [{ LANGUAGE_ID: 'en', TITLE: 't'.repeat(256) }] }),
      'apps.json[0].LANG[0].TITLE',
      'must be at most 255 characters',
    );
  });
  it('requires TITLE', () => {
    expectOnly(
      problemsOf({ ...JS, LANG: [{ LANGUAGE_ID: 'en' }] }),
      'apps.json[0].LANG[0].TITLE',
      /^is required/,
    );
  });
  it('refuses a DESCRIPTION that is not a string', () => {
    expectOnly(
      problemsOf({ ...JS, LANG: [{ ...LANG[0], DESCRIPTION: 5 }] }),
      'apps.json[0].LANG[0].DESCRIPTION',
      /^must be a string/,
    );
  });
  it('refuses an unknown key in a translation, listing the allowed ones', () => {
    expectOnly(
      problemsOf({ ...JS, LANG: [{ ...LANG[0], NAME: 'x' }] }),
      'apps.json[0].LANG[0].NAME',
      'unknown key "NAME"; allowed keys: LANGUAGE_ID, TITLE, DESCRIPTION, COPYRIGHT',
    );
  });
  it('refuses a LANGUAGE_ID given twice, naming the first one', () => {
    expectOnly(
      problemsOf({
        ...JS,
        LANG: [LANG[0], { LANGUAGE_ID: 'de', TITLE: 'x' }, { LANGUAGE_ID: 'en', TITLE: 'y' }],
      }),
      'apps.json[0].LANG[2].LANGUAGE_ID',
      'duplicate LANGUAGE_ID "en": LANG[0] has it too; give one translation per language',
    );
  });
});

describe('apps file schema: ICON_FILE', () => {
  it.each([
    ['', /^must not be empty; leave ICON_FILE out/],
    ['data:image/png;base64,iVBORw0KGgo=', /without a "data:\.\.\.;base64," prefix/],
    ['iVBO Rw0K', /without spaces or line breaks/],
    ['abc', /^is not valid base64/],
    ['ab*d', /^is not valid base64/],
  ])('refuses the icon string %j', (icon, message) => {
    expectOnly(problemsOf({ ...JS, ICON_FILE: icon }), 'apps.json[0].ICON_FILE', message);
  });
  it('refuses an icon object with a misspelt key', () => {
    const problems = problemsOf({ ...JS, ICON_FILE: { paht: 'icons/x.png' } });
    expect(problems).toEqual([
      { where: 'apps.json[0].ICON_FILE.path', message: expect.stringMatching(/^is required: the icon file/) },
      { where: 'apps.json[0].ICON_FILE.paht', message: 'unknown key "paht"; allowed keys: path' },
    ]);
  });
  it('refuses an empty icon path', () => {
    expectOnly(
      problemsOf({ ...JS, ICON_FILE: { path: '' } }),
      'apps.json[0].ICON_FILE.path',
      /^must not be empty/,
    );
  });
  it('refuses an icon of the wrong type, saying both accepted forms', () => {
    expectOnly(
      problemsOf({ ...JS, ICON_FILE: 5 }),
      'apps.json[0].ICON_FILE',
      /base64 string .* or \{"path": "icons\/x\.png"\}/,
    );
  });
});

describe('apps file schema: the whole file', () => {
  it('refuses a file that is not an array', () => {
    const result = appsFileSchema.safeParse({ apps: [JS] });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(formatZodIssues(result.error, 'apps.json')).toEqual([
        {
          where: 'apps.json',
          message: expect.stringMatching(/^must be a JSON array of chat-app definitions/),
        },
      ]);
  });
  it('refuses an empty file', () => {
    expectOnly(problemsOf(), 'apps.json', 'must contain at least one chat-app definition');
  });
  it('reports a duplicate CODE with both indexes', () => {
    expectOnly(
      problemsOf(JS, IFRAME, { ...IFRAME, CODE: 'echo' }),
      'apps.json[2].CODE',
      'duplicate CODE "echo": [0] has it too; each app needs its own CODE',
    );
  });
  it('compares CODEs case-insensitively', () => {
    expectOnly(
      problemsOf(JS, { ...JS, CODE: 'ECHO' }),
      'apps.json[1].CODE',
      /^duplicate CODE "ECHO": \[0\] has it too \("echo"; CODE is compared case-insensitively\)/,
    );
  });
  it('reports every problem of every entry, not just the first', () => {
    const problems = problemsOf(
      { ...JS, JS_PARAM: '/help;rm', CONTEXT: 'nowhere', BOT_ID: 1 },
      JS,
      { ...IFRAME, IFRAME: 'http://x.example.com/', IFRAME_WIDTH: 10, HASH: 'short' },
      { ...JS, CODE: 'frame' },
    );
    expect(problems.map((p) => p.where)).toEqual([
      'apps.json[0].BOT_ID',
      'apps.json[0].CONTEXT',
      'apps.json[0].JS_PARAM',
      'apps.json[2].IFRAME',
      'apps.json[2].IFRAME_WIDTH',
      'apps.json[2].HASH',
      'apps.json[1].CODE',
      'apps.json[3].CODE',
    ]);
  });
});

describe('single-definition schemas', () => {
  it('appDefinitionSchema parses one definition', () => {
    expect(appDefinitionSchema.parse(JS)).toMatchObject({ CODE: 'echo', CONTEXT: 'BOT' });
  });
  it('jsCommandAppSchema and iframeAppSchema refuse unknown keys on their own, listing the allowed keys', () => {
    const js = jsCommandAppSchema.safeParse({ ...JS, X: 1 });
    expect(js.success).toBe(false);
    if (!js.success) {
      expect(formatZodIssues(js.error, 'def')).toEqual([
        {
          where: 'def.X',
          message: expect.stringMatching(/^unknown key "X"; allowed keys: CODE, JS_METHOD, JS_PARAM/),
        },
      ]);
    }
    expect(iframeAppSchema.safeParse({ ...IFRAME, X: 1 }).success).toBe(false);
    expect(iframeAppSchema.safeParse(IFRAME).success).toBe(true);
  });
});
