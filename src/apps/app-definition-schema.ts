/**
 * Schemas for the chat-app definitions file (apps.json). Every rule cites "the spec" (the imbot.app.register
 * page of the REST docs, b24restdocs `api-reference/chat-bots/chat-apps/imbot-app-register`) or what the server
 * really does (docs/bitrix24.md, "What the server checks on register"); limits that are ours say so. Where the
 * server would silently store something else than what was written (a JS_PARAM cut to its first pattern match,
 * an SVG icon dropped), the definition is refused: a rollout must not report success for a mangled app.
 * Parameter names are the spec's own (CODE, JS_METHOD, IFRAME, ...). BOT_ID is not part of a definition: it
 * comes from each portal's entry in the portals file.
 *
 * A parsed definition states every field an update must be able to reset (docs/bitrix24.md, "Update": fields
 * left out of an update keep their old value): CONTEXT, EXTRANET_SUPPORT, LIVECHAT_SUPPORT, IFRAME_POPUP and
 * LANG always; HIDDEN, IFRAME_WIDTH and IFRAME_HEIGHT for IFRAME apps. Defaults fill what the file leaves out.
 */
import { z } from 'zod';
import { nearestKey } from '../input/nearest-key.js';
import { strictObject } from '../input/strict-object.js';
import { iconFileSchema } from './icon-file-schema.js';

/** Spec: "Options for JS_METHOD: PUT, SEND, CALL, SUPPORT". */
export const JS_METHODS = ['PUT', 'SEND', 'CALL', 'SUPPORT'] as const;

/**
 * Spec, CONTEXT: "ALL, USER, CHAT, BOT, LINES, CALL" and "Each context can have the postfix -admin, then the
 * application will be available in the specified context only to Bitrix24 administrators".
 */
export const APP_CONTEXTS = [
  'ALL',
  'USER',
  'CHAT',
  'BOT',
  'LINES',
  'CALL',
  'ALL-admin',
  'USER-admin',
  'CHAT-admin',
  'BOT-admin',
  'LINES-admin',
  'CALL-admin',
] as const;

/** Our limits (the spec gives none): a CODE is an identifier; titles and texts are bounded. */
export const CODE_MAX = 64;
export const TITLE_MAX = 255;
export const DESCRIPTION_MAX = 1000;
export const COPYRIGHT_MAX = 255;
/**
 * The server's column lengths (docs/bitrix24.md, "What the server checks on register"; longer fails with
 * WRONG_REQUEST): JS holds 255 characters; IFRAME holds 255 including the `?` or `&` the server appends.
 */
export const JS_PARAM_MAX = 255;
/**
 * Characters the server adds around JS_PARAM in its JS column (im `CIMRestService::appRegister`:
 * `BXIM.sendMessage('…');`, `BXIM.putMessage('…');`, `BXIM.phoneTo('…');`, `BXIM.openMessenger('networkLines…');`).
 */
const JS_COLUMN_WRAPPER = { SEND: 21, PUT: 20, CALL: 17, SUPPORT: 34 } as const;
export const IFRAME_URL_MAX = 254;
/** What `App::register` stores when IFRAME_WIDTH / IFRAME_HEIGHT are not sent (docs/bitrix24.md). */
export const IFRAME_WIDTH_DEFAULT = 350;
export const IFRAME_HEIGHT_DEFAULT = 250;

const SPEC_TWO_KINDS = 'spec: "Applications are divided into two types: JS command and IFRAME application"';
const LANG_EXAMPLE = '{"LANGUAGE_ID": "en", "TITLE": "..."}';
// docs/bitrix24.md, "What the server checks on register": LANG empty -> LANG_ERROR, whatever HIDDEN says.
const LANG_ERROR = 'Bitrix24 answers LANG_ERROR without it, whatever HIDDEN says';

