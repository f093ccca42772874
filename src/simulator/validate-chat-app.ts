/** A Bitrix24 method error: the `error` code and its `error_description`. */
export interface ChatAppError {
  code: string;
  description: string;
}

const JS_METHODS = new Set(['PUT', 'SEND', 'CALL', 'SUPPORT']);

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function hasLanguagePhrases(lang: unknown): boolean {
  if (typeof lang !== 'object' || lang === null) return false;
  const entries: unknown[] = Array.isArray(lang) ? lang : Object.values(lang);
  return entries.some(
    (entry) =>
      typeof entry === 'object' &&
      entry !== null &&
      nonEmptyString((entry as Record<string, unknown>)['LANGUAGE_ID']) &&
      nonEmptyString((entry as Record<string, unknown>)['TITLE']),
  );
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The checks of imbot.app.register (imbot.app.register.txt, "Possible Error Codes"), in this order:
 * BOT_ID_ERROR (not the portal's bot), PARAMS_ERROR (no CODE, or neither JS_METHOD nor IFRAME, or an unknown
 * JS_METHOD), IFRAME_HTTPS (IFRAME not https), HASH_ERROR (IFRAME without a 32-character HASH), LANG_ERROR
 * (visible app, HIDDEN != 'Y', without language phrases). When both JS_METHOD and IFRAME are present only the
 * JS command is used (bitrix24-facts.md, imbot.app.update), so the IFRAME checks are skipped.
 */
export function validateChatApp(params: Record<string, unknown>, portalBotId: number): ChatAppError | null {
  const botId = Number(params['BOT_ID']);
  if (!Number.isInteger(botId) || botId !== portalBotId) {
    return { code: 'BOT_ID_ERROR', description: 'Bot not found' };
  }
  if (!nonEmptyString(params['CODE'])) {
    return { code: 'PARAMS_ERROR', description: 'Code of the application is not specified' };
  }
  const jsMethod = params['JS_METHOD'];
  const iframe = params['IFRAME'];
  if (nonEmptyString(jsMethod)) {
    if (!JS_METHODS.has(jsMethod.toUpperCase())) {
      return { code: 'PARAMS_ERROR', description: 'Error specifying JS command or IFRAME parameters' };
    }
  } else if (nonEmptyString(iframe)) {
    if (!isHttpsUrl(iframe)) {
      return {
        code: 'IFRAME_HTTPS',
        description: 'The link to IFRAME must lead to a site with an active HTTPS certificate',
      };
    }
    const hash = params['HASH'];
    if (typeof hash !== 'string' || hash.length !== 32) {
      return { code: 'HASH_ERROR', description: 'You did not specify a hash for the application' };
    }
  } else {
    return { code: 'PARAMS_ERROR', description: 'Error specifying JS command or IFRAME parameters' };
  }
  if (params['HIDDEN'] !== 'Y' && !hasLanguagePhrases(params['LANG'])) {
    return { code: 'LANG_ERROR', description: 'Language phrases for the visible command were not provided' };
  }
  return null;
}
