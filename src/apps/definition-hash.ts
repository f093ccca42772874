import { createHash } from 'node:crypto';
import type { AppDefinition } from './app-definition-schema.js';
import { canonicalJson } from './canonical-json.js';

/**
 * sha256 (hex) of the canonical JSON of a normalised definition: equal definitions give equal hashes whatever
 * their key order, so a changed hash means the app must be updated on the portals. LANG entries are ordered by
 * LANGUAGE_ID first (they are unique, and their order means nothing to the server). A definition with
 * `HASH: "auto"` hashes the same on every portal; the derived per-portal hash is not part of it.
 */
export function definitionHash(def: AppDefinition): string {
  const lang =
    def.LANG === undefined ? undefined : [...def.LANG].sort((a, b) => compare(a.LANGUAGE_ID, b.LANGUAGE_ID));
  return createHash('sha256')
    .update(canonicalJson({ ...def, LANG: lang }))
    .digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
