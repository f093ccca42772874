import type { Redis } from 'ioredis';

/**
 * Counts the keys under `prefix` by family: the key with the prefix cut off and its variable parts replaced
 * (`<portal>` for a generated portal domain, `<n>` for a number, `<id>` for a long hex or base-36 id), e.g.
 * `{p:<portal>}:portal` or `{r}:result:<portal>:scale<n>`. SCAN, so it never blocks Redis for long.
 */
export async function countKeyFamilies(redis: Redis, prefix: string): Promise<Record<string, number>> {
  const families: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2_000);
    cursor = next;
    for (const key of keys) {
      const family = key
        .slice(prefix.length)
        .replace(/portal-\d+\.sim\.test/g, '<portal>')
        .replace(/\b[0-9a-f]{16,}\b/g, '<id>')
        .replace(/\d+/g, '<n>');
      families[family] = (families[family] ?? 0) + 1;
    }
  } while (cursor !== '0');
  return families;
}