const requiredString = (rule: string) =>
  z.string({
    error: (issue) => (issue.input === undefined ? `is required: ${rule}` : `must be a string: ${rule}`),
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// --- CODE -------------------------------------------------------------------------------------------------
// Spec: CODE, "Code of the chat application" ('echo'). The charset and length are ours: the code is an
// identifier that also goes into logs, Redis keys and derived hashes.
const CODE_RULE = `1 to ${CODE_MAX} characters: letters, digits, "_", "-" or "."`;
const codeSchema = requiredString(CODE_RULE).superRefine((code, ctx) => {
  if (code === '') ctx.addIssue({ code: 'custom', message: `must not be empty: ${CODE_RULE}` });
  else if (code.length > CODE_MAX) {
    ctx.addIssue({
      code: 'custom',
      message: `is ${code.length} characters long; the maximum is ${CODE_MAX}`,
    });
  } else if (!/^[A-Za-z0-9_.-]+$/.test(code)) {
    ctx.addIssue({
      code: 'custom',
      message: `may only contain letters, digits, "_", "-" and "." (${CODE_MAX} at most)`,
    });
  } else if (RESERVED_CODES.has(code.toLowerCase())) {
    ctx.addIssue({
      code: 'custom',
      message: `"${code}" is reserved (a JavaScript object key); choose another CODE`,
    });
  }
});

/** Names that would collide with JavaScript object internals wherever a CODE is used as a key. */
const RESERVED_CODES = new Set(['__proto__', 'constructor', 'prototype']);

// --- Texts shown in the messenger ---------------------------------------------------------------------------
// Ours, not the spec's: titles and descriptions are plain text in the chat UI. Markup and control characters
// have no business there and are the usual carriers of injection, so they are refused.
const MARKUP = /<\s*[A-Za-z!/?]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** True when `text` has no HTML markup and no control characters (tabs and newlines are fine). */
export function isPlainText(text: string): boolean {
  return !MARKUP.test(text) && !CONTROL.test(text);
}

function plainText(what: string) {
  return (text: string, ctx: z.RefinementCtx) => {
    if (MARKUP.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be plain text: HTML markup ("<...") is not allowed in the ${what}`,
      });
    } else if (CONTROL.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be plain text: control characters are not allowed in the ${what}`,
      });
    }
  };
}

// --- Y/N flags ----------------------------------------------------------------------------------------------
// Spec: EXTRANET_SUPPORT 'N' ("default is N"), LIVECHAT_SUPPORT 'N', IFRAME_POPUP 'N', HIDDEN 'N'.
const flagSchema = z
  .enum(['Y', 'N'], {
    error: (issue) =>
      `must be "Y" or "N"${typeof issue.input === 'boolean' ? ' (the strings "Y" and "N", not true/false)' : ''}`,
  })
  .default('N');

// --- CONTEXT ------------------------------------------------------------------------------------------------
const contextSchema = z
  .enum(APP_CONTEXTS, {
    error: `must be one of ${APP_CONTEXTS.join(', ')} (spec: CONTEXT, each optionally with the -admin postfix)`,
  })
  .default('BOT');

// --- LANG ---------------------------------------------------------------------------------------------------
// Spec: LANG "Array of translations", each LANGUAGE_ID ('en'), TITLE ("Title for the button or command"),
// DESCRIPTION, COPYRIGHT. "It is advisable to specify at least for DE and EN" is advice, not a rule, so it is
// not enforced. The 2-letter form of LANGUAGE_ID, the unique LANGUAGE_IDs and the length bounds are ours.
const LANGUAGE_ID_RULE = 'a 2-letter lowercase language code such as "en" or "de"';
const langEntrySchema = strictObject({
  LANGUAGE_ID: requiredString(LANGUAGE_ID_RULE).regex(/^[a-z]{2}$/, { error: `must be ${LANGUAGE_ID_RULE}` }),
  TITLE: requiredString(`the button or command title, 1 to ${TITLE_MAX} characters`)
    .refine((title) => title.trim() !== '', {
      error: 'must not be empty or blank: the button or command title',
    })
    .max(TITLE_MAX, { error: `must be at most ${TITLE_MAX} characters`, abort: true })
    .superRefine(plainText('title')),
  DESCRIPTION: z
    .string({ error: 'must be a string: the description of the command' })
    .max(DESCRIPTION_MAX, { error: `must be at most ${DESCRIPTION_MAX} characters`, abort: true })
    .superRefine(plainText('description'))
    .optional(),
  COPYRIGHT: z
    .string({ error: 'must be a string: the copyright line' })
    .max(COPYRIGHT_MAX, { error: `must be at most ${COPYRIGHT_MAX} characters`, abort: true })
    .superRefine(plainText('copyright line'))
    .optional(),
});

