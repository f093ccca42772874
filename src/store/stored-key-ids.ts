import type { RedisClient } from '../redis/redis-client.js';
import { parseSealedSecret } from '../secrets/sealed-secret.js';
import type { RedisKeys } from './redis-keys.js';
import { PORTAL_SECRET_FIELDS } from './rotate-portal-secrets.js';

/** Portals read per round trip while scanning. */
const SCAN_CHUNK = 1_000;

/**
 * Reads every portal's secret fields and counts, per key id, the portals holding a value sealed with it (a
 * plaintext value, from before encryption or ROLLOUT_INSECURE_PLAINTEXT_SECRETS, has no key id). Values are
 * parsed, never opened: no key is needed.
 */
export async function scanStoredKeyIds(redis: RedisClient, keys: RedisKeys): Promise<Map<string, number>> {
  const domains = await redis.smembers(keys.portals);
  const portalsByKid = new Map<string, number>();
  for (let i = 0; i < domains.length; i += SCAN_CHUNK) {
    // Commands sent together, not a pipeline: each portal's hash has its own hash tag, and a Cluster runs a
    // pipeline on one node only (src/store/redis-keys.ts). ioredis writes them without waiting for replies.
    const chunk = domains.slice(i, i + SCAN_CHUNK);
    const replies = await Promise.all(
      chunk.map((domain) => redis.hmget(keys.portal(domain), ...PORTAL_SECRET_FIELDS)),
    );
    for (const values of replies) {
      const kids = new Set<string>();
      for (const value of values) {
        const kid = value ? parseSealedSecret(value)?.kid : undefined;
        if (kid !== undefined) kids.add(kid);
      }
      for (const kid of kids) portalsByKid.set(kid, (portalsByKid.get(kid) ?? 0) + 1);
    }
  }
  return portalsByKid;
}

/**
 * Brings the set of key ids in use (`keys.keyIds`) up to date with what is stored: adds the ids found, removes
 * the ids no value is sealed with any more (after `rotate-key`, or credentials imported anew). Returns the scan.
 */
export async function syncStoredKeyIds(redis: RedisClient, keys: RedisKeys): Promise<Map<string, number>> {
  const found = await scanStoredKeyIds(redis, keys);
  const recorded = await redis.smembers(keys.keyIds);
  const stale = recorded.filter((kid) => !found.has(kid));
  const batch = redis.multi();
  if (found.size > 0) batch.sadd(keys.keyIds, ...found.keys());
  if (stale.length > 0) batch.srem(keys.keyIds, ...stale);
  await batch.exec();
  return found;
}
