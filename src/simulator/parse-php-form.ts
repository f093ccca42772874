const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 16;

type Container = Record<string, unknown>;

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `LANG[0][TITLE]` -> ['LANG', '0', 'TITLE']; `A[]` -> ['A', '']; a malformed key is taken literally. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  let rest = key.slice(open);
  while (rest.length > 0) {
    if (rest[0] !== '[') return [key];
    const close = rest.indexOf(']');
    if (close < 0) return [key];
    path.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  return path;
}

function nextIndex(container: Container): string {
  let next = 0;
  for (const key of Object.keys(container)) {
    if (/^\d+$/.test(key)) next = Math.max(next, Number(key) + 1);
  }
  return String(next);
}

/** Objects whose keys are exactly "0".."n-1" become arrays, as PHP's json_encode would print them. */
function finalize(value: unknown): unknown {
  if (!isContainer(value)) return value;
  const keys = Object.keys(value);
  const out: Container = {};
  for (const key of keys) out[key] = finalize(value[key]);
  const sequential = keys.length > 0 && keys.every((key, i) => key === String(i));
  return sequential ? keys.map((key) => out[key]) : out;
}

/**
 * Parses an `application/x-www-form-urlencoded` body (or query string) with PHP-style keys, as Bitrix24 accepts
 * them (docs/bitrix24.md, "Who is calling"): `LANG[0][TITLE]=x&LANG[0][LANGUAGE_ID]=en` ->
 * `{ LANG: [{ TITLE: 'x', LANGUAGE_ID: 'en' }] }`; `A[]=1&A[]=2` -> `{ A: ['1', '2'] }`. Keys that could
 * pollute prototypes are dropped.
 */
export function parsePhpForm(text: string): Record<string, unknown> {
  const root: Container = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = splitKey(rawKey);
    if (path.length > MAX_DEPTH || path.some((segment) => FORBIDDEN_KEYS.has(segment))) continue;
    let container = root;
    for (let i = 0; i < path.length; i += 1) {
      const segment = path[i] ?? '';
      const key = segment === '' && i > 0 ? nextIndex(container) : segment;
      if (i === path.length - 1) {
        container[key] = value;
      } else {
        const existing = container[key];
        const child: Container = isContainer(existing) ? existing : {};
        container[key] = child;
        container = child;
      }
    }
  }
  const result: Container = {};
  for (const key of Object.keys(root)) result[key] = finalize(root[key]);
  return result;
}
