import { describe, expect, it } from 'vitest';
import { appDefinitionSchema } from '../../src/apps/app-definition-schema.js';
import { canonicalJson } from '../../src/apps/canonical-json.js';
import { definitionHash } from '../../src/apps/definition-hash.js';
import { deriveAppHash } from '../../src/apps/derive-app-hash.js';
import { detectIconFormat } from '../../src/apps/detect-icon-format.js';
import { AppParamsError, toRegisterParams, toUpdateFields } from '../../src/apps/to-method-params.js';

const LANG = [{ LANGUAGE_ID: 'en', TITLE: 'Echo', DESCRIPTION: 'Send help' }];
const js = appDefinitionSchema.parse({
  CODE: 'echo',
  JS_METHOD: 'SEND',
  JS_PARAM: '/help',
  ICON_FILE: 'iVBORw0KGgo=',
  LANG,
});
const iframe = appDefinitionSchema.parse({
  CODE: 'frame',
  IFRAME: 'https://apps.example.com/frame',
  IFRAME_WIDTH: '350',
  IFRAME_HEIGHT: 150,
  HASH: 'auto',
  CONTEXT: 'ALL-admin',
  LANG,
});
const HASH = '0123456789abcdef0123456789abcdef';

describe('definitionHash', () => {
  it('is the same whatever the key order, in the definition and inside LANG', () => {
    const a = appDefinitionSchema.parse({
      CODE: 'x',
      JS_METHOD: 'PUT',
      JS_PARAM: '/go',
      LANG: [{ LANGUAGE_ID: 'en', TITLE: 'T' }],
    });
    const b = appDefinitionSchema.parse({
      LANG: [{ TITLE: 'T', LANGUAGE_ID: 'en' }],
      JS_PARAM: '/go',
      CODE: 'x',
      JS_METHOD: 'PUT',
    });
    expect(definitionHash(a)).toBe(definitionHash(b));
    expect(definitionHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for a definition given with and without its defaults, and with sizes as strings or numbers', () => {
    const explicit = appDefinitionSchema.parse({
      CODE: 'frame',
      IFRAME: 'https://apps.example.com/frame',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: '150',
      HASH: 'auto',
      CONTEXT: 'ALL-admin',
      HIDDEN: 'N',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
      LANG,
    });
    expect(definitionHash(explicit)).toBe(definitionHash(iframe));
  });

  it('does not depend on the order of translations', () => {
    const en = { LANGUAGE_ID: 'en', TITLE: 'Echo' };
    const de = { LANGUAGE_ID: 'de', TITLE: 'Echo' };
    const base = { CODE: 'x', JS_METHOD: 'SEND', JS_PARAM: '/go' };
    expect(definitionHash(appDefinitionSchema.parse({ ...base, LANG: [en, de] }))).toBe(
      definitionHash(appDefinitionSchema.parse({ ...base, LANG: [de, en] })),
    );
  });

  it('changes when any field changes', () => {
    const changed = [
      { ...js, JS_PARAM: '/help me' },
      { ...js, CONTEXT: 'USER' as const },
      { ...js, ICON_FILE: 'iVBORw0KGgp=' },
      { ...js, LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Echo!' }] },
    ];
    const hashes = new Set([definitionHash(js), ...changed.map(definitionHash)]);
    expect(hashes.size).toBe(changed.length + 1);
  });

  it('canonicalJson sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined, c: null })).toBe(
      '{"b":[{"c":2,"d":1}],"c":null}',
    );
  });
});

describe('deriveAppHash', () => {
  it('gives 32 lowercase hex characters', () => {
    expect(deriveAppHash('secret', 'a.bitrix24.com', 'frame')).toMatch(/^[0-9a-f]{32}$/);
  });
  it('is stable for the same inputs', () => {
    expect(deriveAppHash('secret', 'a.bitrix24.com', 'frame')).toBe(
      deriveAppHash('secret', 'a.bitrix24.com', 'frame'),
    );
  });
  it('differs per portal, per app and per secret', () => {
    const hashes = new Set([
      deriveAppHash('secret', 'a.bitrix24.com', 'frame'),
      deriveAppHash('secret', 'b.bitrix24.com', 'frame'),
      deriveAppHash('secret', 'a.bitrix24.com', 'frame2'),
      deriveAppHash('other', 'a.bitrix24.com', 'frame'),
      // the separator keeps domain and code apart
      deriveAppHash('secret', 'a.bitrix24.comf', 'rame'),
    ]);
    expect(hashes.size).toBe(5);
  });
  it('treats the domain case-insensitively', () => {
    expect(deriveAppHash('s', 'A.Bitrix24.com', 'x')).toBe(deriveAppHash('s', 'a.bitrix24.com', 'x'));
  });
  it('refuses an empty secret', () => {
    expect(() => deriveAppHash('', 'a.bitrix24.com', 'x')).toThrow(RangeError);
  });
});

