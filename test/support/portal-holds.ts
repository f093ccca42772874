import { createHash } from 'node:crypto';
import type { AppDefinition } from '../../src/apps/app-definition-schema.js';

/**
 * What a portal must hold for one app after a rollout of `def`, in the simulator's terms (its `fields`, the
 * server's columns: docs/bitrix24.md, "Update" and "What the server checks on register"). Written
 * independently of src/apps/to-method-params.ts on purpose: the check must not share the code it checks.
 * `hash` is the HASH the portal must hold (the derived one for "HASH": "auto"). JS commands get the server's
 * HASH, so it is not compared for them.
 */
export function wantedFields(def: AppDefinition, hash: string | undefined): Record<string, unknown> {
  const icon = typeof def.ICON_FILE === 'string' ? sha256(def.ICON_FILE) : null;
  const common = {
    CODE: def.CODE,
    CONTEXT: def.CONTEXT.toLowerCase(),
    EXTRANET_SUPPORT: def.EXTRANET_SUPPORT,
    LIVECHAT_SUPPORT: def.LIVECHAT_SUPPORT,
    IFRAME_POPUP: def.IFRAME_POPUP,
    ICON: icon,
    LANG: (def.LANG ?? []).map((l) => ({
      LANGUAGE_ID: l.LANGUAGE_ID.toLowerCase(),
      TITLE: l.TITLE,
      DESCRIPTION: l.DESCRIPTION ?? null,
      COPYRIGHT: l.COPYRIGHT ?? null,
    })),
  };
  if ('IFRAME' in def) {
    return {
      ...common,
      JS_METHOD: '',
      JS_PARAM: '',
      IFRAME: def.IFRAME,
      IFRAME_WIDTH: def.IFRAME_WIDTH,
      IFRAME_HEIGHT: def.IFRAME_HEIGHT,
      HIDDEN: def.HIDDEN,
      HASH: hash,
    };
  }
  return { ...common, JS_METHOD: def.JS_METHOD, JS_PARAM: def.JS_PARAM, IFRAME: '', HIDDEN: 'N' };
}

/** The portal's fields reduced to what `wantedFields` states (LANG sorted by language for comparison). */
export function heldFields(fields: object, wanted: Record<string, unknown>): Record<string, unknown> {
  const held: Record<string, unknown> = {};
  for (const key of Object.keys(wanted)) held[key] = (fields as Record<string, unknown>)[key];
  return normaliseLang(held);
}

export function normaliseLang(fields: Record<string, unknown>): Record<string, unknown> {
  const lang = fields['LANG'];
  if (!Array.isArray(lang)) return fields;
  const sorted = [...(lang as { LANGUAGE_ID: string }[])].sort((a, b) =>
    a.LANGUAGE_ID < b.LANGUAGE_ID ? -1 : a.LANGUAGE_ID > b.LANGUAGE_ID ? 1 : 0,
  );
  return { ...fields, LANG: sorted };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
