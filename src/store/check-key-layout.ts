import type { RedisClient } from '../redis/redis-client.js';
import { OldKeyLayoutError } from './old-key-layout-error.js';
import { legacyLayoutKeys } from './redis-keys.js';

/**
 * Refuses to start on data of the untagged key layout (before Redis Cluster support): an upgraded worker would
 * not see those pairs, portals and jobs and would start over beside them. One EXISTS per key (they lie in
 * different slots on a Cluster). Data is not migrated: see OldKeyLayoutError for the way out.
 */
export async function checkKeyLayout(redis: RedisClient, prefix: string): Promise<void> {
  const keys = legacyLayoutKeys(prefix);
  const found = await Promise.all(keys.map(async (key) => ((await redis.exists(key)) > 0 ? key : undefined)));
  const old = found.find((key) => key !== undefined);
  if (old !== undefined) throw new OldKeyLayoutError(prefix, old);
}
