import fc from 'fast-check';
import {
  APP_CONTEXTS,
  CODE_MAX,
  COPYRIGHT_MAX,
  DESCRIPTION_MAX,
  IFRAME_URL_MAX,
  isPlainText,
  JS_PARAM_MAX,
  TITLE_MAX,
} from '../../../src/apps/app-definition-schema.js';

/** A definition as written in apps.json (before parsing): plain JSON. */
export type RawDefinition = Record<string, unknown>;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const alnum = (length: number) =>
  fc.string({ unit: fc.constantFrom(...ALNUM), minLength: length, maxLength: length });

/** Spec CODE ('echo'), with our charset: letters, digits, "_", "-", "." (1..64). */
export const codeArb = fc
  .stringMatching(new RegExp(`^[A-Za-z0-9_.-]{1,${CODE_MAX}}$`))
  .filter((code) => !['__proto__', 'constructor', 'prototype'].includes(code.toLowerCase()));

const flagArb = fc.constantFrom('Y', 'N');
const textArb = (max: number) =>
  fc.string({ unit: 'binary', maxLength: Math.min(max, 80) }).filter(isPlainText);
const titleArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  // Graphemes may start with a letter and a combining mark ("<A\u0300" reads "<À"): markup to the schema, so
  // the arbitrary keeps to what the schema takes, as textArb does (a CI seed found it).
  .filter((t) => t.trim() !== '' && t.length <= TITLE_MAX && isPlainText(t));

/** Spec LANG: LANGUAGE_ID, TITLE, DESCRIPTION, COPYRIGHT; unique LANGUAGE_IDs (ours). */
export const langArb = fc.uniqueArray(
  fc.record(
    {
      LANGUAGE_ID: fc.stringMatching(/^[a-z]{2}$/),
      TITLE: titleArb,
      DESCRIPTION: textArb(DESCRIPTION_MAX),
      COPYRIGHT: textArb(COPYRIGHT_MAX),
    },
    { requiredKeys: ['LANGUAGE_ID', 'TITLE'] },
  ),
  { minLength: 1, maxLength: 4, selector: (entry) => entry.LANGUAGE_ID },
);

const commandWord = (minLength: number) =>
  fc.string({ unit: fc.constantFrom(...`${ALNUM}_+-`), minLength, maxLength: 20 });

/**
 * JS_PARAM per JS_METHOD, as the server stores it whole (docs/bitrix24.md, "What the server checks on
 * register"): for PUT/SEND "/" and words of letters, digits, "_", "+", "-" with single spaces (upper case
 * included); a phone number for CALL; the 32 lower-case hex characters of an open channel for SUPPORT.
 */
const jsMethodAndParam = fc.oneof(
  fc.record({
    JS_METHOD: fc.constantFrom('PUT', 'SEND'),
    JS_PARAM: fc
      .tuple(commandWord(2), fc.array(commandWord(1), { maxLength: 5 }))
      .map(([first, rest]) => `/${[first, ...rest].join(' ')}`)
      .filter((p) => p.length <= JS_PARAM_MAX),
  }),
  fc.record({
    JS_METHOD: fc.constant('CALL'),
    JS_PARAM: fc
      .tuple(fc.boolean(), fc.array(fc.stringMatching(/^[0-9]{1,4}$/), { minLength: 1, maxLength: 5 }))
      .map(([plus, groups]) => `${plus ? '+' : ''}${groups.join(' ')}`)
      .filter((p) => {
        const digits = p.replace(/[^0-9]/g, '').length;
        return digits >= 3 && digits <= 20;
      }),
  }),
  fc.record({
    JS_METHOD: fc.constant('SUPPORT'),
    JS_PARAM: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }),
  }),
);

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Base64 of a small "PNG" (the magic bytes, an IHDR of at most 5000 x 5000, then anything): passes the schema
 * and loadAppsFile's image check.
 */
const iconArb = fc
  .tuple(
    fc.integer({ min: 1, max: 5000 }),
    fc.integer({ min: 1, max: 5000 }),
    fc.uint8Array({ maxLength: 48 }),
  )
  .map(([width, height, tail]) => {
    const ihdr = Buffer.alloc(17);
    ihdr.writeUInt32BE(13, 0);
    ihdr.write('IHDR', 4, 'latin1');
    ihdr.writeUInt32BE(width, 8);
    ihdr.writeUInt32BE(height, 12);
    return Buffer.concat([Buffer.from(PNG_MAGIC), ihdr, Buffer.from(tail)]).toString('base64');
  });

const commonOptional = {
  ICON_FILE: iconArb,
  CONTEXT: fc.constantFrom(...APP_CONTEXTS),
  EXTRANET_SUPPORT: flagArb,
  LIVECHAT_SUPPORT: flagArb,
  IFRAME_POPUP: flagArb,
};

export const jsCommandArb: fc.Arbitrary<RawDefinition> = fc
  .tuple(codeArb, jsMethodAndParam, langArb, fc.record(commonOptional, { requiredKeys: [] }))
  .map(([CODE, js, LANG, optional]) => ({ CODE, ...js, ...optional, LANG }));

/** Spec IFRAME: an https URL (note 2); no user info; at most 254 characters (the server's column). */
const iframeUrlArb = fc
  .webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true })
  .filter((url) => url.length <= IFRAME_URL_MAX);

const pixels = (min: number) =>
  fc.oneof(fc.integer({ min, max: 4000 }), fc.integer({ min, max: 4000 }).map(String));