describe('toRegisterParams', () => {
  it('builds the JS command parameters of imbot.app.register', () => {
    expect(toRegisterParams(js, { botId: 62, hash: undefined })).toEqual({
      BOT_ID: 62,
      CODE: 'echo',
      JS_METHOD: 'SEND',
      JS_PARAM: '/help',
      HIDDEN: 'N',
      ICON_FILE: 'iVBORw0KGgo=',
      CONTEXT: 'BOT',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
      LANG,
    });
  });

  it('builds the IFRAME parameters with HASH "auto" replaced by the portal hash', () => {
    expect(toRegisterParams(iframe, { botId: 7, hash: HASH })).toEqual({
      BOT_ID: 7,
      CODE: 'frame',
      IFRAME: 'https://apps.example.com/frame',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 150,
      HASH,
      HIDDEN: 'N',
      CONTEXT: 'ALL-admin',
      EXTRANET_SUPPORT: 'N',
      LIVECHAT_SUPPORT: 'N',
      IFRAME_POPUP: 'N',
      LANG,
    });
  });

  it('keeps an explicit HASH', () => {
    const fixed = { ...iframe, HASH: 'd1ab17949a572b0979d8db0d5b349cd2' };
    expect(toRegisterParams(fixed, { botId: 7, hash: HASH })['HASH']).toBe(
      'd1ab17949a572b0979d8db0d5b349cd2',
    );
  });

  it('refuses HASH "auto" without a valid portal hash', () => {
    expect(() => toRegisterParams(iframe, { botId: 7, hash: undefined })).toThrow(AppParamsError);
    expect(() => toRegisterParams(iframe, { botId: 7, hash: 'short' })).toThrow(/no valid 32-character hash/);
  });

  it('refuses an icon path that was not resolved by loadAppsFile', () => {
    const unresolved = { ...js, ICON_FILE: { path: 'icons/x.png' } };
    expect(() => toRegisterParams(unresolved, { botId: 1, hash: undefined })).toThrow(AppParamsError);
  });

  it('does not share LANG objects with the definition', () => {
    const params = toRegisterParams(js, { botId: 1, hash: undefined });
    expect(params['LANG']).toEqual(js.LANG);
    expect(params['LANG']).not.toBe(js.LANG);
  });
});

describe('toUpdateFields', () => {
  it('has every register field but BOT_ID, CODE and ICON_FILE, which update ignores (JS command)', () => {
    const {
      BOT_ID: _b,
      CODE: _c,
      ICON_FILE: _i,
      ...rest
    } = toRegisterParams(js, { botId: 62, hash: undefined });
    expect(toUpdateFields(js, { hash: undefined })).toEqual(rest);
  });

  it('sends HIDDEN and both sizes, so an update can reset them (docs/bitrix24.md, "Update")', () => {
    const { BOT_ID: _b, CODE: _c, ...rest } = toRegisterParams(iframe, { botId: 62, hash: HASH });
    const fields = toUpdateFields(iframe, { hash: HASH });
    expect(fields).toEqual(rest);
    expect(fields).toMatchObject({ HIDDEN: 'N', IFRAME_WIDTH: 350, IFRAME_HEIGHT: 150, HASH });
    const bare = appDefinitionSchema.parse({
      CODE: 'f',
      IFRAME: 'https://a.example.com/',
      HASH: 'auto',
      LANG,
    });
    expect(toUpdateFields(bare, { hash: HASH })).toMatchObject({ IFRAME_WIDTH: 350, IFRAME_HEIGHT: 250 });
  });
});

describe('detectIconFormat', () => {
  it.each([
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'png'],
    [[0xff, 0xd8, 0xff, 0xdb], 'jpeg'],
    [[...Buffer.from('GIF87a')], 'gif'],
    [[...Buffer.from('BM'), 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0], 'bmp'],
    [[...Buffer.from('BMW is not a bitmap')], undefined],
    [[...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8L')], 'webp'],
    [[...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVEfmt ')], undefined],
    [[...Buffer.from('\uFEFF  <svg viewBox="0 0 1 1"></svg>')], 'svg'],
    [[...Buffer.from('<html><body>no</body></html>')], undefined],
    [[0x89, 0x50, 0x4e], undefined],
    [[], undefined],
  ])('detects %j as %s', (bytes, format) => {
    expect(detectIconFormat(Uint8Array.from(bytes))).toBe(format);
  });
});
