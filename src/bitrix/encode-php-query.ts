/**
 * How the percent-encoding is done, as PHP's `http_build_query` `$encoding_type` names it:
 * - `RFC3986` (`rawurlencode`): everything but `A-Z a-z 0-9 - _ . ~` as `%XX`, a space as `%20`. What
 *   `@bitrix24/b24jssdk` sends inside a batch command (it builds them with `qs.stringify`, RFC 3986 by default).
 * - `RFC1738` (`urlencode`, PHP's default): the same, but a space as `+` and `~` as `%7E`.
 * PHP's `parse_str` (the server's reader) decodes both the same way.
 */
export type PhpQueryEncoding = 'RFC3986' | 'RFC1738';

export interface EncodePhpQueryOptions {
  /** Default `RFC3986`. */
  encoding?: PhpQueryEncoding;
}

/** Nesting deeper than this is refused: no Bitrix24 parameter comes close, a cycle would never end. */
const MAX_DEPTH = 32;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function rawUrlEncode(text: string): string {
  // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ); rawurlencode also encodes ! * ' ( ).
  // A lone surrogate cannot be UTF-8 encoded: it becomes U+FFFD, as TextEncoder and JSON.stringify's output do.
  return encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD')).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function urlEncode(text: string): string {
  return rawUrlEncode(text).replace(/~/g, '%7E').replace(/%20/g, '+');
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A scalar as PHP prints it into a query, or undefined for what http_build_query leaves out (null). */
function scalarText(value: unknown, path: string): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      // http_build_query: true -> "1", false -> "0" (the JS SDK's qs would send "true"/"false").
      return value ? '1' : '0';
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be sent as a parameter`);
      // Integers as PHP prints them; other numbers with the shortest round-trip digits (PHP 8's
      // serialize_precision -1 gives the same digits) and PHP's exponent style (1.0E+25).
      if (Number.isSafeInteger(value)) return String(value);
      return String(value)
        .replace(/^(-?\d+)(e)/, '$1.0$2')
        .replace('e', 'E');
    case 'undefined':
      return undefined;
    default:
      if (value === null) return undefined;
      throw new TypeError(`${path}: a ${typeof value} cannot be sent as a parameter`);
  }
}

function append(
  out: string[],
  encodedName: string,
  value: unknown,
  encode: (text: string) => string,
  path: string,
  depth: number,
): void {
  if (typeof value !== 'object' || value === null) {
    const text = scalarText(value, path);
    if (text !== undefined) out.push(`${encodedName}=${encode(text)}`);
    return;
  }
  if (depth >= MAX_DEPTH) throw new TypeError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  let entries: [string, unknown][];
  if (Array.isArray(value)) entries = value.map((item, index) => [String(index), item]);
  else if (isPlainObject(value)) entries = Object.entries(value);
  else throw new TypeError(`${path}: a ${value.constructor.name} cannot be sent as a parameter`);
  // An empty array or object adds nothing (http_build_query), so the server does not see the key at all.
  for (const [key, item] of entries) {
    append(out, `${encodedName}%5B${encode(key)}%5D`, item, encode, `${path}.${key}`, depth + 1);
  }
}

/**
 * PHP's `http_build_query($params, '', '&', $encoding)`: the form a PHP server's `parse_str` reads back into the
 * same nested arrays (`LANG[0][TITLE]=...`, brackets percent-encoded as PHP does). Like PHP: `true`/`false` become
 * `1`/`0`, `null` and `undefined` are left out, an empty array or object adds nothing, keys keep their order
 * (JavaScript's: integer-like keys of an object come first). Every scalar reaches the server as a string.
 * Throws TypeError for what PHP could not have sent: non-finite numbers, functions, symbols, class instances,
 * nesting deeper than 32 levels.
 */
export function encodePhpQuery(
  params: Readonly<Record<string, unknown>>,
  options: EncodePhpQueryOptions = {},
): string {
  const encode = options.encoding === 'RFC1738' ? urlEncode : rawUrlEncode;
  const out: string[] = [];
  for (const [key, value] of Object.entries(params)) append(out, encode(key), value, encode, key, 0);
  return out.join('&');
}
