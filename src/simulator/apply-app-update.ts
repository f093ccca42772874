import type { ChatAppError } from './chat-app-error.js';
import { type AppColumns, appColumnsOf, fitsAppTable } from './fits-app-table.js';
import { isPhpEmpty, phpIntval, phpString } from './php-values.js';
import { isServerHttpsIframe } from './server-iframe-url.js';
import { isServerJsMethod, serverJsParam } from './server-js-param.js';
import { serverLangRows } from './server-lang.js';
import type { SimAppFields, SimYesNo } from './simulator-types.js';

export type AppUpdateOutcome =
  | { ok: false; error: ChatAppError }
  | {
      ok: true;
      /** What the portal holds after the update. */
      fields: SimAppFields;
      /** False when a column was too long: the row update failed silently (language rows were still replaced). */
      rowWritten: boolean;
    };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function yesNo(value: unknown): SimYesNo {
  return value === 'Y' || value === true ? 'Y' : 'N';
}

/**
 * `imbot.app.update` applied to what the portal holds (docs/bitrix24.md, "Update"; im source,
 * `CIMRestService::appUpdate` then `\Bitrix\Im\App::update`), field by field:
 * - left-out fields keep their value; CODE and BOT_ID are ignored; ICON_FILE is accepted and never applied
 *   (App::update reads ICON_ID, appUpdate passes ICON_FILE_ID);
 * - CONTEXT (lower-cased) and HASH only when not empty; HIDDEN, IFRAME_POPUP, EXTRANET_SUPPORT, LIVECHAT_SUPPORT
 *   when not empty ('Y' or else 'N'); IFRAME_WIDTH / IFRAME_HEIGHT when given, raised to 250 / 50;
 * - JS_METHOD (exactly PUT/SEND/CALL/SUPPORT) with a non-empty JS_PARAM: the JS command is set when the pattern
 *   matches, else the old JS stays, and an IFRAME in the same FIELDS is not looked at; otherwise a non-empty
 *   IFRAME must be https with a host (else the whole call answers IFRAME_HTTPS, nothing changed: appUpdate
 *   checks it before App::update, so App::update's own `return false` -> WRONG_REQUEST is not reachable) and is
 *   set. Only the non-empty side is written: after a JS <-> IFRAME switch the old side stays filled;
 * - LANG, when not empty, replaces all language rows, before the row update;
 * - the row update's result is ignored: a column too long (a HASH over 32 characters, an IFRAME over 254, a JS
 *   column over 255, a CONTEXT over 128) drops the whole row update silently. The answer is `true` regardless,
 *   also when nothing changed.
 */
export function applyAppUpdate(current: SimAppFields, rawFields: unknown): AppUpdateOutcome {
  const sent = isRecord(rawFields) ? rawFields : {};
  const row: Partial<SimAppFields> = {};
  if (!isPhpEmpty(sent['CONTEXT'])) row.CONTEXT = phpString(sent['CONTEXT']).toLowerCase();
  if (!isPhpEmpty(sent['HASH'])) row.HASH = phpString(sent['HASH']);
  const method = sent['JS_METHOD'];
  if (isServerJsMethod(method) && !isPhpEmpty(sent['JS_PARAM'])) {
    const kept = serverJsParam(method, phpString(sent['JS_PARAM']));
    if (kept !== null) {
      row.JS_METHOD = method;
      row.JS_PARAM = kept;
    }
  } else if (!isPhpEmpty(sent['IFRAME'])) {
    const url = phpString(sent['IFRAME']);
    if (!isServerHttpsIframe(url)) {
      return { ok: false, error: { code: 'IFRAME_HTTPS', description: 'Iframe params must be HTTPS site' } };
    }
    row.IFRAME = url;
  }
  const width = sent['IFRAME_WIDTH'];
  if (width !== undefined && width !== null) row.IFRAME_WIDTH = Math.max(phpIntval(width), 250);
  const height = sent['IFRAME_HEIGHT'];
  if (height !== undefined && height !== null) row.IFRAME_HEIGHT = Math.max(phpIntval(height), 50);
  if (!isPhpEmpty(sent['IFRAME_POPUP'])) row.IFRAME_POPUP = yesNo(sent['IFRAME_POPUP']);
  if (!isPhpEmpty(sent['HIDDEN'])) row.HIDDEN = yesNo(sent['HIDDEN']);
  if (!isPhpEmpty(sent['EXTRANET_SUPPORT'])) row.EXTRANET_SUPPORT = yesNo(sent['EXTRANET_SUPPORT']);
  if (!isPhpEmpty(sent['LIVECHAT_SUPPORT'])) row.LIVECHAT_SUPPORT = yesNo(sent['LIVECHAT_SUPPORT']);

  const lang = isPhpEmpty(sent['LANG']) ? current.LANG : serverLangRows(sent['LANG']);
  // The ORM validates only the columns being written.
  const written: AppColumns = appColumnsOf({
    IFRAME: row.IFRAME ?? '',
    JS_METHOD: row.JS_METHOD ?? '',
    JS_PARAM: row.JS_PARAM ?? '',
  });
  if (row.CONTEXT !== undefined) written.CONTEXT = row.CONTEXT;
  if (row.HASH !== undefined) written.HASH = row.HASH;
  const rowWritten = fitsAppTable(written);
  const fields: SimAppFields = rowWritten ? { ...current, ...row, LANG: lang } : { ...current, LANG: lang };
  return { ok: true, fields, rowWritten };
}
