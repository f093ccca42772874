import type { Config } from '../config/config-schema.js';
import { OperatorError } from '../errors/operator-error.js';
import type { RedisClient } from '../redis/redis-client.js';
import { keyringCodecFromConfig } from '../secrets/secret-codec-from-config.js';
import type { RedisKeys } from './redis-keys.js';
import { syncStoredKeyIds } from './stored-key-ids.js';

/**
 * Stored secrets are sealed with keys this process does not have: it refuses to start (`worker`, `rollout`,
 * `serve`), since every pair of those portals would fail and a rollout would re-seal their changed credentials
 * with the wrong key. The message names key ids and counts, never a key or a value; the CLI exits 2
 * (docs/operations.md, "Exit codes").
 */
export class UnknownKeyIdsError extends OperatorError {
  override readonly name = 'UnknownKeyIdsError' as const;
  readonly code = 'UNKNOWN_KEY_IDS' as const;
  constructor(
    message: string,
    /** Unknown key id -> number of portals holding a value sealed with it. */
    readonly unknown: ReadonlyMap<string, number>,
  ) {
    super(message);
  }
}

export interface CheckStoredKeyIdsOptions {
  redis: RedisClient;
  keys: RedisKeys;
  secrets: Config['secrets'];
  /** Who refuses, for the message: "the worker", "rollout", "serve". */
  what: string;
}

const portalsText = (n: number) => `${n} portal${n === 1 ? '' : 's'}`;

/**
 * Refuses to start when a stored secret is sealed with a key that is neither ROLLOUT_SECRET_KEY nor in
 * ROLLOUT_SECRET_KEY_PREVIOUS (or with any key while none is set). Fast path: the key ids recorded in
 * `keys.keyIds` when values were sealed are all known. Otherwise (an unknown id recorded, or no record while
 * portals exist: data sealed before the record was kept) the portals are scanned, which also corrects a stale
 * record, and only key ids still in use count. Throws UnknownKeyIdsError naming the key ids, never the keys.
 */
export async function checkStoredKeyIds(options: CheckStoredKeyIdsOptions): Promise<void> {
  const { redis, keys, secrets, what } = options;
  const codec = keyringCodecFromConfig(secrets);
  const known = new Set(codec?.kids ?? []);
  const recorded = await redis.smembers(keys.keyIds);
  if (recorded.length > 0 && recorded.every((kid) => known.has(kid))) return;
  if (recorded.length === 0 && (await redis.scard(keys.portals)) === 0) return;
  const found = await syncStoredKeyIds(redis, keys);
  const unknown = new Map(
    [...found].filter(([kid]) => !known.has(kid)).sort(([a], [b]) => a.localeCompare(b)),
  );
  if (unknown.size === 0) return;
  const ids = [...unknown].map(([kid, n]) => `${kid} (${portalsText(n)})`).join(', ');
  const have =
    codec === undefined
      ? 'but ROLLOUT_SECRET_KEY is not set'
      : `${unknown.size > 1 ? 'which are' : 'which is'} neither ROLLOUT_SECRET_KEY (key id ${codec.currentKid}) nor in ROLLOUT_SECRET_KEY_PREVIOUS` +
        (codec.kids.length > 1
          ? ` (key id${codec.kids.length > 2 ? 's' : ''} ${codec.kids.filter((k) => k !== codec.currentKid).join(', ')})`
          : ' (not set)');
  throw new UnknownKeyIdsError(
    `${what} refuses to start: stored credentials are sealed with key id${unknown.size > 1 ? 's' : ''} ${ids}, ` +
      `${have}; every pair of those portals would fail. Set the key with that id as ROLLOUT_SECRET_KEY or in ` +
      'ROLLOUT_SECRET_KEY_PREVIOUS; if it is lost, run `imbot-rollout rotate-key --drop-unreadable` and import ' +
      'new credentials with `rollout --portals`',
    unknown,
  );
}
