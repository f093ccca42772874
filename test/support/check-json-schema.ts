type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * A small JSON Schema (draft 2020-12) checker for the keywords `z.toJSONSchema` emits for our input files: type,
 * enum, const, pattern, min/maxLength, minimum, maximum, exclusiveMinimum, min/maxItems, items, properties,
 * required, additionalProperties: false, anyOf, oneOf and `$ref` into `#/$defs`. `format` is an annotation here.
 * Returns the paths it refused (empty: valid). Any other keyword fails loudly, so the checker never passes a
 * schema it does not understand.
 */
export function checkJsonSchema(schema: Schema, value: unknown, root: Schema = schema, at = '$'): string[] {
  const known = new Set([
    '$schema',
    'title',
    'description',
    'default',
    'format',
    '$defs',
    '$ref',
    'type',
    'enum',
    'const',
    'pattern',
    'minLength',
    'maxLength',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'minItems',
    'maxItems',
    'items',
    'properties',
    'required',
    'additionalProperties',
    'anyOf',
    'oneOf',
  ]);
  for (const key of Object.keys(schema))
    if (!known.has(key)) throw new Error(`checker: unsupported keyword ${key}`);
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = ref.replace('#/$defs/', '');
    return checkJsonSchema((root['$defs'] as Record<string, Schema>)[name] as Schema, value, root, at);
  }
  const problems: string[] = [];
  const type = schema['type'];
  if (typeof type === 'string') {
    const actual = typeOf(value);
    if (actual !== type && !(type === 'number' && actual === 'integer')) return [`${at}: not ${type}`];
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) problems.push(`${at}: not in enum`);
  if ('const' in schema && schema['const'] !== value) problems.push(`${at}: not the const`);
  if (typeof value === 'string') {
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value))
      problems.push(`${at}: pattern`);
    const length = [...value].length;
    if (typeof schema['minLength'] === 'number' && length < schema['minLength'])
      problems.push(`${at}: minLength`);
    if (typeof schema['maxLength'] === 'number' && length > schema['maxLength'])
      problems.push(`${at}: maxLength`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) problems.push(`${at}: minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) problems.push(`${at}: maximum`);
    if (typeof schema['exclusiveMinimum'] === 'number' && value <= schema['exclusiveMinimum'])
      problems.push(`${at}: exclusiveMinimum`);
  }
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems'])
      problems.push(`${at}: minItems`);
    if (typeof schema['maxItems'] === 'number' && value.length > schema['maxItems'])
      problems.push(`${at}: maxItems`);
    const items = schema['items'] as Schema | undefined;
    if (items)
      for (const [i, item] of value.entries())
        problems.push(...checkJsonSchema(items, item, root, `${at}[${i}]`));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[])
      if (!Object.hasOwn(object, key)) problems.push(`${at}.${key}: required`);
    for (const [key, item] of Object.entries(object)) {
      const property = properties[key];
      if (property) problems.push(...checkJsonSchema(property, item, root, `${at}.${key}`));
      else if (schema['additionalProperties'] === false) problems.push(`${at}.${key}: not allowed`);
    }
  }
  for (const [keyword, needed] of [
    ['anyOf', 1],
    ['oneOf', 1],
  ] as const) {
    const options = schema[keyword] as Schema[] | undefined;
    if (!options) continue;
    const passing = options.filter((option) => checkJsonSchema(option, value, root, at).length === 0).length;
    if (keyword === 'anyOf' ? passing < needed : passing !== needed) problems.push(`${at}: ${keyword}`);
  }
  return problems;
}
