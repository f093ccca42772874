import type { AppDefinition } from '../apps/app-definition-schema.js';
import { canonicalJson } from '../apps/canonical-json.js';

/**
 * The fields that differ between the definition a portal is known to hold and the one a rollout asks for, named
 * the way an operator reads them: top-level keys (`IFRAME`, `HIDDEN`, `JS_PARAM`), LANG entries by language
 * (`LANG[en].TITLE`, `LANG[de]` for a language added or removed). Sorted; empty when the definitions are equal.
 * Values are never part of the answer: a plan names what changes, not to what (a HASH is a shared secret with
 * the iframe handler, docs/security.md).
 */
export function changedFields(before: AppDefinition, after: AppDefinition): string[] {
  const changed = new Set<string>();
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'LANG') continue;
    if (canonicalJson(a[key] ?? null) !== canonicalJson(b[key] ?? null)) changed.add(key);
  }
  const langs = (def: AppDefinition) =>
    new Map((def.LANG ?? []).map((entry) => [entry.LANGUAGE_ID, entry as Record<string, unknown>] as const));
  const langA = langs(before);
  const langB = langs(after);
  for (const id of new Set([...langA.keys(), ...langB.keys()])) {
    const x = langA.get(id);
    const y = langB.get(id);
    if (x === undefined || y === undefined) {
      changed.add(`LANG[${id}]`);
      continue;
    }
    for (const field of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (canonicalJson(x[field] ?? null) !== canonicalJson(y[field] ?? null))
        changed.add(`LANG[${id}].${field}`);
    }
  }
  return [...changed].sort();
}