export const iframeAppArb: fc.Arbitrary<RawDefinition> = fc
  .tuple(
    codeArb,
    iframeUrlArb,
    fc.oneof(fc.constant('auto'), alnum(32)),
    fc.record(
      { ...commonOptional, IFRAME_WIDTH: pixels(250), IFRAME_HEIGHT: pixels(50) },
      { requiredKeys: [] },
    ),
    // LANG is required whatever HIDDEN says (LANG_ERROR).
    fc.oneof(
      langArb.map((LANG) => ({ HIDDEN: 'N', LANG })),
      langArb.map((LANG) => ({ LANG })),
      langArb.map((LANG) => ({ HIDDEN: 'Y', LANG })),
    ),
  )
  .map(([CODE, IFRAME, HASH, optional, visibility]) => ({ CODE, IFRAME, HASH, ...optional, ...visibility }));

export const definitionArb = fc.oneof(jsCommandArb, iframeAppArb);

/** A valid apps file: 1..5 definitions with CODEs unique case-insensitively. */
export const appsFileArb = fc.uniqueArray(definitionArb, {
  minLength: 1,
  maxLength: 5,
  selector: (def) => String(def['CODE']).toLowerCase(),
});

// --- corruptions: one field of a valid definition made invalid -------------------------------------------------

const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
const notAFlag = fc.oneof(
  fc.boolean(),
  fc.constantFrom('y', 'n', 'yes', 'no', '', 'TRUE', 'Y ', 'N\u0000'),
  fc.integer(),
  fc.constant(null),
);
const injected = fc.constantFrom(
  "'; DROP TABLE apps; --",
  '<script>alert(1)</script>',
  '$(rm -rf /)',
  '`id`',
  '\u0000',
);

/** Invalid values for each top-level field, given the definition they go into. */
export const BAD_VALUES: Readonly<Record<string, (def: RawDefinition) => fc.Arbitrary<unknown>>> = {
  CODE: () =>
    fc.oneof(
      notAString,
      fc.constant(''),
      fc.stringMatching(/^[A-Za-z0-9_.-]{65,80}$/),
      fc.tuple(codeArb, injected).map(([code, bad]) => `${code}${bad}`),
    ),
  JS_METHOD: () => fc.oneof(notAString, fc.constantFrom('send', 'POST', 'EVAL', '', 'SEND ')),
  JS_PARAM: (def) =>
    fc.oneof(
      notAString,
      fc.constant(''),
      fc.constant(`${String(def['JS_PARAM'])}<`),
      // what the server would cut to its first pattern match
      fc.constant(`${String(def['JS_PARAM'])}  x`),
      fc.constant(`x ${String(def['JS_PARAM'])}.`),
      injected,
    ),
  ICON_FILE: () =>
    fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(''),
      fc.constantFrom('not base64!', 'aGVsbG8', 'aGVs bG8=', 'data:image/png;base64,aGVsbG8='),
      fc.constant({ paht: 'icons/x.png' }),
      fc.constant({ path: '' }),
    ),
  CONTEXT: () =>
    fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('bot', 'EVERYWHERE', 'BOT-ADMIN', 'BOT-admin ', '')),
  EXTRANET_SUPPORT: () => notAFlag,
  LIVECHAT_SUPPORT: () => notAFlag,
  IFRAME_POPUP: () => notAFlag,
  HIDDEN: () => notAFlag,
  IFRAME: () =>
    fc.oneof(
      notAString,
      fc.constantFrom(
        'http://apps.example.com/frame',
        'javascript:alert(document.cookie)',
        'data:text/html,<script>alert(1)</script>',
        'ftp://apps.example.com/',
        '//apps.example.com/frame',
        'https://user:pass@apps.example.com/',
        ' https://apps.example.com/',
        'not a url',
        '',
      ),
      fc.constant(`https://apps.example.com/${'a'.repeat(IFRAME_URL_MAX)}`),
    ),
  IFRAME_WIDTH: () =>
    fc.oneof(
      fc.integer({ min: -1000, max: 249 }),
      fc.constantFrom(300.5, '300px', 'wide', true, null, [], '249'),
    ),
  IFRAME_HEIGHT: () =>
    fc.oneof(fc.integer({ min: -1000, max: 49 }), fc.constantFrom(60.25, '60px', false, null, {}, '49')),
  HASH: () =>
    fc.oneof(
      notAString,
      alnum(31),
      alnum(33),
      fc.constantFrom('AUTO', 'auto ', '', 'd1ab17949a572b0979d8db0d5b349cd-'),
    ),
  LANG: () => fc.oneof(fc.constant([]), fc.constantFrom('en', 42, true, { LANGUAGE_ID: 'en', TITLE: 'x' })),
};

/** Invalid values for each field of a LANG entry. */
export const BAD_LANG_VALUES: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  LANGUAGE_ID: fc.oneof(notAString, fc.constantFrom('EN', 'eng', 'e', '', 'en-US', '__proto__')),
  TITLE: fc.oneof(notAString, fc.constantFrom('', '   ', '\t\n'), fc.constant('x'.repeat(TITLE_MAX + 1))),
  DESCRIPTION: fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant([]),
    fc.constant('d'.repeat(DESCRIPTION_MAX + 1)),
  ),
  COPYRIGHT: fc.oneof(fc.integer(), fc.constant({}), fc.constant('c'.repeat(COPYRIGHT_MAX + 1))),
};
