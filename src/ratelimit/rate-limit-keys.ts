import { portalTag } from '../store/redis-keys.js';

/**
 * Redis keys of one portal's rate-limit state, `<prefix>:{p:<portal>}:rl:...`: under the portal's Redis Cluster
 * hash tag (src/store/redis-keys.ts), so the Lua scripts (which touch several of them at once) run in one slot
 * and portals spread over a Cluster's nodes.
 *
 * Every key has a TTL, so an idle portal holds no memory at all:
 * - `bucket` hash: the model of the server's bucket, `l` level (requests, float) at `t` (ms epoch), the limit
 *            `r`/`b` last reserved with, and the current cycle (`n` grants since `c`, starting at level `l0`);
 *            expires when the level has drained to 0.
 * - `adapt`  hash: the slow-down after QUERY_LIMIT_EXCEEDED, `pl` plateau and `lo` low rate fraction, `a` probe
 *            amplitude, `td` time of the last counted 503 (the epoch), `bu` end of the pause after a 503;
 *            expires when the rate is back to the configured one.
 * - `park`   hash method -> parked until (ms epoch); expires with the latest of them.
 * - `wake`   string: the next wake-up time handed to a denied caller (see `reserve`); expires when reached.
 *
 * (Before the recovering slow-down the model was a GCRA `tat` string; `bucket` has a new name so a worker of the
 * old version never reads a hash as a string. An old `tat` key simply expires.)
 */
export interface RateLimitKeys {
  readonly bucket: string;
  readonly adapt: string;
  readonly park: string;
  readonly wake: string;
}

export function rateLimitKeys(prefix: string, portal: string): RateLimitKeys {
  const base = `${prefix}:${portalTag(portal)}:rl`;
  return {
    bucket: `${base}:bucket`,
    adapt: `${base}:adapt`,
    park: `${base}:park`,
    wake: `${base}:wake`,
  };
}