const langListSchema = z
  .array(langEntrySchema, {
    error: (issue) =>
      issue.input === undefined
        ? `is required for every app, hidden IFRAME apps too (${LANG_ERROR}); give at least one ${LANG_EXAMPLE}`
        : `must be an array of translations, e.g. [${LANG_EXAMPLE}]`,
  })
  .min(1, { error: `must list at least one translation, e.g. [${LANG_EXAMPLE}] (${LANG_ERROR})` })
  .superRefine(
    (entries: readonly unknown[], ctx) => {
      const firstIndex = new Map<string, number>();
      entries.forEach((entry, index) => {
        const id = isRecord(entry) ? entry['LANGUAGE_ID'] : undefined;
        if (typeof id !== 'string') return;
        const first = firstIndex.get(id);
        if (first === undefined) firstIndex.set(id, index);
        else {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'LANGUAGE_ID'],
            message: `duplicate LANGUAGE_ID "${id}": LANG[${first}] has it too; give one translation per language`,
          });
        }
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  );

// --- JS command ---------------------------------------------------------------------------------------------
const JS_PARAM_RULE =
  'the command for PUT/SEND (e.g. "/help"), a phone number for CALL, the open channel code for SUPPORT';

/**
 * The server's own JS_PARAM patterns (docs/bitrix24.md, "What the server checks on register"): a value without
 * a match is refused (PARAMS_ERROR), and of any other value **only the first match is stored**, silently.
 *   PUT/SEND `/\/([a-zA-Z0-9\-\_\+]+)((\s)?([a-zA-Z0-9\-\_\+]+))+/im`
 *   CALL     `/\+?[ \-\d+\(\)\#]+$/im`
 *   SUPPORT  `/[a-f0-9]{32}$/im`
 * Written here as PHP's PCRE runs them (no `u` flag): `\s` is ASCII whitespace only (JavaScript's would also
 * match non-breaking spaces) and `$` under `m` matches before any line feed, hence the lookahead.
 */
