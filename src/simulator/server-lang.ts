import { isPhpEmpty, phpString } from './php-values.js';
import type { SimAppLang } from './simulator-types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : phpString(value);
}

/**
 * The language rows the server writes for LANG (im source, `\Bitrix\Im\App::register` and `::update`): one per
 * entry, LANGUAGE_ID lower-cased; an entry without LANGUAGE_ID, or without a TITLE key at all, is skipped (the
 * source tests `!isset(TITLE) && empty(TITLE)`, so an empty TITLE string is kept). A LANG that is not a list
 * gives no rows.
 */
export function serverLangRows(lang: unknown): SimAppLang[] {
  if (typeof lang !== 'object' || lang === null) return [];
  const entries: unknown[] = Array.isArray(lang) ? lang : Object.values(lang);
  const rows: SimAppLang[] = [];
  for (const entry of entries) {
    if (!isRecord(entry)) continue;
    const languageId = entry['LANGUAGE_ID'];
    const title = entry['TITLE'];
    if (isPhpEmpty(languageId) || title === undefined || title === null) continue;
    rows.push({
      LANGUAGE_ID: phpString(languageId).toLowerCase(),
      TITLE: phpString(title),
      DESCRIPTION: textOrNull(entry['DESCRIPTION']),
      COPYRIGHT: textOrNull(entry['COPYRIGHT']),
    });
  }
  return rows;
}
