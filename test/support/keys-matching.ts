import { connectedDataNodes, type RedisClient } from '../../src/redis/redis-client.js';

/**
 * The keys matching `pattern`, on one Redis server or on every master of a Cluster (KEYS on a Cluster client
 * asks one node only). SCAN, so a test never blocks the server. Sorted.
 */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await connectedDataNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found.sort();
}
