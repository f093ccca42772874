import { parsePhpForm } from '../bitrix/parse-php-form.js';
import { phpString } from './php-values.js';

/**
 * What a batch has produced so far, as the rest module's `methodsBatch` keeps it (`$arResult`): named maps
 * (`result`, `next`, `total`, `time`, `error`, and `error_description` once a command failed), each from a
 * command key to that command's value, in insertion order.
 */
export type BatchState = Map<string, Map<string, unknown>>;

/** PCRE's `\s` (no /u): space, \t, \n, \v, \f, \r. JavaScript's `\s` would also take Unicode spaces. */
const NOT_SPACE = '[^ \\t\\n\\x0B\\f\\r]';
const PATH_STEP = /\[([^\]]+)\]/g;
const CANONICAL_INT = /^(0|-?[1-9]\d*)$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

/** A PHP array built in order, as json_encode prints it: `[]` when empty, a list for keys 0..n-1, else an object. */
export function phpArrayOf(entries: Map<string, unknown>): unknown[] | Record<string, unknown> {
  const keys = [...entries.keys()];
  if (keys.every((key, index) => key === String(index))) return [...entries.values()];
  const object: Record<string, unknown> = Object.create(null);
  for (const [key, value] of entries) object[key] = value;
  return object;
}

/** PHP `isset($value[$key])` then `$value[$key]`: the element, or undefined when isset would be false. */
function phpElement(value: unknown, key: string): unknown {
  let element: unknown;
  if (value instanceof Map) element = value.get(key);
  else if (Array.isArray(value)) element = CANONICAL_INT.test(key) ? value[Number(key)] : undefined;
  else if (isRecord(value)) element = Object.hasOwn(value, key) ? value[key] : undefined;
  else if (typeof value === 'string' && CANONICAL_INT.test(key)) {
    // A string offset is one byte (negative from the end).
    const bytes = Buffer.from(value, 'utf8');
    const index = Number(key) < 0 ? bytes.length + Number(key) : Number(key);
    element =
      index >= 0 && index < bytes.length ? bytes.subarray(index, index + 1).toString('latin1') : undefined;
  }
  return element === null ? undefined : element;
}

/**
 * `CRestUtil::processBatchElement($query, $arResult, $keysCache)` (rest source, docs/bitrix24.md "Batch") on one
 * parameter value. Every `$<name><non-space...>` whose name is one of the state's maps (any case) and whose
 * rest holds `[step]`s is resolved by walking the steps from `$arResult[name]` while `isset` holds, stopping
 * early otherwise: a step that does not exist leaves the value reached so far, so `$result[k]` for a command `k`
 * that failed or did not run is the WHOLE result map. A value that is exactly the reference becomes what it
 * resolved to (any type); inside a longer text a number or string replaces the reference and any text up to the
 * next whitespace, anything else leaves the text as it was. The name is looked up case-sensitively: `$RESULT[k]`
 * matches the pattern and resolves to null.
 */
function processElement(value: string, state: BatchState, names: readonly string[]): unknown {
  if (names.length === 0) return value;
  const pattern = new RegExp(`\\$(${names.join('|')})(${NOT_SPACE}*)`, 'gi');
  let current: unknown = value;
  for (const [whole, name = '', path = ''] of value.matchAll(pattern)) {
    const steps = [...path.matchAll(PATH_STEP)].map((step) => step[1] ?? '');
    if (steps.length === 0) continue;
    let resolved: unknown = state.get(name) ?? null;
    for (const step of steps) {
      const element = phpElement(resolved, step);
      if (element === undefined) break;
      resolved = element;
    }
    const phpValue = resolved instanceof Map ? phpArrayOf(resolved) : resolved;
    if (whole === current) {
      current = phpValue;
      continue;
    }
    const text = typeof phpValue === 'number' ? phpString(phpValue) : phpValue;
    if (typeof text !== 'string' || typeof current !== 'string') continue;
    current = current.split(whole).join(text);
  }
  return current;
}

/** `CRestUtil::processBatchStructure`: every value of the parsed query, nested arrays included (keys as they are). */
function processValue(value: unknown, state: BatchState, names: readonly string[]): unknown {
  if (typeof value === 'string') return processElement(value, state, names);
  if (Array.isArray(value)) return value.map((item) => processValue(item, state, names));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = processValue(item, state, names);
    return out;
  }
  return value;
}

/**
 * `CRestUtil::ParseBatchQuery($query, $arResult)`: the query of one batch command read as `parse_str` reads it,
 * with its references to earlier commands resolved against `state` (see processElement). An empty query, or
 * "0" (`if ($query)` in PHP), gives no parameters.
 */
export function parseBatchQuery(query: string | undefined, state: BatchState): Record<string, unknown> {
  if (query === undefined || query === '' || query === '0') return {};
  // The names are those of the state when the command starts (PHP computes $keysCache once per command).
  return processValue(parsePhpForm(query), state, [...state.keys()]) as Record<string, unknown>;
}
