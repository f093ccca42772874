/** What PHP's `http_build_query` takes: scalars, lists and maps, nested. */
export type PhpFormValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | PhpFormValue[]
  | { [key: string]: PhpFormValue };

/** PHP `urlencode` (RFC 1738 as PHP does it): everything but A-Z a-z 0-9 - _ . percent-encoded, space as "+". */
export function phpUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function scalar(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

function append(out: string[], name: string, value: PhpFormValue): void {
  if (value === null || value === undefined) return; // http_build_query skips null
  if (typeof value !== 'object') {
    out.push(`${phpUrlencode(name)}=${phpUrlencode(scalar(value))}`);
    return;
  }
  const entries: [string, PhpFormValue][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  for (const [key, item] of entries) append(out, `${name}[${key}]`, item);
}

/**
 * A test-side re-implementation of PHP's `http_build_query($params)` (the form encoding PHP clients such as
 * B24PhpSDK send, bitrix24-facts.md "Wire format"): nested keys as `LANG[0][TITLE]`, the whole key and the value
 * urlencoded, `true`/`false` as 1/0, null skipped, empty arrays omitted, pairs joined with "&".
 */
export function encodePhpForm(params: Record<string, PhpFormValue>): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(params)) append(out, key, value);
  return out.join('&');
}
