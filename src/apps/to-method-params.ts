import { type AppDefinition, isIframeApp } from './app-definition-schema.js';
import { AppParamsError } from './app-params-error.js';

const APP_HASH = /^[A-Za-z0-9]{32}$/;

/**
 * Parameters of `imbot.app.register` for one portal: BOT_ID (the portal's bot), CODE and the definition's
 * fields, with `HASH: "auto"` replaced by `ctx.hash` (the portal's derived hash, see deriveAppHash). Sizes stay
 * numbers. ICON_FILE must already be base64 (loadAppsFile resolves `{path}` icons).
 */
export function toRegisterParams(
  def: AppDefinition,
  ctx: { botId: number; hash: string | undefined },
): Record<string, unknown> {
  return { BOT_ID: ctx.botId, CODE: def.CODE, ...fieldsOf(def, ctx.hash, true) };
}

/**
 * The FIELDS object of `imbot.app.update`: the register fields but BOT_ID and CODE. bitrix24-facts.md lists the
 * fields update accepts (IFRAME, IFRAME_WIDTH, IFRAME_HEIGHT, JS_METHOD, JS_PARAM, HASH, ICON_FILE, CONTEXT,
 * EXTRANET_SUPPORT, LIVECHAT_SUPPORT, IFRAME_POPUP, LANG): HIDDEN is not among them, so it is left out (a change
 * of HIDDEN needs unregister + register).
 */
export function toUpdateFields(
  def: AppDefinition,
  ctx: { hash: string | undefined },
): Record<string, unknown> {
  return fieldsOf(def, ctx.hash, false);
}

function fieldsOf(
  def: AppDefinition,
  hash: string | undefined,
  withHidden: boolean,
): Record<string, unknown> {
  if (typeof def.ICON_FILE === 'object') {
    throw new AppParamsError(
      `ICON_FILE of app ${def.CODE} is still a path; load the definitions with loadAppsFile`,
    );
  }
  const common = {
    ...(def.ICON_FILE === undefined ? {} : { ICON_FILE: def.ICON_FILE }),
    CONTEXT: def.CONTEXT,
    EXTRANET_SUPPORT: def.EXTRANET_SUPPORT,
    LIVECHAT_SUPPORT: def.LIVECHAT_SUPPORT,
    IFRAME_POPUP: def.IFRAME_POPUP,
    ...(def.LANG === undefined ? {} : { LANG: def.LANG.map(copyLang) }),
  };
  if (!isIframeApp(def)) return { JS_METHOD: def.JS_METHOD, JS_PARAM: def.JS_PARAM, ...common };
  return {
    IFRAME: def.IFRAME,
    ...(def.IFRAME_WIDTH === undefined ? {} : { IFRAME_WIDTH: def.IFRAME_WIDTH }),
    ...(def.IFRAME_HEIGHT === undefined ? {} : { IFRAME_HEIGHT: def.IFRAME_HEIGHT }),
    HASH: resolveHash(def.CODE, def.HASH, hash),
    ...(withHidden ? { HIDDEN: def.HIDDEN } : {}),
    ...common,
  };
}

function resolveHash(code: string, declared: string, derived: string | undefined): string {
  if (declared !== 'auto') return declared;
  if (derived === undefined || !APP_HASH.test(derived)) {
    throw new AppParamsError(
      `app ${code} has HASH "auto" but no valid 32-character hash was given for the portal`,
    );
  }
  return derived;
}

function copyLang(entry: NonNullable<AppDefinition['LANG']>[number]): Record<string, string> {
  return {
    LANGUAGE_ID: entry.LANGUAGE_ID,
    TITLE: entry.TITLE,
    ...(entry.DESCRIPTION === undefined ? {} : { DESCRIPTION: entry.DESCRIPTION }),
    ...(entry.COPYRIGHT === undefined ? {} : { COPYRIGHT: entry.COPYRIGHT }),
  };
}
