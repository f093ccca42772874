/**
 * PHP `var_export($value, true)` for the values a REST request carries (strings, numbers, booleans, null,
 * arrays/objects). The server puts such a dump into the description of a failed `imbot.app.register`
 * (im source, `CIMRestService::appRegister`: "App can't be registered" . var_export(...)), HASH included.
 */
export function phpVarExport(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value !== 'object') return 'NULL';
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  const inner = `${indent}  `;
  const lines = entries.map(([key, item]) => {
    const exportedKey = /^(0|-?[1-9]\d*)$/.test(key) ? key : phpVarExport(key);
    const exported = phpVarExport(item, inner);
    const nested = typeof item === 'object' && item !== null;
    return nested
      ? `${inner}${exportedKey} => \n${inner}${exported},`
      : `${inner}${exportedKey} => ${exported},`;
  });
  return `array (\n${lines.map((line) => `${line}\n`).join('')}${indent})`;
}