const SERVER_JS_PARAM_PATTERNS = {
  PUT: /\/[a-zA-Z0-9_+-]+(?:[ \t\n\v\f\r]?[a-zA-Z0-9_+-]+)+/i,
  SEND: /\/[a-zA-Z0-9_+-]+(?:[ \t\n\v\f\r]?[a-zA-Z0-9_+-]+)+/i,
  CALL: /\+?[ \d+()#-]+(?=\n|$)/i,
  SUPPORT: /[a-f0-9]{32}(?=\n|$)/i,
} as const satisfies Record<(typeof JS_METHODS)[number], RegExp>;

/**
 * What Bitrix24 would store for this JS_PARAM on register: the first match of the server's pattern for
 * `method`, or undefined when nothing matches (the server answers PARAMS_ERROR). A value is stored unchanged
 * only when this returns the value itself.
 */
export function serverStoredJsParam(method: (typeof JS_METHODS)[number], param: string): string | undefined {
  return SERVER_JS_PARAM_PATTERNS[method].exec(param)?.[0];
}

/** The open channel code of SUPPORT: 32 lower-case hex characters (ours: the server's pattern ignores case). */
const OPEN_CHANNEL_CODE = /^[a-f0-9]{32}$/;
const WORD_CHARACTERS = 'a-z A-Z 0-9 - _ +';

/**
 * Characters a JS_PARAM may have for a message to quote it whole. Anything else (markup, shell syntax, control
 * characters) is never repeated back (input messages do not echo payloads); the stored part always can be.
 */
const QUOTABLE = /^[A-Za-z0-9 _+\-/().#,:]*$/;

function storedAsMessage(param: string, stored: string, fix: string): string {
  const value = QUOTABLE.test(param) ? `JS_PARAM ${JSON.stringify(param)}` : 'this JS_PARAM';
  return (
    `${value} would be stored by Bitrix24 as ${JSON.stringify(stored)} (the server keeps only the part ` +
    `matching its pattern); ${fix}`
  );
}

/** The fix for a PUT/SEND command the server would cut: what made it stop matching. */
function commandFix(param: string, stored: string): string {
  const at = param.indexOf(stored);
  if (at > 0) return `start the command with "/": everything before ${JSON.stringify(stored)} is dropped`;
  const rest = param.slice(at + stored.length);
  if (rest.trim() === '') return 'remove the trailing spaces';
  const next = rest[0] ?? '';
  if (/\s/.test(next)) return 'use single spaces between words';
  return `${JSON.stringify(next)} is not allowed: after the "/" use only ${WORD_CHARACTERS} and single spaces between words`;
}

function jsParamProblem(method: unknown, param: string): string | undefined {
  if (method !== 'PUT' && method !== 'SEND' && method !== 'CALL' && method !== 'SUPPORT') return undefined; // JS_METHOD itself is reported
  const max = JS_PARAM_MAX - JS_COLUMN_WRAPPER[method];
  if (param.length > max) {
    return (
      `is ${param.length} characters long; the maximum for JS_METHOD ${method} is ${max} (the server stores it ` +
      `inside a ${JS_COLUMN_WRAPPER[method]}-character JavaScript call in a ${JS_PARAM_MAX}-character column: ` +
      'docs/bitrix24.md, "What the server checks on register")'
    );
  }
  const stored = serverStoredJsParam(method, param);
  switch (method) {
    case 'PUT':
    case 'SEND': {
      if (param.trim() === '')
        return `must not be empty: for JS_METHOD ${method} it is the command text, e.g. "/help"`;
      if (stored === undefined) {
        return (
          `for JS_METHOD ${method} must be a command: "/" and a word of ${WORD_CHARACTERS} (2 characters at ` +
          'least), then more words after single spaces, e.g. "/help" or "/echo some-text"; Bitrix24 answers ' +
          'PARAMS_ERROR otherwise'
        );
      }
      if (stored !== param) return storedAsMessage(param, stored, commandFix(param, stored));
      if (/[^ \S]/.test(param)) {
        return `for JS_METHOD ${method} may separate words only with single spaces, not tabs or line breaks`;
      }
      return undefined;
    }
    case 'CALL': {
      const fix = 'write the number with digits, spaces and + - ( ) # only, e.g. "+1 555 0100"';
      if (stored === undefined || stored.trim() === '') {
        return `for JS_METHOD CALL must be a phone number: ${fix}; Bitrix24 answers PARAMS_ERROR otherwise`;
      }
      if (stored !== param) return storedAsMessage(param, stored, fix);
      if (param.replace(/[^0-9]/g, '').length < 3) {
        return `for JS_METHOD CALL must be a phone number with at least 3 digits, e.g. "+1 555 0100"`;
      }
      return undefined;
    }
    case 'SUPPORT': {
      const rule = 'the open channel code: exactly 32 lower-case hex characters (0-9, a-f)';
      if (OPEN_CHANNEL_CODE.test(param)) return undefined;
      if (stored !== undefined && stored !== param) return storedAsMessage(param, stored, `give ${rule}`);
      if (stored !== undefined) return `for JS_METHOD SUPPORT must be ${rule}; write it in lower case`;
      return (
        `for JS_METHOD SUPPORT must be ${rule} (it has ${param.length} characters); Bitrix24 answers ` +
        'PARAMS_ERROR otherwise'
      );
    }
  }
}

export const jsCommandAppSchema = strictObject({
  CODE: codeSchema,
  JS_METHOD: z.enum(JS_METHODS, {
    error: (issue) =>
      `${issue.input === undefined ? 'is required' : 'must be'}: one of ${JS_METHODS.join(', ')} (spec: JS_METHOD)`,
  }),
  JS_PARAM: requiredString(JS_PARAM_RULE),
  ICON_FILE: iconFileSchema.optional(),
  CONTEXT: contextSchema,
  EXTRANET_SUPPORT: flagSchema,
  LIVECHAT_SUPPORT: flagSchema,
  IFRAME_POPUP: flagSchema,
  // Required for every app: LANG_ERROR (the spec has no HIDDEN for a JS command).
  LANG: langListSchema,
}).superRefine(
  (value: Record<string, unknown>, ctx) => {
    const param = value['JS_PARAM'];
    if (typeof param !== 'string') return;
    const problem = jsParamProblem(value['JS_METHOD'], param);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['JS_PARAM'], message: problem });
  },
  { when: (payload) => isRecord(payload.value) },
);

