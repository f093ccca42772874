const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 16;
const DIGITS = /^\d+$/;

type Container = Record<string, unknown>;

/** Counts the parser's steps (segments read, keys placed or scanned): tests assert it grows with the input only. */
export interface ParseWork {
  steps: number;
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `LANG[0][TITLE]` -> ['LANG', '0', 'TITLE']; `A[]` -> ['A', '']; a malformed key is taken literally. Reads the
 * key once, by index; gives up (undefined) past MAX_DEPTH segments, so a long key costs no more than its length.
 */
function splitKey(key: string, work: ParseWork): string[] | undefined {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  let at = open;
  while (at < key.length) {
    work.steps += 1;
    if (key[at] !== '[') return [key];
    const close = key.indexOf(']', at + 1);
    if (close < 0) return [key];
    if (path.length >= MAX_DEPTH) return undefined;
    path.push(key.slice(at + 1, close));
    at = close + 1;
  }
  return path;
}

/** Objects whose keys are exactly "0".."n-1" become arrays, as PHP's json_encode would print them. */
function finalize(value: unknown, work: ParseWork): unknown {
  if (!isContainer(value)) return value;
  const keys = Object.keys(value);
  const out: Container = {};
  let sequential = keys.length > 0;
  for (const [i, key] of keys.entries()) {
    work.steps += 1;
    out[key] = finalize(value[key], work);
    if (key !== String(i)) sequential = false;
  }
  return sequential ? keys.map((key) => out[key]) : out;
}

/**
 * Parses an `application/x-www-form-urlencoded` body (or query string) with PHP-style keys, as Bitrix24 accepts
 * them (docs/bitrix24.md, "Who is calling"): `LANG[0][TITLE]=x&LANG[0][LANGUAGE_ID]=en` ->
 * `{ LANG: [{ TITLE: 'x', LANGUAGE_ID: 'en' }] }`; `A[]=1&A[]=2` -> `{ A: ['1', '2'] }`. Keys that could
 * pollute prototypes are dropped, and so are keys nested deeper than 16 levels.
 *
 * Linear in the input: the next index of each `[]` container is kept as it fills (as PHP keeps its
 * nNextFreeElement), never found by scanning the container's keys. `work` counts the steps, for tests.
 */
export function parsePhpForm(text: string, work: ParseWork = { steps: 0 }): Record<string, unknown> {
  const root: Container = {};
  // Per call (no module state): the next free integer key of each container built by this parse.
  const nextFree = new Map<Container, number>();
  const place = (container: Container, key: string, value: unknown) => {
    container[key] = value;
    if (DIGITS.test(key) && key.length < 16) {
      const index = Number(key);
      if (index >= (nextFree.get(container) ?? 0)) nextFree.set(container, index + 1);
    }
  };
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = splitKey(rawKey, work);
    if (path === undefined || path.some((segment) => FORBIDDEN_KEYS.has(segment))) continue;
    let container = root;
    for (let i = 0; i < path.length; i += 1) {
      work.steps += 1;
      const segment = path[i] ?? '';
      const key = segment === '' && i > 0 ? String(nextFree.get(container) ?? 0) : segment;
      if (i === path.length - 1) {
        place(container, key, value);
      } else {
        const existing = container[key];
        const child: Container = isContainer(existing) ? existing : {};
        place(container, key, child);
        container = child;
      }
    }
  }
  const result: Container = {};
  for (const key of Object.keys(root)) result[key] = finalize(root[key], work);
  return result;
}
