import { PhpFatalError } from './php-fatal-error.js';

/**
 * How the server's PHP reads request values, for the simulator to read them the same way: the REST layer gets
 * JSON numbers, JSON strings and form strings alike, and decides with `empty()`, `intval()` and string casts.
 */

/** PHP `empty()`: null/missing, false, '', '0', 0 and an empty array (a JSON object is a PHP array too). */
export function isPhpEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  if (typeof value === 'string') return value === '' || value === '0';
  if (typeof value === 'number') return value === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** PHP `intval()`: leading integer of a string ('350px' -> 350, 'abc' -> 0), truncated number, 1/0 for others. */
export function phpIntval(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'string') {
    const digits = /^[ \t\n\r\v\f]*([+-]?\d+)/.exec(value)?.[1];
    return digits === undefined ? 0 : Number.parseInt(digits, 10);
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || value === undefined) return 0;
  return isPhpEmpty(value) ? 0 : 1;
}

/** PHP string cast: numbers as text, true '1', false/null '', arrays 'Array'. */
export function phpString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (value === true) return '1';
  if (value === false || value === null || value === undefined) return '';
  return 'Array';
}

/** PHP `mb_strlen` / the ORM's Length validator: characters (code points), not UTF-16 units. */
export function phpLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}

/** PHP `mb_substr($value, 0, $length)`. */
export function phpCut(value: string, length: number): string {
  return Array.from(value).slice(0, length).join('');
}

/** A decimal integer as PHP writes it: PHP turns exactly these strings into integer array keys. */
const CANONICAL_INT = /^(0|-?[1-9]\d*)$/;

/**
 * The key PHP looks up for `$array[$value]`: a canonical integer string or an integer as a number, a float
 * truncated, `true`/`false` as 1/0, null as '' and any other string as itself. An array (a JSON object or list)
 * cannot be a key: since PHP 8 that throws a TypeError ("Cannot access offset of type array in isset or
 * empty"), which the REST server does not catch (PhpFatalError).
 */
export function phpArrayKey(value: unknown): number | string {
  if (typeof value === 'string') return CANONICAL_INT.test(value) ? Number(value) : value;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || value === undefined) return '';
  throw new PhpFatalError('Cannot access offset of type array in isset or empty');
}