// --- IFRAME app ---------------------------------------------------------------------------------------------
const IFRAME_EXAMPLE = 'e.g. https://example.com/iframe/echo.php';
/** Spec, note 2: "The link to IFRAME must lead to a site with an active HTTPS certificate" (error IFRAME_HTTPS). */
const HTTPS_RULE = 'must start with https:// (the spec requires an active HTTPS certificate)';

function iframeUrlProblem(value: string): string | undefined {
  if (value.trim() !== value) return 'must not start or end with spaces';
  if (value.length > IFRAME_URL_MAX) {
    return (
      `is ${value.length} characters long; the maximum is ${IFRAME_URL_MAX} (Bitrix24 stores it with a "?" or ` +
      '"&" appended in a 255-character column and answers WRONG_REQUEST for a longer one); shorten the URL'
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute https:// URL, ${IFRAME_EXAMPLE}`;
  }
  if (url.protocol !== 'https:') {
    const scheme = url.protocol === 'http:' ? 'http://' : url.protocol;
    return `${HTTPS_RULE}; ${scheme} URLs are refused`;
  }
  if (!/^https:\/\/[^/]/i.test(value)) return `${HTTPS_RULE}, ${IFRAME_EXAMPLE}`;
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  return undefined;
}

const iframeUrlSchema = requiredString(`the iframe's https:// URL, ${IFRAME_EXAMPLE}`).superRefine(
  (value, ctx) => {
    const problem = iframeUrlProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  },
);

/**
 * Spec: IFRAME_WIDTH "Minimum value - 250px" ('350'), IFRAME_HEIGHT "Minimum value - 50px" ('150'). The spec
 * sends them as strings; numbers and numeric strings are accepted and normalised to numbers. A smaller value is
 * refused: the server would silently raise it to the minimum (docs/bitrix24.md, "What the server checks on
 * register"). Left out, the size is the server's own default, stated so an update can reset a removed size.
 */
const pixelsSchema = (name: string, min: number, fallback: number) => {
  const rule =
    `must be a whole number of pixels >= ${min} (spec: ${name} "Minimum value - ${min}px"; Bitrix24 would ` +
    `silently raise a smaller one to ${min}), as a number or a numeric string; leave it out for ${fallback}`;
  return z
    .preprocess(
      (value) => (typeof value === 'string' && /^\s*[0-9]+\s*$/.test(value) ? Number(value) : value),
      z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }),
    )
    .default(fallback);
};

