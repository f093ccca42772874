/**
 * Schemas for the chat-app definitions file (apps.json). Every rule cites the API text
 * (/work/shared/reference/imbot.app.register.txt, "the spec"); limits that are ours, not the spec's, say so.
 * Parameter names are the spec's own (CODE, JS_METHOD, IFRAME, ...). BOT_ID is not part of a definition: it
 * comes from each portal's entry in the portals file.
 */
import { z } from 'zod';
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
export const JS_PARAM_MAX = 255;
export const IFRAME_URL_MAX = 2048;

const SPEC_TWO_KINDS = 'spec: "Applications are divided into two types: JS command and IFRAME application"';
const LANG_EXAMPLE = '{"LANGUAGE_ID": "en", "TITLE": "..."}';
const LANG_ERROR = 'spec LANG_ERROR: "Language phrases for the visible command were not provided"';

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
        ? `is required: a JS command is always visible (${LANG_ERROR}); give at least one ${LANG_EXAMPLE}`
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

/** Spec, PUT and SEND: "JS_PARAM can only contain the command text and its parameters (allowed characters: a-z 0-9 - + _ / )". */
const COMMAND_TEXT = /^[a-z0-9\-+_/ ]+$/;
/** Spec, SUPPORT: "JS_PARAM must specify the open channel code (32 characters)". */
const OPEN_CHANNEL_CODE = /^[A-Za-z0-9]{32}$/;
/** Spec, CALL: "calls a phone number". The accepted notation is ours. */
const PHONE = /^\+?[0-9 ().-]+$/;

function jsParamProblem(method: unknown, param: string): string | undefined {
  switch (method) {
    case 'PUT':
    case 'SEND': {
      if (param.trim() === '')
        return `must not be empty: for JS_METHOD ${method} it is the command text, e.g. "/help"`;
      if (param.length > JS_PARAM_MAX) return `must be at most ${JS_PARAM_MAX} characters`;
      if (!COMMAND_TEXT.test(param)) {
        return (
          `for JS_METHOD ${method} may only contain a-z 0-9 - + _ / and spaces (spec: "JS_PARAM can only ` +
          'contain the command text and its parameters"), e.g. "/help"; upper-case letters are not allowed'
        );
      }
      return undefined;
    }
    case 'CALL': {
      const digits = param.replace(/[^0-9]/g, '').length;
      if (!PHONE.test(param) || param.indexOf('+') > 0 || digits < 3 || digits > 20) {
        return (
          'for JS_METHOD CALL must be a phone number: 3 to 20 digits, optionally a leading "+" and ' +
          'spaces, "-", ".", "(" or ")", e.g. "+1 555 0100" (spec: "CALL - calls a phone number")'
        );
      }
      return undefined;
    }
    case 'SUPPORT':
      if (!OPEN_CHANNEL_CODE.test(param)) {
        return (
          `for JS_METHOD SUPPORT must be the open channel code: exactly 32 letters or digits (it has ` +
          `${param.length} characters; spec: "JS_PARAM must specify the open channel code (32 characters)")`
        );
      }
      return undefined;
    default:
      return undefined; // JS_METHOD itself is reported
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
  // A JS command is always visible (the spec has no HIDDEN for it), so LANG is required: LANG_ERROR.
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
  if (value.length > IFRAME_URL_MAX)
    return `is ${value.length} characters long; the maximum is ${IFRAME_URL_MAX}`;
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
 * sends them as strings; numbers and numeric strings are accepted and normalised to numbers.
 */
const pixelsSchema = (name: string, min: number) => {
  const rule = `must be a whole number of pixels >= ${min} (spec: ${name} "Minimum value - ${min}px"), as a number or a numeric string`;
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*[0-9]+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }),
  );
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
  IFRAME_WIDTH: pixelsSchema('IFRAME_WIDTH', 250).optional(),
  IFRAME_HEIGHT: pixelsSchema('IFRAME_HEIGHT', 50).optional(),
  HASH: hashSchema,
  ICON_FILE: iconFileSchema.optional(),
  CONTEXT: contextSchema,
  HIDDEN: flagSchema,
  EXTRANET_SUPPORT: flagSchema,
  LIVECHAT_SUPPORT: flagSchema,
  IFRAME_POPUP: flagSchema,
  // Required unless HIDDEN is "Y" (LANG_ERROR is about the *visible* command), checked below.
  LANG: langListSchema.optional(),
}).superRefine(
  (value: Record<string, unknown>, ctx) => {
    if (value['HIDDEN'] !== 'Y' && value['LANG'] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['LANG'],
        message: `is required for a visible IFRAME app (HIDDEN is not "Y"; ${LANG_ERROR}): give at least one ${LANG_EXAMPLE}`,
      });
    }
  },
  { when: (payload) => isRecord(payload.value) },
);

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
 * The whole apps file: a non-empty array of definitions whose CODEs are unique (compared case-insensitively:
 * the server does not deduplicate repeated registrations, see bitrix24-facts.md). Every entry is checked, so
 * all problems of the file are reported together.
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
