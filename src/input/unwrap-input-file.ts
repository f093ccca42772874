/**
 * An input file is a JSON array (`[...]`), or an object naming its JSON Schema for editors:
 * `{"$schema": "./apps.schema.json", "apps": [...]}` (`imbot-rollout schema apps|portals` prints the schema). The
 * object form gives its list; anything else is returned as it is, for the file's schema to refuse.
 */
export function unwrapInputFile(raw: unknown, listKey: 'apps' | 'portals'): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const keys = Object.keys(raw);
  if (!keys.includes(listKey) || keys.some((key) => key !== listKey && key !== '$schema')) return raw;
  return (raw as Record<string, unknown>)[listKey];
}
