/**
 * JSON with object keys sorted at every level (arrays keep their order; undefined properties are left out, as
 * JSON.stringify does), so equal values give equal text whatever their key order.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]): [string, unknown] => [k, sortKeys(v)]);
  return Object.fromEntries(entries);
}
