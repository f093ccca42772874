import type { RedisClient } from '../redis/redis-client.js';
import { estimateIssuedAt } from './credential-index.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * Builds the credential index from the stored portals, once per Redis prefix (keys.credentialIndexBuilt marks it
 * done): portals stored since the index exists are indexed when stored, this catches the ones stored before.
 * An OAuth pair counts from when it was issued, estimated from its access token's expiry like an import
 * (store/credential-index.ts, estimateIssuedAt); webhook portals are left out; a parked portal (needs_reauth,
 * uninstalled) is listed but not due for keep-alive. Only adds what is missing (ZADD NX), so it is safe beside
 * imports and refreshes, and several workers starting at once may all run it. One SSCAN pass over the portal
 * set; the portal hashes are read one command each (each in its own slot on Redis Cluster). Returns how many
 * portals it indexed.
 */
export async function buildCredentialIndex(
  redis: RedisClient,
  keys: RedisKeys,
  now: () => number,
): Promise<{ indexed: number; skipped: boolean }> {
  if ((await redis.exists(keys.credentialIndexBuilt)) === 1) return { indexed: 0, skipped: true };
  let cursor = '0';
  let indexed = 0;
  do {
    const [next, domains] = await redis.sscan(keys.portals, cursor, 'COUNT', 500);
    cursor = next;
    if (domains.length === 0) continue;
    const known = await redis.zmscore(keys.credentialsByRefresh, ...domains);
    const missing = domains.filter((_, at) => known[at] === null);
    const stored = await Promise.all(
      missing.map((domain) => redis.hmget(keys.portal(domain), 'domain', 'authType', 'expiresAt', 'state')),
    );
    const index = redis.multi();
    let queued = 0;
    const at = now();
    missing.forEach((domain, i) => {
      const [known, authType, expiresAt, state] = stored[i] ?? [];
      if (!known || authType === 'webhook' || authType === 'source') return;
      const issuedAt = estimateIssuedAt(Number(expiresAt ?? 0), at);
      index.zadd(keys.credentialsByRefresh, 'NX', issuedAt, domain);
      if (state !== 'needs_reauth' && state !== 'uninstalled')
        index.zadd(keys.keepAliveDue, 'NX', issuedAt, domain);
      queued++;
    });
    if (queued > 0) {
      await index.exec();
      indexed += queued;
    }
  } while (cursor !== '0');
  await redis.set(keys.credentialIndexBuilt, String(now()));
  return { indexed, skipped: false };
}
