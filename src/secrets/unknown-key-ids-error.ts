/**
 * Stored secrets are sealed with keys this process does not have: it refuses to start (`worker`, `rollout`,
 * `serve`), since every pair of those portals would fail and a rollout would re-seal their changed credentials
 * with the wrong key. The message names key ids and counts, never a key or a value; the CLI exits 2
 * (src/cli/main.ts; README, "Exit codes").
 */
export class UnknownKeyIdsError extends Error {
  override readonly name = 'UnknownKeyIdsError';
  constructor(
    message: string,
    /** Unknown key id -> number of portals holding a value sealed with it. */
    readonly unknown: ReadonlyMap<string, number>,
  ) {
    super(message);
  }
}