/**
 * Spec: HASH "Token for accessing your iframe for signature verification, 32 characters"; HASH_ERROR "You did
 * not specify a hash for the application. We recommend using unique hashes for each IFRAME and each
 * installation" -- so it is required, and "auto" derives a different one per portal (deriveAppHash).
 */
const HASH_RULE =
  'exactly 32 letters or digits (spec: "32 characters"), or "auto" to derive a different hash for each portal ' +
  '(spec HASH_ERROR: "We recommend using unique hashes for each IFRAME and each installation")';
const hashSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? `is required for an IFRAME app (spec HASH_ERROR: "You did not specify a hash for the application"): ${HASH_RULE}`
        : `must be a string: ${HASH_RULE}`,
  })
  .regex(/^(?:auto|[A-Za-z0-9]{32})$/, { error: `must be ${HASH_RULE}` });

export const iframeAppSchema = strictObject({
  CODE: codeSchema,
  IFRAME: iframeUrlSchema,
  IFRAME_WIDTH: pixelsSchema('IFRAME_WIDTH', 250, IFRAME_WIDTH_DEFAULT),
  IFRAME_HEIGHT: pixelsSchema('IFRAME_HEIGHT', 50, IFRAME_HEIGHT_DEFAULT),
  HASH: hashSchema,
  ICON_FILE: iconFileSchema.optional(),
  CONTEXT: contextSchema,
  HIDDEN: flagSchema,
  EXTRANET_SUPPORT: flagSchema,
  LIVECHAT_SUPPORT: flagSchema,
  IFRAME_POPUP: flagSchema,
  // Required also when HIDDEN is "Y": the server answers LANG_ERROR for an empty LANG whatever HIDDEN says.
  LANG: langListSchema,
});

export type JsCommandApp = z.infer<typeof jsCommandAppSchema>;
export type IframeApp = z.infer<typeof iframeAppSchema>;

// --- one definition: JS command or IFRAME app -----------------------------------------------------------------
const JS_KEYS: readonly string[] = Object.keys(jsCommandAppSchema.shape);
const IFRAME_KEYS: readonly string[] = Object.keys(iframeAppSchema.shape);
const IFRAME_ONLY = new Set(IFRAME_KEYS.filter((key) => !JS_KEYS.includes(key)));

function unknownKeyMessage(key: string, kind: 'js' | 'iframe'): string {
  if (key === 'BOT_ID') return "BOT_ID comes from each portal's botId; remove it";
  if (kind === 'js' && IFRAME_ONLY.has(key)) {
    const visible = key === 'HIDDEN' ? '; a JS command is always visible' : '';
    return `${key} applies to IFRAME apps only, and this definition is a JS command (it has JS_METHOD)${visible}`;
  }
  if (kind === 'iframe' && key === 'JS_PARAM') {
    return 'JS_PARAM applies to JS commands only (with JS_METHOD), and this definition is an IFRAME app (it has IFRAME)';
  }
  const allowed = kind === 'js' ? JS_KEYS : IFRAME_KEYS;
  const upper = key.toUpperCase();
  if (upper !== key && allowed.includes(upper)) {
    return `unknown key "${key}"; did you mean "${upper}"? (parameter names are upper case, as in the spec)`;
  }
  const near = nearestKey(key, allowed);
  if (near !== undefined) return `unknown key "${key}"; did you mean ${near}?`;
  return `unknown key "${key}"; allowed keys for ${kind === 'js' ? 'a JS command' : 'an IFRAME app'}: ${allowed.join(', ')}`;
}

/**
 * One chat-app definition: a JS command (has JS_METHOD) or an IFRAME app (has IFRAME), never both, never
 * neither (spec: two types; PARAMS_ERROR "Error specifying JS command or IFRAME parameters"). Unknown keys are
 * errors, each named with what to do about it.
 */
