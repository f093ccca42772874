import { phpLength } from './php-values.js';
import { serverIframeColumn } from './server-iframe-url.js';
import { isServerJsMethod, serverJsColumn } from './server-js-param.js';
import type { SimAppFields } from './simulator-types.js';

/** Column lengths of im `AppTable` (docs/bitrix24.md, "What the server checks on register"; im `lib/model/app.php`). */
const LIMITS = { IFRAME: 255, JS: 255, CONTEXT: 128, HASH: 32, CODE: 255, APP_ID: 128 } as const;

/** The columns of `fields` that a write would store, for the ORM's length validators. */
export interface AppColumns {
  IFRAME?: string;
  JS?: string;
  CONTEXT?: string;
  HASH?: string;
  CODE?: string;
  APP_ID?: string;
}

/** The IFRAME and JS columns as the server writes them (URL + '?'/'&'; "BXIM.sendMessage('/x');"). */
export function appColumnsOf(fields: Pick<SimAppFields, 'IFRAME' | 'JS_METHOD' | 'JS_PARAM'>): AppColumns {
  const columns: AppColumns = {};
  if (fields.IFRAME !== '') columns.IFRAME = serverIframeColumn(fields.IFRAME);
  if (isServerJsMethod(fields.JS_METHOD)) columns.JS = serverJsColumn(fields.JS_METHOD, fields.JS_PARAM);
  return columns;
}

/**
 * True when every given column fits `AppTable`: IFRAME (with the appended '?' or '&') and JS <= 255, CONTEXT <=
 * 128, HASH <= 32, CODE <= 255, APP_ID (the owning application) <= 128 characters. A longer value makes the
 * insert fail (register answers WRONG_REQUEST) and the row update fail silently (update still answers true).
 */
export function fitsAppTable(columns: AppColumns): boolean {
  return (Object.keys(LIMITS) as (keyof typeof LIMITS)[]).every((name) => {
    const value = columns[name];
    return value === undefined || phpLength(value) <= LIMITS[name];
  });
}
