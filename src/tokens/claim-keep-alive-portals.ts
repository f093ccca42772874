import { defineScript, type LuaScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../store/redis-keys.js';

/**
 * Claims up to `batch` portals due for a keep-alive refresh, atomically, so that across any number of workers a
 * due portal is claimed by one of them until the claim lapses. Due: in keepAliveDue with a last refresh at or
 * before the cutoff, and not claimed (a claim lapses at its score; lapsed claims are dropped first). Reads only
 * the due range's head: O(batch + claimed due portals), never the whole fleet.
 * KEYS: keepAliveDue, keepAliveClaims. ARGV: cutoff (ms), now (ms), batch, claim lapses at (ms).
 * Returns the claimed domains, the longest unrefreshed first.
 */
const CLAIM_KEEP_ALIVE: LuaScript = {
  name: 'ClaimKeepAlive',
  numberOfKeys: 2,
  lua: `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
local want = tonumber(ARGV[3])
local claimed = {}
local offset = 0
while #claimed < want do
  local page = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', offset, want)
  if #page == 0 then break end
  for _, domain in ipairs(page) do
    if #claimed < want and not redis.call('ZSCORE', KEYS[2], domain) then
      redis.call('ZADD', KEYS[2], ARGV[4], domain)
      claimed[#claimed + 1] = domain
    end
  end
  offset = offset + #page
end
return claimed
`,
};

export interface KeepAliveClaim {
  /** Portals refreshed at or before this time (ms) are due. */
  cutoff: number;
  now: number;
  /** At most this many portals. */
  batch: number;
  /** The claim lapses this long after `now` (then the portal is due again if it was not refreshed). */
  leaseMs: number;
}

export function createKeepAliveClaimer(redis: RedisClient, keys: RedisKeys) {
  const script = defineScript(redis, CLAIM_KEEP_ALIVE);
  return {
    async claim({ cutoff, now, batch, leaseMs }: KeepAliveClaim): Promise<string[]> {
      const claimed = await script.run(
        [keys.keepAliveDue, keys.keepAliveClaims],
        [cutoff, now, batch, now + leaseMs],
      );
      return Array.isArray(claimed) ? claimed.map(String) : [];
    },
  };
}
