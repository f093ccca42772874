import { type AppDefinition, isIframeApp } from './app-definition-schema.js';

const APP_HASH = /^[A-Za-z0-9]{32}$/;

/** A definition cannot be turned into method parameters (a programming error: load it with loadAppsFile first). */
export class AppParamsError extends Error {
  override readonly name = 'AppParamsError' as const;
}

/**
 * Parameters of `imbot.app.register` for one portal: BOT_ID (the portal's bot), CODE and the definition's
 * fields, with `HASH: "auto"` replaced by `ctx.hash` (the portal's derived hash, see deriveAppHash). Sizes stay
 * numbers. ICON_FILE must already be base64 (loadAppsFile resolves `{path}` icons).
 */
export function toRegisterParams(
  def: AppDefinition,
  ctx: { botId: number; hash: string | undefined },
): Record<string, unknown> {
  return { BOT_ID: ctx.botId, CODE: def.CODE, ...fieldsOf(def, ctx.hash) };
}

/**
 * The FIELDS object of `imbot.app.update`: every field of the definition but BOT_ID and CODE (ignored by update)
 * and ICON_FILE (accepted by update and never applied: docs/bitrix24.md, "Update"; an icon change needs
 * `rollout --recreate`). Fields left out of an update keep their old value on the portal, so every field is
 * sent, defaults included: an adopted app, or a field removed from the definition, ends up exactly as defined.
 */
export function toUpdateFields(
  def: AppDefinition,
  ctx: { hash: string | undefined },
): Record<string, unknown> {
  const { ICON_FILE: _icon, ...fields } = fieldsOf(def, ctx.hash);
  return fields;
}

function fieldsOf(def: AppDefinition, hash: string | undefined): Record<string, unknown> {
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
  // A JS command is always visible: HIDDEN "N" is stated, so an adopted app that was hidden is shown again.
  if (!isIframeApp(def)) return { JS_METHOD: def.JS_METHOD, JS_PARAM: def.JS_PARAM, HIDDEN: 'N', ...common };
  return {
    IFRAME: def.IFRAME,
    ...(def.IFRAME_WIDTH === undefined ? {} : { IFRAME_WIDTH: def.IFRAME_WIDTH }),
    ...(def.IFRAME_HEIGHT === undefined ? {} : { IFRAME_HEIGHT: def.IFRAME_HEIGHT }),
    HASH: resolveHash(def.CODE, def.HASH, hash),
    HIDDEN: def.HIDDEN,
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
