/**
 * Redis keys of one portal's rate-limit state. Every key carries `{portal}` as its Redis Cluster hash tag, so
 * the Lua scripts (which touch several of them at once) run in one slot. If `prefix` itself contains a hash
 * tag (e.g. `{imbot-rollout}`), that tag wins: all portals then share one slot, which is still correct.
 *
 * Every key has a TTL, so an idle portal holds no memory at all:
 * - `tat`   string: the GCRA theoretical arrival time (ms epoch, float); expires when it is reached.
 * - `adapt` hash `f` factor, `bu` backoff until, `lc` last factor change, `ok` successes since; expires when the
 *           factor has decayed back to 1.
 * - `park`  hash method -> parked until (ms epoch); expires with the latest of them.
 * - `wake`  string: the next wake-up time handed to a denied caller (see `reserve`); expires when reached.
 */
export interface RateLimitKeys {
  readonly tat: string;
  readonly adapt: string;
  readonly park: string;
  readonly wake: string;
}

export function rateLimitKeys(prefix: string, portal: string): RateLimitKeys {
  const base = `${prefix}:rl:{${portal}}`;
  return { tat: `${base}:tat`, adapt: `${base}:adapt`, park: `${base}:park`, wake: `${base}:wake` };
}