export const appDefinitionSchema = z.unknown().transform((input, ctx): JsCommandApp | IframeApp => {
  if (!isRecord(input)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object: one chat-app definition' });
    return z.NEVER;
  }
  const hasJs = Object.hasOwn(input, 'JS_METHOD');
  const hasIframe = Object.hasOwn(input, 'IFRAME');
  if (hasJs === hasIframe) {
    ctx.addIssue({
      code: 'custom',
      message: hasJs
        ? `has both JS_METHOD and IFRAME; a definition is either a JS command (JS_METHOD, JS_PARAM) or an IFRAME app (IFRAME, HASH, ...), not both (${SPEC_TWO_KINDS})`
        : `is neither a JS command nor an IFRAME app: give JS_METHOD and JS_PARAM, or IFRAME and HASH (${SPEC_TWO_KINDS}; the server answers PARAMS_ERROR otherwise)`,
    });
    // A misspelt JS_METHOD or IFRAME is the likely cause: name it (did you mean JS_METHOD?).
    const allKeys = [...new Set([...JS_KEYS, ...IFRAME_KEYS])];
    for (const key of Object.keys(input)) {
      if (allKeys.includes(key)) continue;
      const near = nearestKey(key, allKeys);
      const hint = near === undefined ? '' : `; did you mean ${near}?`;
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown key "${key}"${hint}` });
    }
    const code = codeSchema.safeParse(input['CODE']);
    if (!code.success) for (const issue of code.error.issues) ctx.addIssue({ ...issue, path: ['CODE'] });
    return z.NEVER;
  }
  const kind = hasJs ? 'js' : 'iframe';
  const allowed = new Set(kind === 'js' ? JS_KEYS : IFRAME_KEYS);
  const known: [string, unknown][] = [];
  for (const [key, value] of Object.entries(input)) {
    if (allowed.has(key)) known.push([key, value]);
    else ctx.addIssue({ code: 'custom', path: [key], message: unknownKeyMessage(key, kind) });
  }
  const parsed = (hasJs ? jsCommandAppSchema : iframeAppSchema).safeParse(Object.fromEntries(known));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
    return z.NEVER;
  }
  return parsed.data;
});

export type AppDefinition = z.infer<typeof appDefinitionSchema>;

/** True for an IFRAME app, false for a JS command. */
export function isIframeApp(def: AppDefinition): def is IframeApp {
  return 'IFRAME' in def;
}

/**
 * The whole apps file: a non-empty array of definitions whose CODEs are unique. Register is get-or-create by
 * (BOT_ID, CODE) (docs/bitrix24.md, "Register is get-or-create"): two definitions with one CODE would be one
 * app on every portal, each overwriting the other. The comparison ignores case (ours: codes that differ only in
 * case are too easily confused). Every entry is checked, so all problems of the file are reported together.
 */
export const appsFileSchema = z
  .array(z.unknown(), {
    error: 'must be a JSON array of chat-app definitions, e.g. [{"CODE": "echo", "JS_METHOD": "SEND", ...}]',
  })
  .min(1, { error: 'must contain at least one chat-app definition' })
  .transform((items, ctx): AppDefinition[] => {
    const definitions: AppDefinition[] = [];
    items.forEach((item, index) => {
      const parsed = appDefinitionSchema.safeParse(item);
      if (parsed.success) definitions.push(parsed.data);
      else for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [index, ...issue.path] });
    });
    const firstIndex = new Map<string, { index: number; code: string }>();
    items.forEach((item, index) => {
      const code = isRecord(item) ? item['CODE'] : undefined;
      if (typeof code !== 'string' || code === '') return;
      const first = firstIndex.get(code.toLowerCase());
      if (first === undefined) {
        firstIndex.set(code.toLowerCase(), { index, code });
        return;
      }
      const casing = first.code === code ? '' : ` ("${first.code}"; CODE is compared case-insensitively)`;
      ctx.addIssue({
        code: 'custom',
        path: [index, 'CODE'],
        message: `duplicate CODE "${code}": [${first.index}] has it too${casing}; each app needs its own CODE`,
      });
    });
    return definitions;
  });
