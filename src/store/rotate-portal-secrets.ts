import { defineScript, type LuaScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { KeyringSecretCodec } from '../secrets/keyring-secret-codec.js';
import { SecretOpenError } from '../secrets/secret-open-error.js';
import type { RedisKeys } from './redis-keys.js';

/** The secret fields of a portal hash (see store/portal-store.ts); every other field is not secret. */
export const PORTAL_SECRET_FIELDS = ['accessToken', 'refreshToken', 'webhookUrl'] as const;

export interface RotateSummary {
  /** Portals looked at (every domain in `keys.portals`). */
  portals: number;
  /** Portals with at least one value re-sealed with the current key. */
  resealed: number;
  /** Secret values re-sealed (plaintext from before encryption, or sealed with a previous key). */
  values: number;
  /** Portals whose values were all sealed with the current key already. */
  alreadyCurrent: number;
  /** Portals left as they were, with why (never a value): a key is missing, or the hash kept changing. */
  failed: { domain: string; reason: string }[];
  /** With `dropUnreadable`: portals whose credentials could not be opened, now emptied and `needs_reauth`. */
  dropped: { domain: string; reason: string }[];
}

export interface RotateOptions {
  redis: RedisClient;
  keys: RedisKeys;
  codec: KeyringSecretCodec;
  /** Count what would be re-sealed without writing. */
  dryRun?: boolean;
  /** Attempts per portal when its hash changes between read and write (a worker refreshed its token). */
  maxAttempts?: number;
  /** Portals handled at once. */
  concurrency?: number;
  /**
   * A portal whose secrets cannot be opened (sealed with a lost key, or changed in Redis) loses its credentials
   * and is parked as `needs_reauth` until new ones are imported (`rollout --portals`), instead of being left
   * as it is: the way out when a key is lost (docs/security.md, "Rotating the key").
   */
  dropUnreadable?: boolean;
}

/**
 * Compare-and-set of several hash fields, writing all or nothing, and only if every field still holds what was
 * read. KEYS: portal. ARGV: (field, expected, new) triples. Returns 1 when written; 0 when a token refresh
 * landed in between.
 */
const RESEAL: LuaScript = {
  name: 'Reseal',
  numberOfKeys: 1,
  lua: `
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current == false then current = '' end
  if current ~= ARGV[i + 1] then return 0 end
end
for i = 1, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
end
return 1
`,
};

/**
 * Compare-and-set like RESEAL, for `dropUnreadable`: empties the credentials (and their source, so the next
 * import of the same file stores them again) and parks the portal as needs_reauth. KEYS: portal.
 * ARGV: (field, expected) pairs, then the state reason. Returns 1 when dropped, 0 when a field changed.
 */
const DROP: LuaScript = {
  name: 'DropCredentials',
  numberOfKeys: 1,
  lua: `
for i = 1, #ARGV - 1, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current == false then current = '' end
  if current ~= ARGV[i + 1] then return 0 end
end
redis.call('HSET', KEYS[1], 'accessToken', '', 'refreshToken', '', 'webhookUrl', '', 'expiresAt', '0',
  'credSource', '', 'state', 'needs_reauth', 'stateReason', ARGV[#ARGV])
redis.call('HINCRBY', KEYS[1], 'credVersion', 1)
return 1
`,
};

/** The state reason of a portal whose credentials were dropped (its code is what `failed` and `status` show). */
export const DROPPED_REASON_CODE = 'CREDENTIALS_UNREADABLE';

type PortalOutcome =
  | { kind: 'current' }
  | { kind: 'resealed'; values: number }
  | { kind: 'dropped'; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * Re-seals every portal's secrets with the codec's current key: each value is opened with whichever key sealed
 * it (current or previous; plaintext from before encryption is taken as is) and written back sealed with the
 * current key, all fields of one portal in one atomic compare-and-set. Values already sealed with the current
 * key are left alone, so running it again changes nothing (idempotent). The credential version is not bumped:
 * the credentials themselves do not change.
 */
export async function rotatePortalSecrets(options: RotateOptions): Promise<RotateSummary> {
  const { redis, keys, codec } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const concurrency = options.concurrency ?? 20;
  const reseal = defineScript(redis, RESEAL);
  const drop = defineScript(redis, DROP);
  const domains = (await redis.smembers(keys.portals)).sort();
  const summary: RotateSummary = {
    portals: domains.length,
    resealed: 0,
    values: 0,
    alreadyCurrent: 0,
    failed: [],
    dropped: [],
  };

  async function rotateOne(domain: string): Promise<PortalOutcome> {
    const key = keys.portal(domain);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const stored = await redis.hmget(key, ...PORTAL_SECRET_FIELDS);
      const triples: string[] = [];
      try {
        PORTAL_SECRET_FIELDS.forEach((field, index) => {
          const value = stored[index] ?? '';
          if (!codec.needsReseal(value)) return;
          triples.push(field, value, codec.seal(codec.open(value)));
        });
      } catch (error) {
        if (!(error instanceof SecretOpenError)) throw error;
        if (!options.dropUnreadable) return { kind: 'failed', reason: error.message };
        if (options.dryRun) return { kind: 'dropped', reason: error.message };
        const expected = PORTAL_SECRET_FIELDS.flatMap((field, index) => [field, stored[index] ?? '']);
        const reason = `${DROPPED_REASON_CODE}: ${error.message}; dropped by rotate-key --drop-unreadable, import new credentials with rollout --portals`;
        if ((await drop.run([key], [...expected, reason])) === 1) {
          return { kind: 'dropped', reason: error.message };
        }
        continue;
      }
      if (triples.length === 0) return { kind: 'current' };
      if (options.dryRun) return { kind: 'resealed', values: triples.length / 3 };
      if ((await reseal.run([key], triples)) === 1) {
        return { kind: 'resealed', values: triples.length / 3 };
      }
    }
    return {
      kind: 'failed',
      reason: `its credentials changed during each of ${maxAttempts} attempts; run again`,
    };
  }

  for (let i = 0; i < domains.length; i += concurrency) {
    const slice = domains.slice(i, i + concurrency);
    const outcomes = await Promise.all(slice.map(rotateOne));
    outcomes.forEach((outcome, index) => {
      if (outcome.kind === 'current') summary.alreadyCurrent++;
      else if (outcome.kind === 'resealed') {
        summary.resealed++;
        summary.values += outcome.values;
      } else if (outcome.kind === 'dropped') {
        summary.dropped.push({ domain: slice[index] ?? '', reason: outcome.reason });
      } else summary.failed.push({ domain: slice[index] ?? '', reason: outcome.reason });
    });
  }
  return summary;
}
