import { createHash } from 'node:crypto';
import type { ChatAppError } from './chat-app-error.js';
import { isPhpEmpty, phpCut, phpIntval, phpString } from './php-values.js';
import { serverIconHash } from './server-icon.js';
import { isServerHttpsIframe } from './server-iframe-url.js';
import { isServerJsMethod, serverJsColumn, serverJsParam } from './server-js-param.js';
import { serverLangRows } from './server-lang.js';
import type { SimAppFields, SimYesNo } from './simulator-types.js';

/** The portal's bot and the REST application that owns it. */
export interface SimBot {
  id: number;
  owner: string;
}

export interface RegisterPlan {
  /** What the portal will hold if the app is inserted. */
  fields: SimAppFields;
  /** What the server dumps (var_export) into the WRONG_REQUEST description when the insert fails, HASH included. */
  dump: Record<string, unknown>;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** PHP `$value == 'Y'` (a JSON `true` compares equal too). */
function yesNo(value: unknown): SimYesNo {
  return value === 'Y' || value === true ? 'Y' : 'N';
}

function fail(code: string, description: string): ChatAppError {
  return { code, description };
}

/**
 * The checks and conversions of `imbot.app.register` up to the insert (docs/bitrix24.md, "What the server checks
 * on register"; im source, `CIMRestService::appRegister` then `\Bitrix\Im\App::register`), in the source's order:
 * CODE_ERROR (no CODE); the JS command (JS_METHOD exactly PUT/SEND/CALL/SUPPORT with a non-empty JS_PARAM, first
 * pattern match kept) or else the IFRAME (IFRAME_HTTPS, sizes raised to 250/50, HASH_ERROR, HASH cut to 32);
 * PARAMS_ERROR when neither gave anything; ICON_FILE kept only for raster images; BOT_ID_ERROR (BOT_ID <= 0 or
 * not the portal's bot); APP_ID_ERROR (the bot belongs to another application); LANG_ERROR (LANG empty, whatever
 * HIDDEN says). The get-or-create lookup and the column lengths come after this (registerChatApp).
 *
 * `params` has upper-case keys (the server's array_change_key_case). `caller` is the calling application
 * (OAuth client id or 'custom' + CLIENT_ID). `serverUniqId` stands for the portal's CMain::GetServerUniqID():
 * a JS app gets HASH = md5(BOT_ID . CODE . serverUniqId), as in App::register.
 */
export function planRegister(
  params: Record<string, unknown>,
  bot: SimBot,
  caller: string,
  serverUniqId: string,
): ChatAppError | RegisterPlan {
  if (isPhpEmpty(params['CODE'])) return fail('CODE_ERROR', "App code isn't specified");
  const code = phpString(params['CODE']);

  let jsMethod: SimAppFields['JS_METHOD'] = '';
  let jsParam = '';
  let iframe = '';
  // appRegister's values as passed on (and dumped): raw when above the minimum, else the minimum.
  let width: unknown = 0;
  let height: unknown = 0;
  let popup: SimYesNo = 'N';
  let hash = '';
  const method = params['JS_METHOD'];
  if (isServerJsMethod(method) && !isPhpEmpty(params['JS_PARAM'])) {
    const kept = serverJsParam(method, phpString(params['JS_PARAM']));
    if (kept !== null) {
      jsMethod = method;
      jsParam = kept;
    }
  } else if (!isPhpEmpty(params['IFRAME'])) {
    const url = phpString(params['IFRAME']);
    if (!isServerHttpsIframe(url)) return fail('IFRAME_HTTPS', 'Iframe params must be HTTPS site');
    iframe = url;
    // appRegister's defaults for an IFRAME app are 320 x 250 (App::register's own 350 x 250 apply to JS apps).
    width = isSet(params['IFRAME_WIDTH'])
      ? phpIntval(params['IFRAME_WIDTH']) > 250
        ? params['IFRAME_WIDTH']
        : 250
      : 320;
    height = isSet(params['IFRAME_HEIGHT'])
      ? phpIntval(params['IFRAME_HEIGHT']) > 50
        ? params['IFRAME_HEIGHT']
        : 50
      : 250;
    popup = yesNo(params['IFRAME_POPUP']);
    if (isPhpEmpty(params['HASH'])) return fail('HASH_ERROR', "Hash can't be empty");
    hash = phpCut(phpString(params['HASH']), 32);
  }
  if (iframe === '' && jsMethod === '') return fail('PARAMS_ERROR', "Iframe or JS method isn't specified");

  const icon = isPhpEmpty(params['ICON_FILE']) ? null : serverIconHash(params['ICON_FILE']);
  const context = isSet(params['CONTEXT']) ? params['CONTEXT'] : 'ALL';
  const hidden = yesNo(params['HIDDEN']);
  const extranet = yesNo(params['EXTRANET_SUPPORT']);
  const livechat = yesNo(params['LIVECHAT_SUPPORT']);

  const botId = phpIntval(params['BOT_ID']);
  if (botId <= 0 || botId !== bot.id) return fail('BOT_ID_ERROR', 'Bot not found');
  if (bot.owner !== caller) return fail('APP_ID_ERROR', 'Bot was installed by another rest application');
  if (isPhpEmpty(params['LANG'])) return fail('LANG_ERROR', "Lang set can't be empty");

  const jsColumn = jsMethod === '' ? '' : serverJsColumn(jsMethod, jsParam);
  const fields: SimAppFields = {
    CODE: code,
    BOT_ID: botId,
    JS_METHOD: jsMethod,
    JS_PARAM: jsParam,
    IFRAME: iframe,
    IFRAME_WIDTH: iframe === '' ? 350 : phpIntval(width),
    IFRAME_HEIGHT: iframe === '' ? 250 : phpIntval(height),
    IFRAME_POPUP: popup,
    HIDDEN: hidden,
    EXTRANET_SUPPORT: extranet,
    LIVECHAT_SUPPORT: livechat,
    CONTEXT: phpString(context).toLowerCase(),
    HASH:
      hash === ''
        ? createHash('md5').update(`${botId}${code}${serverUniqId}`).digest('hex')
        : phpCut(hash, 32),
    ICON: icon,
    LANG: serverLangRows(params['LANG']),
  };
  const dump: Record<string, unknown> = {
    APP_ID: caller,
    BOT_ID: botId,
    CODE: params['CODE'],
    ICON_ID: icon === null ? 0 : 1,
    HASH: hash,
    CONTEXT: context,
    HIDDEN: hidden,
    JS: jsColumn,
    IFRAME: iframe,
    IFRAME_HEIGHT: height,
    IFRAME_WIDTH: width,
    IFRAME_POPUP: popup,
    EXTRANET_SUPPORT: extranet,
    LIVECHAT_SUPPORT: livechat,
    MODULE_ID: 'rest',
    LANG: params['LANG'],
  };
  return { fields, dump };
}
